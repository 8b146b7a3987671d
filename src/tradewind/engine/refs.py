"""Resolving references while encoding: customer by the flow's match rule, products by SKU.

A reference is looked up, in order, in this run's cache, in the bindings, and in the target by
natural key; a missing dependency the flow may create (a new customer for an order) is created
with its own pend and bind, so a crash cannot duplicate it either.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tradewind.connectors.base import Ambiguous, Resource
from tradewind.engine.binder import Intent, Pair, Result
from tradewind.engine.context import RunContext
from tradewind.errors import MissingReference, RecordError
from tradewind.model import Entity, content_hash

NEW = "(new)"
"""What a dry run answers for a reference it would create."""


class TargetRefs:
    def __init__(self, ctx: RunContext) -> None:
        self.ctx = ctx
        self.cache: dict[str, str] = {}

    def __call__(self, entity: str, keys: Mapping[str, str | None], payload: Entity | None = None) -> str:
        key, value = self._choose(entity, keys)
        natural = f"{key}={value}"
        cached = self.cache.get(f"{entity}:{natural}")
        if cached is not None:
            return cached
        found = self._lookup(entity, key, value, natural)
        if found is None:
            found = self._create(entity, natural, payload, keys)
        self.cache[f"{entity}:{natural}"] = found
        return found

    def _choose(self, entity: str, keys: Mapping[str, str | None]) -> tuple[str, str]:
        rule = self.ctx.flow.match.get(entity)
        if rule is not None:
            value = keys.get(rule)
            if not value:
                raise RecordError(f"{entity} has no {rule}, which this flow matches {entity}s by", field=rule)
            return rule, value
        for key, value in keys.items():
            if value:
                return key, value
        raise RecordError(f"{entity} has none of {', '.join(keys)} to match it by")

    def _resource(self, entity: str) -> Resource[Any]:
        for resource in self.ctx.target.resources.values():
            if resource.entity.kind == entity:
                return resource
        raise RecordError(f"{self.ctx.flow.target.name} has no {entity} resource to resolve references in")

    def _lookup(self, entity: str, key: str, value: str, natural: str) -> str | None:
        target = self.ctx.flow.target.name
        bound = self.ctx.binder.id_by_natural_key(target, entity, natural)
        if bound is not None:
            return bound
        record = self._resource(entity).find(self.ctx.target.client, {key: value})
        if record is None:
            return None
        if isinstance(record, Ambiguous):  # e.g. two accounts with one e-mail address: never pick one
            raise RecordError(f"{entity} {key} {value!r} matches several records in {target}: "
                              f"{', '.join(record.candidates)}; tradewind never picks one — remove the duplicates "
                              "there", field=key)
        if not self.ctx.dry_run:
            self._bind(entity, natural, record.id, hash="")
        return record.id

    def _create(self, entity: str, natural: str, payload: Entity | None, keys: Mapping[str, str | None]) -> str:
        resource = self._resource(entity)
        allowed = entity in self.ctx.flow.create_missing and "create" in resource.can and resource.encode
        if payload is None or not allowed:
            known = ", ".join(f"{k} {v!r}" for k, v in keys.items() if v)
            raise MissingReference(f"{entity} with {known} is unknown in {self.ctx.flow.target.name}", entity=entity)
        if self.ctx.dry_run:
            return NEW
        assert resource.encode is not None
        native = resource.encode(payload, self)
        pair = self._pair(entity)
        with self.ctx.store.begin() as conn:
            self.ctx.binder.pend(conn, pair, [Intent(source_id=natural, natural_key=natural, flow=self.ctx.flow.name)])
        record = resource.create(self.ctx.target.client, native)
        self._bind(entity, natural, record.id, hash=content_hash(native))
        self.ctx.counts[f"{entity}_created"] += 1
        self.ctx.log.info("dependency_created", entity=entity, natural_key=natural, target_id=record.id)
        return record.id

    def _pair(self, entity: str) -> Pair:
        return Pair(source=self.ctx.flow.source.name, entity=entity, target=self.ctx.flow.target.name)

    def _bind(self, entity: str, natural: str, target_id: str, *, hash: str) -> None:
        with self.ctx.store.begin() as conn:
            self.ctx.binder.bind(conn, self._pair(entity), [Result(source_id=natural, target_id=target_id,
                                                                   natural_key=natural, hash=hash,
                                                                   flow=self.ctx.flow.name)])
