"""Fixtures shared by the whole suite: a real store on SQLite and on PostgreSQL.

PostgreSQL is reached on 127.0.0.1:5432 (or ``TRADEWIND_TEST_PG``); each test gets a fresh
database that is dropped afterwards. When the server is missing, PostgreSQL tests skip — unless
``TRADEWIND_REQUIRE_SERVICES=1`` (CI sets it), which turns the skip into a failure.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from tradewind.connectors.exact_online.reference import forget_all as forget_reference
from tradewind.connectors.pacing import forget_budgets
from tradewind.store.db import Store

PG_ADMIN = os.environ.get("TRADEWIND_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


pytest_plugins = ["tests.cli_kit"]  # the CLI tests' fixtures (wide_console, cli_world)


def _require_services() -> bool:
    return os.environ.get("TRADEWIND_REQUIRE_SERVICES") == "1"


def _pg_admin() -> sa.Engine:
    return sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)


def postgres_available() -> str | None:
    """None when PostgreSQL answers, else why not."""
    try:
        with _pg_admin().connect() as conn:
            conn.exec_driver_sql("SELECT 1")
        return None
    except Exception as error:  # noqa: BLE001 - any failure means "not available"
        return f"PostgreSQL not reachable at {PG_ADMIN}: {type(error).__name__}"


@pytest.fixture(autouse=True)
def _fresh_budgets() -> Iterator[None]:
    forget_budgets()
    forget_reference()
    yield
    forget_budgets()
    forget_reference()


@pytest.fixture
def sqlite_store(tmp_path: object) -> Iterator[Store]:
    store = Store(f"sqlite:///{tmp_path}/tradewind.db")
    store.upgrade()
    yield store
    store.dispose()


@pytest.fixture
def postgres_store() -> Iterator[Store]:
    problem = postgres_available()
    if problem:
        if _require_services():
            pytest.fail(problem + " (TRADEWIND_REQUIRE_SERVICES=1)")
        pytest.skip(problem)
    name = f"tradewind_test_{uuid.uuid4().hex[:12]}"
    admin = _pg_admin()
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    store = Store(PG_ADMIN.rsplit("/", 1)[0] + f"/{name}")
    store.upgrade()
    try:
        yield store
    finally:
        store.dispose()
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest) -> Store:
    """A migrated store, once on SQLite and once on PostgreSQL."""
    return request.getfixturevalue(f"{request.param}_store")  # type: ignore[no-any-return]
