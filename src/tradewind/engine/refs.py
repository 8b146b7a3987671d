"""References: an order's customer by the flow's match rule, its lines' products by SKU.

A reference is looked up, in order, in this run's cache, in the bindings, and in the target by
natural key. A missing dependency the flow may create (a new customer for an order) is not
created while the record is encoded: it is *noted*, so that every other reference of the record
is checked first (an order with an unknown SKU creates no customer). The ``resolve`` step then
creates what the records of a batch still need — each dependency with a transfer of its own,
bound under its real source identity (the shop's customer id), with its own pend and bind so a
crash cannot duplicate it — and the records are encoded again with the new ids.

Look-ups are batched per page (``prefetch``): when the target resource says which entities its
encoding refers to (``Resource.refers_to``), the page's records are first encoded with a refs that
only notes what they ask for, and each entity's unbound keys are looked up with one ``find_many``
(an Exact ``or``-filter per URL's worth of e-mail addresses or SKUs). The answers serve the page's
real encoding, so a page of orders costs a few look-ups, not one per order and reference.

A binding answers a reference only when the flow that made it held, at the target connection, the
records the reference names: those of the resource the target resolves the entity in
(``resource_for``). Two resources can hold one kind under one natural key — Exact's contacts and its
accounts are both customers found by e-mail — and a binding the customers flow made (contact ↔ shop
customer) must not answer an order's customer, whose ``OrderedBy`` is an account (``_trusted``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tradewind.connectors.base import Ambiguous, Found, NativeRecord, Resource
from tradewind.engine.binder import Intent, Pair, Result
from tradewind.engine.context import RunContext
from tradewind.engine.flow import Flow
from tradewind.errors import MissingReference, OutcomeUnknown, RecordError, TransientError
from tradewind.model import Entity, content_hash
from tradewind.store import runs

NEW = "(new)"
"""What a dry run answers for a reference it would create."""


@dataclass
class Dependency:
    """A record another needs and the flow may create: the natural key it is found by, the
    identity it has in the source (falling back to that key), and what to create."""

    entity: str
    key: str
    value: str
    source_id: str
    payload: Entity
    created: str | None = field(default=None, compare=False)

    @property
    def natural(self) -> str:
        return f"{self.key}={self.value}"

    @property
    def placeholder(self) -> str:
        return f"(new {self.entity} {self.natural})"


class _Asked:
    """A refs that only notes what an encoding asks for (``prefetch``'s first pass)."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, dict[str, str | None]]] = []

    def __call__(self, entity: str, keys: Mapping[str, str | None], payload: Entity | None = None) -> str:
        self.asked.append((entity, dict(keys)))
        return f"(asked {entity})"


class Noting:
    """:meth:`TargetRefs.noting`'s block: a plain context manager, entered once per record mapped
    (a generator-based one costs three times as much)."""

    __slots__ = ("noted", "refs")

    def __init__(self, refs: TargetRefs) -> None:
        self.refs = refs
        self.noted: list[Dependency] = []

    def __enter__(self) -> list[Dependency]:
        self.refs._noted = self.noted
        return self.noted

    def __exit__(self, *exc: object) -> None:
        self.refs._noted = None


class TargetRefs:
    def __init__(self, ctx: RunContext, peers: Iterable[Flow] = ()) -> None:
        """``peers``: the project's flows, whose bindings may answer references (see ``_trusted``);
        none known, every binding of the entity may."""
        self.ctx = ctx
        self.peers = {flow.name: flow for flow in peers}
        if self.peers:
            self.peers[ctx.flow.name] = ctx.flow
        self._trust: dict[str, frozenset[str]] = {}
        self.cache: dict[str, str] = {}
        self._noted: list[Dependency] | None = None
        self._found: dict[str, Found] = {}
        """``entity:key=value`` → what this page's batched look-up answered (None: absent)."""

    def prefetch(self, entities: Sequence[Entity]) -> None:
        """Look up the references of a page's records at once, per entity and key; what is not
        answered here (a look-up that failed) is looked up one by one while encoding, as before."""
        self._found = {}
        res = self.ctx.target_res
        if not res.refers_to or res.encode is None or not entities:
            return
        asked = _Asked()
        for entity in entities:
            try:
                res.encode(entity, asked)
            except Exception:  # noqa: BLE001 — the real encoding reports it, naming the record
                continue
        wanted: dict[tuple[str, str], set[str]] = {}
        for kind, keys in asked.asked:
            try:
                key, value = self._choose(kind, keys)
            except RecordError:
                continue
            if kind in res.refers_to and f"{kind}:{key}={value}" not in self.cache:
                wanted.setdefault((kind, key), set()).add(value)
        for (kind, key), values in wanted.items():
            self._search(kind, key, sorted(values))

    def _search(self, entity: str, key: str, values: list[str]) -> None:
        unbound = []
        for value in values:
            bound = self._bound(entity, key, value)
            if bound is not None:
                self.cache[f"{entity}:{key}={value}"] = bound
            else:
                unbound.append(value)
        if not unbound:
            return
        try:
            found = self._resource(entity).find_many(self.ctx.target.client, [{key: v} for v in unbound])
        except (RecordError, TransientError) as error:
            self.ctx.log.warning("references_not_prefetched", entity=entity, key=key, error=str(error))
            return
        for value, record in zip(unbound, found, strict=True):
            self._found[f"{entity}:{key}={value}"] = record

    def noting(self) -> Noting:
        """Inside, a missing dependency the flow may create is noted (and a placeholder returned)
        instead of created; the list holds what the record needs."""
        return Noting(self)

    def __call__(self, entity: str, keys: Mapping[str, str | None], payload: Entity | None = None) -> str:
        key, value = self._choose(entity, keys)
        cached = self.cache.get(f"{entity}:{key}={value}")
        if cached is not None:
            return cached
        found = self._lookup(entity, key, value, payload)
        if found is not None:
            self.cache[f"{entity}:{key}={value}"] = found
            return found
        return self._missing(entity, key, value, payload, keys)

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
        """The target's resource for ``entity``, bound to the flow's connection (its options apply)."""
        resource = self.ctx.target.resource_for(entity)
        if resource is None:
            raise RecordError(f"{self.ctx.flow.target.name} has no {entity} resource to resolve references in")
        return resource

    def _bound(self, entity: str, key: str, value: str) -> str | None:
        """The target's id of ``entity`` by ``key``, from the bindings that can tell it."""
        return self.ctx.binder.id_by_natural_key(self.ctx.flow.target.name, entity, f"{key}={value}",
                                                 flows=self._trusted(entity))

    def _trusted(self, entity: str) -> frozenset[str] | None:
        """The flows whose bindings of ``entity`` hold, at the target connection, ids of the target's
        resource for it — not those whose end there is another resource of the kind (Exact's
        ``contacts`` beside ``customers``, the accounts an order's ``OrderedBy`` names). Bindings a
        flow of another kind made for ``entity`` were made here, through that resource (a customer
        an order needed). A binding of a flow no longer in the project is not trusted: its record is
        looked up in the target instead, and bound again. None: no peers known, all are trusted."""
        if not self.peers:
            return None
        if entity not in self._trust:
            target, resource = self.ctx.flow.target.name, self._resource(entity).name
            self._trust[entity] = frozenset(
                flow.name for flow in self.peers.values()
                if flow.entity != entity or all(name == resource for connection, name in (
                    (flow.source.name, flow.source_resource), (flow.target.name, flow.target_resource))
                    if connection == target))
        return self._trust[entity]

    def _lookup(self, entity: str, key: str, value: str, payload: Entity | None) -> str | None:
        target = self.ctx.flow.target.name
        bound = self._bound(entity, key, value)
        if bound is not None:
            return bound
        asked = f"{entity}:{key}={value}"
        record = self._found[asked] if asked in self._found else \
            self._resource(entity).find(self.ctx.target.client, {key: value})
        if record is None:
            return None
        if isinstance(record, Ambiguous):  # e.g. two accounts with one e-mail address: never pick one
            raise RecordError(f"{entity} {key} {value!r} matches several records in {target}: "
                              f"{', '.join(record.candidates)}; tradewind never picks one — remove the duplicates "
                              "there", field=key)
        if not self.ctx.dry_run:  # remembered, so later records cost no look-up
            source_id = getattr(payload, "source_id", None) or f"{key}={value}"
            with self.ctx.store.begin() as conn:
                self.ctx.binder.bind(conn, self._pair(entity), [Result(
                    source_id=source_id, target_id=record.id, natural_key=f"{key}={value}", hash="",
                    flow=self.ctx.flow.name)])
        return record.id

    def _missing(self, entity: str, key: str, value: str, payload: Entity | None,
                 keys: Mapping[str, str | None]) -> str:
        resource = self._resource(entity)
        allowed = entity in self.ctx.flow.create_missing and "create" in resource.can and resource.encode
        if payload is None or not allowed:
            known = ", ".join(f"{k} {v!r}" for k, v in keys.items() if v)
            raise MissingReference(f"{entity} with {known} is unknown in {self.ctx.flow.target.name}", entity=entity)
        if self.ctx.dry_run:
            return NEW
        dependency = Dependency(entity=entity, key=key, value=value, payload=payload,
                                source_id=getattr(payload, "source_id", None) or f"{key}={value}")
        if self._noted is None:
            return self.create(dependency, needed_by="")
        if dependency not in self._noted:
            self._noted.append(dependency)
        return dependency.placeholder

    # -- the resolve step: create what the records will be written with ------------------------------

    def create(self, dependency: Dependency, *, needed_by: str) -> str:
        """Create ``dependency`` in the target (once per run), with a transfer of its own."""
        cache_key = f"{dependency.entity}:{dependency.natural}"
        if cache_key in self.cache:
            return self.cache[cache_key]
        resource = self._resource(dependency.entity)
        assert resource.encode is not None
        native = resource.encode(dependency.payload, self)
        pair = self._pair(dependency.entity)
        transfer_id = self._receive(dependency)
        with self.ctx.store.begin() as conn:
            self.ctx.binder.pend(conn, pair, [Intent(source_id=dependency.source_id, natural_key=dependency.natural,
                                                     flow=self.ctx.flow.name, epoch=self.ctx.epoch)])
        try:
            record = self._create_once(resource, native, dependency)
        except (RecordError, TransientError) as error:
            self._end(transfer_id, "failed", f"not created for {needed_by or 'a record'}: {error}", None)
            raise
        with self.ctx.store.begin() as conn:
            self.ctx.binder.bind(conn, pair, [Result(source_id=dependency.source_id, target_id=record.id,
                                                     natural_key=dependency.natural, hash=content_hash(native),
                                                     flow=self.ctx.flow.name)])
        self._end(transfer_id, "created", f"created for {needed_by}" if needed_by else "created", record.id)
        self.cache[cache_key] = record.id
        self.ctx.counts[f"{dependency.entity}_created"] += 1
        self.ctx.log.info("dependency_created", entity=dependency.entity, natural_key=dependency.natural,
                          target_id=record.id)
        return record.id

    def _create_once(self, resource: Resource[Any], native: dict[str, Any], dependency: Dependency) -> NativeRecord:
        """Create, and settle a lost answer by looking the record up: it is never created twice."""
        try:
            return resource.create(self.ctx.target.client, native)
        except OutcomeUnknown:
            found = resource.find(self.ctx.target.client, {dependency.key: dependency.value})
            if isinstance(found, NativeRecord):
                return found
            raise

    def _receive(self, dependency: Dependency) -> int:
        with self.ctx.store.begin() as conn:
            (transfer_id,) = runs.add_transfers(conn, [dict(
                run_id=self.ctx.run_id, flow=self.ctx.flow.name, entity=dependency.entity,
                source_id=dependency.source_id, stage="received", attempt=1)])
        return transfer_id

    def _end(self, transfer_id: int, outcome: str, reason: str, target_id: str | None) -> None:
        stage = "failed" if outcome == "failed" else "written"
        with self.ctx.store.begin() as conn:
            runs.end_transfers(conn, [{"tid": transfer_id, "stage": stage, "outcome": outcome, "reason": reason,
                                       "target_id": target_id, "field": None, "natural_key": None}])

    def _pair(self, entity: str) -> Pair:
        return Pair(source=self.ctx.flow.source.name, entity=entity, target=self.ctx.flow.target.name)
