"""Accounts and switches on both databases: hashes only, lockout, revoke, pause, detail switch; and the CLI."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from tradewind.api import Accounts, LockedOut
from tradewind.cli import app
from tradewind.store import switches
from tradewind.store.db import Store, now
from tradewind.store.tables import api_tokens, users

PASSWORD = "a long enough password"


def test_passwords_and_tokens_are_kept_as_hashes_and_checked(store: Store) -> None:
    accounts = Accounts(store, max_failures=2)
    accounts.add_user("ann", PASSWORD, "operator")
    with pytest.raises(ValueError, match="exists already"):
        accounts.add_user("ann", PASSWORD, "viewer")
    with pytest.raises(ValueError, match="unknown role"):
        accounts.add_user("bob", PASSWORD, "root")
    token = accounts.create_token("ci", "viewer")
    with store.begin() as conn:
        assert conn.execute(select(users.c.password_hash)).scalar_one().startswith("$argon2id$")
        assert token not in str(conn.execute(select(api_tokens)).all())
    opened = accounts.login("ann", PASSWORD)
    assert opened is not None and accounts.session(opened[0]) == opened[1]
    assert accounts.login("ann", "wrong") is None and accounts.login("ann", "wrong") is None
    with pytest.raises(LockedOut):
        accounts.login("ann", PASSWORD)
    accounts.logout(opened[0])
    assert accounts.session(opened[0]) is None
    assert accounts.token(token) is not None
    assert accounts.revoke(accounts.tokens()[0].id) and accounts.token(token) is None


def test_switches_persist(store: Store) -> None:
    with store.begin() as conn:
        switches.set_paused(conn, "orders", True, by="ann")
        switches.set_detail(conn, "erp", now() + timedelta(days=1), by="ann")
        switches.set_detail(conn, "shop", now() - timedelta(seconds=1), by="ann")
    with store.begin() as conn:
        assert ({"orders"}, {"erp"}) == (switches.paused(conn), set(switches.detail_until(conn)))
        switches.set_paused(conn, "orders", False, by="ann")
        assert set() == switches.paused(conn)


def test_cli_adds_users_and_creates_lists_and_revokes_tokens(sqlite_store: Store) -> None:
    runner, db = CliRunner(), ["--database", sqlite_store.url]
    added = runner.invoke(app, ["user", "add", "eve", "--role", "admin", *db], env={"TRADEWIND_NEW_PASSWORD": PASSWORD})
    assert 0 == added.exit_code, added.output
    short = runner.invoke(app, ["user", "add", "joe", *db], env={"TRADEWIND_NEW_PASSWORD": "short"})
    assert 1 == short.exit_code and "at least 12" in short.output
    created = runner.invoke(app, ["token", "create", "monitoring", "--role", "viewer", *db])
    token = created.stdout.strip().splitlines()[-1]
    assert token.startswith("twk_") and Accounts(sqlite_store).token(token) is not None
    listed = runner.invoke(app, ["token", "list", *db])
    assert "monitoring" in listed.output and token not in listed.output
    assert 0 == runner.invoke(app, ["token", "revoke", "1", *db]).exit_code
    assert Accounts(sqlite_store).token(token) is None
    assert 1 == runner.invoke(app, ["token", "revoke", "1", *db]).exit_code
