"""Shopify's API version lifecycle: which version a request is served as, on a given day.

Source: Shopify's "About Shopify API versioning" (https://shopify.dev/docs/api/usage/versioning):

* a stable version is released every quarter, on the first of January, April, July and October
  at 17:00 UTC, and named after that month (``2026-07``);
* each stable version is supported for (at least) twelve months after its release;
* the next quarter's version is available as the *release candidate* and ``unstable`` always is;
  both are accessible but not "supported";
* a request for a version that is no longer supported (or that never was one) is served as the
  oldest supported stable version ("falls forward"; the Shopify community answer
  https://community.shopify.com/t/is-the-older-version-of-shopify-api-2021-10-still-working/164634/2
  confirms it for the Admin API), and every answer's ``X-Shopify-API-Version`` header names the
  version actually served (shown in ``MONEI/Shopify-api-node#441``'s header dump).

The window is computed from the sandbox's clock, so a test can stand on any day.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

SOURCE = "https://shopify.dev/docs/api/usage/versioning"
RELEASE_MONTHS = (1, 4, 7, 10)
"""Stable versions are released in these months, on the first day."""
RELEASE_HOUR_UTC = 17
SUPPORT_MONTHS = 12
"""How long a stable version is supported after its release (Shopify's documented minimum)."""
UNSTABLE = "unstable"
FORMAT = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True)
class Window:
    """The versions Shopify serves on one day."""

    supported: tuple[str, ...]
    """Stable versions still supported, oldest first."""
    release_candidate: str

    @property
    def oldest(self) -> str:
        return self.supported[0]

    def served(self, requested: str) -> str:
        """The version a request for ``requested`` is answered in."""
        if requested in self.supported or requested in (self.release_candidate, UNSTABLE):
            return requested
        return self.oldest


def _release(version: str) -> datetime:
    year, month = (int(part) for part in version.split("-"))
    return datetime(year, month, 1, RELEASE_HOUR_UTC, tzinfo=UTC)


def _shift(year: int, month: int, months: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + months
    return index // 12, index % 12 + 1


def window(today: datetime) -> Window:
    """The supported stable versions and the release candidate on ``today`` (aware)."""
    year, month = today.year, max(m for m in RELEASE_MONTHS if m <= today.month)
    latest = f"{year}-{month:02d}"
    if today < _release(latest):  # released later today, at 17:00 UTC
        year, month = _shift(year, month, -3)
        latest = f"{year}-{month:02d}"
    supported = []
    for back in range(0, SUPPORT_MONTHS + 1, 3):
        y, m = _shift(year, month, -back)
        version = f"{y}-{m:02d}"
        y_end, m_end = _shift(y, m, SUPPORT_MONTHS)
        if today < datetime(y_end, m_end, 1, RELEASE_HOUR_UTC, tzinfo=UTC):
            supported.append(version)
    y, m = _shift(year, month, 3)
    return Window(supported=tuple(sorted(supported)), release_candidate=f"{y}-{m:02d}")


def at_least(version: str | None, since: str) -> bool:
    """Whether a served ``version`` has the behaviour introduced in ``since`` (``unstable`` has all)."""
    return version is None or version == UNSTABLE or version >= since


def is_version(text: str) -> bool:
    """Whether a URL segment has the shape of a version (``YYYY-MM`` or ``unstable``)."""
    return text == UNSTABLE or FORMAT.match(text) is not None
