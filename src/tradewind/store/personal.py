"""Personal keys as keyed hashes: an e-mail address in a transfer's or a failed record's natural key
(``email=jan@example.com``) is stored as ``email=~h:<HMAC>``, never readable, in the basic log that
is kept forever. A search or a replay by the address hashes what it is given the same way, so it
matches exactly (and regardless of case: addresses are lowered before hashing).

The HMAC key is a project secret: 32 random bytes made on first use and kept in the token store
(``tokens``), sealed by the store's secret key like the OAuth tokens (:mod:`tradewind.store.crypto`),
so rotating that key re-seals it and every stored hash still matches. Bindings keep their keys as
they are (they must match the target's records).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import threading
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.dialects import postgresql, sqlite

from tradewind.store.crypto import vault_for
from tradewind.store.db import now
from tradewind.store.tables import tokens

SECRET_NAME = "tradewind:personal-keys"
MARK = "~h:"
EMAIL = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")

_keys: dict[str, bytes] = {}
_lock = threading.Lock()


def hide(text: str | None, key: bytes) -> str | None:
    """``text`` with each e-mail address replaced by its keyed hash (idempotent)."""
    if text is None or "@" not in text:
        return text
    return EMAIL.sub(lambda m: MARK + hmac.new(key, m.group(0).lower().encode(), hashlib.sha256).hexdigest()[:32],
                     text)


def hider(conn: Connection) -> Hider:
    """The hash of this store's personal keys (its secret read, or made on first use)."""
    return Hider(_secret(conn))


class Hider:
    def __init__(self, key: bytes) -> None:
        self.key = key

    def __call__(self, text: str | None) -> str | None:
        return hide(text, self.key)


def _secret(conn: Connection) -> bytes:
    url = conn.engine.url.render_as_string(hide_password=False)
    with _lock:
        if url in _keys:
            return _keys[url]
    vault = vault_for(url)
    sealed = conn.execute(select(tokens.c.value).where(tokens.c.key == SECRET_NAME)).scalar()
    if sealed is None:
        made = vault.seal(json.dumps({"hmac_key": secrets.token_hex(32)}))
        module: Any = postgresql if conn.dialect.name == "postgresql" else sqlite
        conn.execute(module.insert(tokens).on_conflict_do_nothing(index_elements=["key"]),
                     dict(key=SECRET_NAME, value=made, updated_at=now()))  # another process may make it first
        sealed = conn.execute(select(tokens.c.value).where(tokens.c.key == SECRET_NAME)).scalar_one()
    key = bytes.fromhex(json.loads(vault.open(sealed))["hmac_key"])
    with _lock:
        _keys[url] = key
    return key
