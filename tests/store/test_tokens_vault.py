"""The token vault: tokens sealed at rest, key rotation, the exchange lock, and no secret in errors."""

from __future__ import annotations

import secrets
import stat
import threading
import traceback
from pathlib import Path

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet

from tradewind.errors import ConfigError, TransientError
from tradewind.store.crypto import KEY_ENV, KEY_FILE_ENV, Vault, default_key_file, vault_for
from tradewind.store.db import Store, now
from tradewind.store.tables import tokens
from tradewind.store.tokens import StoreTokens

KEY = "exact_online:123456"


def pair() -> dict[str, object]:
    return {"access_token": "acc-" + secrets.token_urlsafe(16), "refresh_token": "ref-" + secrets.token_urlsafe(16),
            "expires_at": 1.5}


def raw(store: Store, key: str = KEY) -> str:
    with store.begin() as conn:
        return str(conn.execute(sa.select(tokens.c.value).where(tokens.c.key == key)).scalar_one())


def test_tokens_are_sealed_at_rest(store: Store) -> None:
    vault = Vault([Fernet.generate_key().decode()])
    value = pair()
    StoreTokens(store, vault=vault).put(KEY, value)
    stored = raw(store)
    assert str(value["access_token"]) not in stored and str(value["refresh_token"]) not in stored
    assert value == StoreTokens(Store(store.url), vault=vault).get(KEY)


def test_rotation_reseals_with_the_newest_key_and_seals_plain_rows(store: Store) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    value = pair()
    StoreTokens(store, vault=vault_for(store.url, {KEY_ENV: old})).put(KEY, value)
    with store.begin() as conn:  # a row written before tokens were sealed
        conn.execute(sa.insert(tokens).values(key="shopify:demo", value=sa.literal('{"access_token": "x"}'),
                                              updated_at=now()))
    rotating = StoreTokens(store, vault=vault_for(store.url, {KEY_ENV: f"{new}, {old}"}))
    assert {"access_token": "x"} == rotating.get("shopify:demo")
    assert 2 == rotating.rotate_keys()
    newest_only = StoreTokens(store, vault=Vault([new]))
    assert value == newest_only.get(KEY)
    assert {"access_token": "x"} == newest_only.get("shopify:demo")
    assert not raw(store, "shopify:demo").startswith("{")
    with pytest.raises(ConfigError, match="does not open"):
        StoreTokens(store, vault=Vault([old])).get(KEY)


def test_key_file_beside_sqlite_is_made_once_with_owner_only_mode(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/db/tradewind.db"
    first = vault_for(url, {})
    path = default_key_file(url)
    assert path == tmp_path / "db" / ".tradewind.key"
    assert 0o600 == stat.S_IMODE(path.stat().st_mode)
    assert "secret" == vault_for(url, {}).open(first.seal("secret"))
    assert "secret" == vault_for("sqlite:///elsewhere.db", {KEY_FILE_ENV: str(path)}).open(first.seal("secret"))


def test_server_database_key_file_lives_in_the_user_config(tmp_path: Path) -> None:
    url = "postgresql+psycopg://postgres@127.0.0.1/x"
    assert tmp_path / "tradewind" / "secret.key" == default_key_file(url, {"XDG_CONFIG_HOME": str(tmp_path)})


def test_a_bad_key_is_named_without_its_text() -> None:
    bad = "not-a-key-" + secrets.token_hex(12)
    with pytest.raises(ConfigError) as caught:
        vault_for("sqlite://", {KEY_ENV: bad})
    rendered = "".join(traceback.format_exception(caught.value))
    assert "not a Fernet key" in rendered and bad not in rendered


def test_lock_is_exclusive_across_stores_and_expires(store: Store) -> None:
    one, two = StoreTokens(store), StoreTokens(Store(store.url), lock_seconds=60)
    assert one._take(KEY)
    assert not two._take(KEY)
    one._release(KEY)
    assert two._take(KEY)
    two._release(KEY)
    short = StoreTokens(store, lock_seconds=-1)  # a holder killed mid-exchange: its lock is already past
    assert short._take(KEY)
    assert two._take(KEY)
    two._release(KEY)
    with two.lock(KEY):
        assert not one._take(KEY)
    assert one._take(KEY)


def test_lock_waits_for_the_holder(store: Store) -> None:
    holder, waiter = StoreTokens(store), StoreTokens(Store(store.url))
    order: list[str] = []

    def wait_for_lock() -> None:
        with waiter.lock(KEY):
            order.append("waiter")

    with holder.lock(KEY):
        thread = threading.Thread(target=wait_for_lock)
        thread.start()
        thread.join(0.5)  # the waiter polls meanwhile; a broken lock would let it in now
        order.append("holder")
    thread.join(30)
    assert ["holder", "waiter"] == order


def test_a_failed_write_carries_no_token(store: Store) -> None:
    value = pair()  # never registered with the log's masking: only the error's own text is tested
    tokens_store = StoreTokens(store, vault=Vault([Fernet.generate_key().decode()]))
    with store.begin() as conn:
        conn.execute(sa.text("DROP TABLE tokens"))
    with pytest.raises(TransientError) as caught:
        tokens_store.put(KEY, value)
    rendered = "".join(traceback.format_exception(caught.value))
    assert "could not store the tokens of exact_online:123456" in rendered
    for secret in (value["access_token"], value["refresh_token"]):
        assert str(secret) not in rendered


def test_engine_errors_hide_parameters(store: Store) -> None:
    secret = "param-" + secrets.token_urlsafe(12)
    with pytest.raises(sa.exc.SQLAlchemyError) as caught, store.begin() as conn:
        conn.execute(sa.text("INSERT INTO no_such_table (v) VALUES (:v)"), {"v": secret})
    assert secret not in "".join(traceback.format_exception(caught.value))


def test_cli_secrets_rotate(sqlite_store: Store) -> None:
    from typer.testing import CliRunner

    from tradewind.cli import app

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    value = pair()
    StoreTokens(sqlite_store, vault=Vault([old])).put(KEY, value)
    runner = CliRunner()
    refused = runner.invoke(app, ["secrets", "rotate", "--database", sqlite_store.url], env={KEY_ENV: new})
    assert 1 == refused.exit_code and "keep the old key listed after the new one" in refused.output
    done = runner.invoke(app, ["secrets", "rotate", "--database", sqlite_store.url], env={KEY_ENV: f"{new},{old}"})
    assert 0 == done.exit_code and "1 stored token(s) re-encrypted" in done.output
    assert value == StoreTokens(sqlite_store, vault=Vault([new])).get(KEY)
