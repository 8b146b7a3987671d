"""The cursor as a value object (dlt's incremental, STYLE rule 5), owned by the engine.

``start`` is what this run asked the source for (the stored value less the overlap window);
``last`` is the highest value whose transfers are all durable, saved at page boundaries only.
De-duplication inside the overlap uses the bindings' versions and content hashes, not a growing
list in the cursor row, so the row stays one short string whatever the volume.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from tradewind.connectors.base import CursorKind, SyncToken, UpdatedSince


@dataclass
class Cursor:
    kind: CursorKind
    stored: str | None
    last: str | None = None

    @property
    def start(self) -> str | None:
        """The value to read from: for modification times, the stored value minus the overlap."""
        if self.stored is None or self.kind is None:
            return None
        if isinstance(self.kind, UpdatedSince):
            moment = parse_time(self.stored) - self.kind.overlap
            return moment.isoformat().replace("+00:00", "Z")
        return self.stored

    def advance(self, value: str | None) -> bool:
        """Take a page's resume value once the page is durable; never move backwards."""
        if value is None or self.kind is None:
            return False
        current = self.last or self.stored
        if current is not None and not _later(self.kind, value, current):
            return False
        self.last = value
        return True


def parse_time(value: str) -> datetime:
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _later(kind: CursorKind, value: str, current: str) -> bool:
    if isinstance(kind, SyncToken):
        try:
            return int(value) > int(current)
        except ValueError:
            return value > current
    return parse_time(value) > parse_time(current)
