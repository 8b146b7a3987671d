"""The schema: Alembic migrations create exactly what ``tables.metadata`` declares, on both databases."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from tradewind.store import tables
from tradewind.store.db import Store, alembic_config

VERSIONS = Path(tables.__file__).parent / "alembic" / "versions"


def test_migrations_create_the_declared_schema(store: Store) -> None:
    inspector = sa.inspect(store.engine)
    expected = {name: {c.name for c in table.columns} for name, table in tables.metadata.tables.items()}
    actual = {name: {c["name"] for c in inspector.get_columns(name)} for name in inspector.get_table_names()
              if name != "alembic_version"}
    assert expected == actual
    with store.engine.connect() as conn:
        assert [] == compare_metadata(MigrationContext.configure(conn), tables.metadata)
    binding_keys = [c["column_names"] for c in inspector.get_unique_constraints("bindings")]
    assert [["source_connection", "entity", "source_id", "target_connection"]] == binding_keys


def _newest_revision_file() -> str:
    newest = sorted(VERSIONS.glob("[0-9]*.py"))[-1]
    match = re.search(r"^revision\s*=\s*['\"]([^'\"]+)['\"]", newest.read_text(), re.MULTILINE)
    assert match, f"{newest.name} declares no revision"
    return match.group(1)


def test_alembic_head_is_the_newest_revision_file(store: Store) -> None:
    scripts = ScriptDirectory.from_config(alembic_config(store.url))
    with store.engine.connect() as conn:
        applied = MigrationContext.configure(conn).get_current_revision()
    assert [_newest_revision_file()] * 2 == [scripts.get_current_head(), applied]
    store.upgrade()  # a second upgrade finds nothing to do


def test_utc_datetime_round_trip_returns_aware_utc(store: Store) -> None:
    written = datetime(2026, 5, 1, 12, 30, 15, 123456, tzinfo=timezone(timedelta(hours=2)))
    with store.begin() as conn:
        conn.execute(sa.insert(tables.cursors).values(flow="f", value="1", updated_at=written))
    same_instant_in_new_york = datetime(2026, 5, 1, 6, 30, 15, 123456, tzinfo=timezone(timedelta(hours=-4)))
    with store.begin() as conn:
        read = conn.execute(sa.select(tables.cursors.c.updated_at)).scalar_one()
        compared = [
            conn.execute(sa.select(tables.cursors.c.flow).where(condition)).scalars().all()
            for condition in (tables.cursors.c.updated_at == same_instant_in_new_york,
                              tables.cursors.c.updated_at < same_instant_in_new_york + timedelta(seconds=1))
        ]
    assert (datetime(2026, 5, 1, 10, 30, 15, 123456, tzinfo=UTC), UTC) == (read, read.tzinfo)
    assert [["f"], ["f"]] == compared


def test_utc_datetime_refuses_naive(store: Store) -> None:
    with pytest.raises(sa.exc.StatementError, match="naive datetime"), store.begin() as conn:
        conn.execute(sa.insert(tables.cursors).values(flow="f", value="1", updated_at=datetime(2026, 5, 1, 10, 0)))
