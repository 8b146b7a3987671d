"""The token store: OAuth tokens that rotate (Exact's refresh tokens) survive restarts here.

Values are sealed with the store's key (:mod:`tradewind.store.crypto`) before they reach the
database. A write is its own commit, retried a few times, so a rotated pair is durable the
moment it is received. ``lock(key)`` is a lock row with an expiry in ``token_locks``: it works
alike on SQLite and PostgreSQL, holds no transaction open across the vendor's call, and a
holder killed mid-exchange frees it by expiry (``LOCK_SECONDS``).
"""

from __future__ import annotations

import json
import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from tenacity import (
    RetryError,
    Retrying,
    retry_if_exception_type,
    retry_if_result,
    stop_after_attempt,
    stop_after_delay,
    wait_exponential,
    wait_random,
)

from tradewind.errors import TransientError
from tradewind.store.crypto import Vault, vault_for
from tradewind.store.db import Store, now, upsert
from tradewind.store.tables import token_locks, tokens

LOCK_SECONDS = 120.0
"""How long a token-exchange lock holds without release: longer than an exchange with its retries."""

WRITE_ATTEMPTS = 4


def _plain(value: str) -> bool:
    """A value written before tokens were sealed (plain JSON); sealed on its next write."""
    return value.lstrip().startswith("{")


def _db_failure(action: str, key: str, error: SQLAlchemyError) -> TransientError:
    """The database's complaint without its parameters or cause (they could carry a token)."""
    cause = getattr(error, "orig", None) or error
    first = str(cause).strip().splitlines()[0] if str(cause).strip() else ""
    return TransientError(f"could not {action} the tokens of {key}: {type(cause).__name__}: {first}")


class StoreTokens:
    """A :class:`~tradewind.connectors.base.TokenStore` backed by the database."""

    def __init__(self, store: Store, *, vault: Vault | None = None, lock_seconds: float = LOCK_SECONDS) -> None:
        self.store = store
        self._vault = vault
        self.lock_seconds = lock_seconds
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

    @property
    def vault(self) -> Vault:
        if self._vault is None:
            self._vault = vault_for(self.store.url)
        return self._vault

    def get(self, key: str) -> dict[str, Any] | None:
        try:
            with self.store.begin() as conn:
                value = conn.execute(select(tokens.c.value).where(tokens.c.key == key)).scalar()
        except SQLAlchemyError as error:
            raise _db_failure("read", key, error) from None
        if not value:
            return None
        found: dict[str, Any] = json.loads(value if _plain(value) else self.vault.open(value))
        return found

    def put(self, key: str, value: dict[str, Any]) -> None:
        """Seal and store ``value`` in its own commit; a busy or briefly lost database is tried again."""
        row = dict(key=key, value=self.vault.seal(json.dumps(value)), updated_at=now())
        try:
            for attempt in Retrying(retry=retry_if_exception_type(OperationalError), reraise=True,
                                    stop=stop_after_attempt(WRITE_ATTEMPTS), wait=wait_exponential(0.1, max=2)):
                with attempt, self.store.begin() as conn:
                    upsert(conn, tokens, row, keys=["key"], update=["value", "updated_at"])
        except SQLAlchemyError as error:
            raise _db_failure("store", key, error) from None

    # -- the lock around an exchange ---------------------------------------------------------

    @contextmanager
    def lock(self, key: str) -> Iterator[None]:
        """Hold ``key``'s exchange lock, waiting for another holder to release it or expire."""
        waiting = Retrying(retry=retry_if_result(lambda got: not got), wait=wait_random(0.05, 0.3),
                           stop=stop_after_delay(self.lock_seconds + 10))
        try:
            waiting(self._take, key)
        except RetryError:
            raise TransientError(f"the token exchange of {key} stayed locked by another process") from None
        try:
            yield
        finally:
            self._release(key)

    def _take(self, key: str) -> bool:
        """One try: insert the lock row, or take it over once expired. True when ours."""
        moment = now()
        module: Any = postgresql if self.store.dialect == "postgresql" else sqlite
        statement = module.insert(token_locks).values(
            key=key, holder=self.holder, expires_at=moment + timedelta(seconds=self.lock_seconds))
        statement = statement.on_conflict_do_update(
            index_elements=["key"], set_={"holder": statement.excluded.holder,
                                          "expires_at": statement.excluded.expires_at},
            where=token_locks.c.expires_at < moment).returning(token_locks.c.holder)
        try:
            with self.store.begin() as conn:
                return conn.execute(statement).first() is not None  # a row only when inserted or taken over
        except OperationalError:
            return False  # a busy database: try again like a held lock
        except SQLAlchemyError as error:
            raise _db_failure("lock", key, error) from None

    def _release(self, key: str) -> None:
        try:
            with self.store.begin() as conn:
                conn.execute(delete(token_locks).where(token_locks.c.key == key,
                                                       token_locks.c.holder == self.holder))
        except SQLAlchemyError:
            pass  # it expires by itself

    # -- key rotation ------------------------------------------------------------------------

    def rotate_keys(self) -> int:
        """Re-seal every stored token with the newest key (plain legacy values included); returns
        how many were re-sealed. A token rewritten meanwhile by a refresh is left as that refresh
        wrote it (compare-and-set), so rotation never brings back a spent refresh token."""
        with self.store.begin() as conn:
            rows = conn.execute(select(tokens.c.key, tokens.c.value)).all()
        done = 0
        for key, value in rows:
            sealed = self.vault.seal(value) if _plain(value) else self.vault.reseal(value)
            with self.store.begin() as conn:
                changed = conn.execute(update(tokens).where(tokens.c.key == key, tokens.c.value == value)
                                       .values(value=sealed, updated_at=now())).rowcount
            done += changed
        return done
