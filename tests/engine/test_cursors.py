"""The cursor value object: typed by what the source orders its changes by."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tradewind.connectors.base import FileName, SyncToken, UpdatedSince
from tradewind.engine.cursors import Cursor, parse_time
from tradewind.errors import ConfigError


def test_modification_times_resume_an_overlap_earlier_in_utc() -> None:
    cursor = Cursor(kind=UpdatedSince("updatedAt", overlap=timedelta(seconds=2)), stored="2026-05-01T12:00:00+02:00")
    assert "2026-05-01T09:59:58Z" == cursor.start


def test_a_time_without_a_zone_is_refused_unless_the_resource_declares_one() -> None:
    with pytest.raises(ConfigError, match="no time zone"):
        parse_time("2026-05-01T12:00:00")
    assert "2026-05-01T10:00:00+00:00" == parse_time("2026-05-01T12:00:00", "Europe/Amsterdam").isoformat()
    winter = Cursor(kind=UpdatedSince("Modified", overlap=timedelta(0), zone="Europe/Amsterdam"),
                    stored="2026-01-15T12:00:00")
    assert "2026-01-15T11:00:00Z" == winter.start


def test_the_cursor_never_moves_backwards() -> None:
    cursor = Cursor(kind=UpdatedSince("updatedAt"), stored="2026-05-01T10:00:00Z")
    assert (False, True, False) == (cursor.advance("2026-05-01T09:00:00Z"), cursor.advance("2026-05-01T11:00:00Z"),
                                    cursor.advance("2026-05-01T12:00:00+02:00"))
    assert "2026-05-01T11:00:00Z" == cursor.last


def test_sync_tokens_compare_as_numbers_and_file_names_as_text() -> None:
    token = Cursor(kind=SyncToken("Timestamp"), stored="99")
    assert token.advance("100") and "100" == token.last
    files = Cursor(kind=FileName(), stored="orders-0099.csv")
    assert (True, False) == (files.advance("orders-0100.csv"), files.advance("orders-0100.csv"))
    digits = Cursor(kind=FileName(), stored="9")
    assert not digits.advance("10"), "file names order as text, as they are read"


def test_record_versions_compare_by_the_cursor_kind() -> None:
    times = Cursor(kind=UpdatedSince("updatedAt"), stored=None)
    assert times.newer("2026-05-01T12:00:00+02:00", "2026-05-01T09:00:00Z")
    assert not times.newer("2026-05-01T09:00:00Z", "2026-05-01T12:00:00+02:00")
    assert not times.newer(None, "2026-05-01T09:00:00Z") and not times.newer("garbage", "2026-05-01T09:00:00Z")
    assert Cursor(kind=SyncToken("Timestamp"), stored=None).newer("100", "99")
