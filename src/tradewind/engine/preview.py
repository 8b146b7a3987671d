"""``tradewind mapping preview``: one record through decode, encode and the flow's mapping, with
no system called (references show as placeholders).

The record is given as the vendor's API answers it (an Exact Online REST row, a Shopify GraphQL
node); the source resource's ``from_api`` makes it the native record its ``decode`` takes, as its
``pages`` would have assembled it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from tradewind.engine.flow import Project
from tradewind.errors import ConfigError, RecordError
from tradewind.mapping import Preview, preview
from tradewind.model import Entity


class PlaceholderRefs:
    """Answers every reference with a readable placeholder instead of calling the target."""

    def __call__(self, entity: str, keys: Mapping[str, str | None], payload: Entity | None = None) -> str:
        known = ",".join(f"{k}={v}" for k, v in keys.items() if v)
        return f"<{entity} {known}>"


def preview_record(project: Project, flow_name: str, raw: Any, *, is_update: bool = False) -> Preview:
    """What the flow makes of ``raw``, a source record exactly as the source's API answers it."""
    flow = project.flows.get(flow_name)
    if flow is None:
        raise ConfigError(f"no flow named {flow_name!r}", hint=f"flows: {', '.join(sorted(project.flows))}")
    source = flow.source.open().resource(flow.source_resource)  # opening calls nothing; the
    target = flow.target.open().resource(flow.target_resource)  # copies carry connection settings
    native = source.from_api(raw, flow.source.options)
    try:
        entity = source.decode(native)
    except ValidationError as error:
        first = error.errors()[0]
        raise RecordError(first["msg"], field=".".join(str(p) for p in first["loc"])) from None
    encode = target.encode
    if encode is None:
        raise ConfigError(f"{flow.target_resource} of {flow.target.name} cannot be written")
    encoded = encode(entity, PlaceholderRefs())
    if flow.mapping is None:
        return Preview(result=encoded, changed=[])
    context = {flow.entity: entity.model_dump(mode="python"), "source": native}
    return preview(flow.mapping, encoded, context, is_update=is_update)
