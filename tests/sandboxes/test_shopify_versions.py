"""The Shopify sandbox follows Shopify's version lifecycle, and every answer says what it served."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest

from tradewind.sandboxes._serve import Served
from tradewind.sandboxes.shopify import create_app
from tradewind.sandboxes.shopify.versions import at_least, window

TOKEN = "shpat_versions"
QUERY = {"query": "{ shop { name } }"}


@pytest.fixture(scope="module")
def server() -> Iterator[Served]:
    """A shop standing on 5 December 2026."""
    app = create_app(token=TOKEN, bucket_size=None)
    app.state.sandbox.clock = lambda: datetime(2026, 12, 5, 12, tzinfo=UTC)
    with Served(app) as served:
        yield served


@pytest.mark.parametrize(
    ("day", "supported", "candidate"),
    [
        (datetime(2026, 12, 5, 12, tzinfo=UTC), ("2026-01", "2026-04", "2026-07", "2026-10"), "2027-01"),
        # 2026-10 is released at 17:00 UTC; 2025-10 is supported until then
        (datetime(2026, 10, 1, 16, 59, tzinfo=UTC), ("2025-10", "2026-01", "2026-04", "2026-07"), "2026-10"),
        (datetime(2026, 10, 1, 17, 0, tzinfo=UTC), ("2026-01", "2026-04", "2026-07", "2026-10"), "2027-01"),
        (datetime(2027, 1, 2, tzinfo=UTC), ("2026-04", "2026-07", "2026-10", "2027-01"), "2027-04"),
    ],
)
def test_the_supported_window_on_a_day(day: datetime, supported: tuple[str, ...], candidate: str) -> None:
    now = window(day)
    assert supported == now.supported
    assert candidate == now.release_candidate


@pytest.mark.parametrize(
    ("asked", "served"),
    [
        ("2026-07", "2026-07"),  # supported: as asked
        ("2026-01", "2026-01"),  # the oldest supported
        ("2025-04", "2026-01"),  # past its support: falls forward to the oldest supported
        ("2025-10", "2026-01"),
        ("2026-02", "2026-01"),  # never a version: the oldest supported
        ("2031-04", "2026-01"),  # not released yet
        ("2027-01", "2027-01"),  # the release candidate
        ("unstable", "unstable"),
    ],
)
def test_each_answer_names_the_version_served(server: Served, asked: str, served: str) -> None:
    url = f"{server.url}/admin/api/{asked}/graphql.json"
    answer = httpx.post(url, json=QUERY, headers={"X-Shopify-Access-Token": TOKEN})
    assert 200 == answer.status_code and "data" in answer.json()
    assert served == answer.headers["X-Shopify-API-Version"]
    refused = httpx.post(url, json=QUERY, headers={"X-Shopify-Access-Token": "wrong"})
    assert 401 == refused.status_code and served == refused.headers["X-Shopify-API-Version"]


def test_a_path_that_is_no_version_is_not_found(server: Served) -> None:
    answer = httpx.post(f"{server.url}/admin/api/latest/graphql.json", json=QUERY,
                        headers={"X-Shopify-Access-Token": TOKEN})
    assert 404 == answer.status_code


def test_behaviour_by_version() -> None:
    assert at_least("2026-07", "2026-04") and at_least("2026-04", "2026-04") and at_least("unstable", "2026-04")
    assert not at_least("2026-01", "2026-04")
