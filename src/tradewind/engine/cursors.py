"""The cursor as a value object (dlt's incremental, STYLE rule 5), owned by the engine.

``start`` is what this run asked the source for (the stored value less the overlap window);
``last`` is the highest value whose transfers are all durable, saved at page boundaries only.
De-duplication inside the overlap uses the bindings' versions and content hashes, not a growing
list in the cursor row, so the row stays one short string whatever the volume.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from tradewind.connectors.base import CursorKind, FileName, SyncToken, UpdatedSince
from tradewind.errors import ConfigError


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
            moment = parse_time(self.stored, self.kind.zone) - self.kind.overlap
            return moment.isoformat().replace("+00:00", "Z")
        return self.stored

    def newer(self, version: str | None, than: str | None) -> bool:
        """Whether record version ``version`` is later than ``than`` (unknown versions are not)."""
        if version is None or than is None or self.kind is None:
            return False
        try:
            return _later(self.kind, version, than)
        except (ValueError, ConfigError):
            return False

    def advance(self, value: str | None) -> bool:
        """Take a page's resume value once the page is durable; never move backwards."""
        if value is None or self.kind is None:
            return False
        current = self.last or self.stored
        if current is not None and not _later(self.kind, value, current):
            return False
        self.last = value
        return True


def parse_time(value: str, zone: str | None = None) -> datetime:
    """A modification time in UTC. A value without an offset is read in the declared ``zone``;
    with none declared it is refused: a guessed zone would skip or repeat hours of changes."""
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        if zone is None:
            raise ConfigError(f"cursor value {value!r} has no time zone and the resource declares none",
                              hint="the connector must give times with an offset, or declare the vendor's zone "
                                   "(UpdatedSince(zone=...))")
        moment = moment.replace(tzinfo=ZoneInfo(zone))
    return moment.astimezone(UTC)


def _later(kind: CursorKind, value: str, current: str) -> bool:
    if isinstance(kind, FileName):
        return value > current
    if isinstance(kind, SyncToken):
        try:
            return int(value) > int(current)
        except ValueError:
            return value > current
    assert isinstance(kind, UpdatedSince)
    return parse_time(value, kind.zone) > parse_time(current, kind.zone)
