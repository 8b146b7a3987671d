"""The base of every canonical entity: a name for its kind and a stable content hash."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar

from pydantic import AfterValidator, BaseModel, ConfigDict


def _aware_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("timestamp has no time zone; tradewind keeps aware UTC times only")
    return value.astimezone(UTC)


UtcDateTime = Annotated[datetime, AfterValidator(_aware_utc)]
"""An aware datetime, normalised to UTC. Naive times are refused, never guessed."""


class Entity(BaseModel):
    """A canonical record. ``kind`` names it in project files, bindings and expressions."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    kind: ClassVar[str] = "entity"


_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), default=str, ensure_ascii=False)
"""Made once: the run loop hashes every record (an encoder holds no state between calls)."""


def content_hash(payload: Any) -> str:
    """SHA-256 of a JSON-able payload in canonical form (sorted keys, no whitespace).

    The run loop hashes what it would write; equal hashes mean the target already holds it.
    """
    text = _CANONICAL.encode(payload)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()  # a lone surrogate hashes too
