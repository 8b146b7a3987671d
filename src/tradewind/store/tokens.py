"""The token store: OAuth tokens that rotate (Exact's refresh tokens) survive restarts here."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from tradewind.store.db import Store, now, upsert
from tradewind.store.tables import tokens


class StoreTokens:
    """A :class:`~tradewind.connectors.base.TokenStore` backed by the database."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def get(self, key: str) -> dict[str, Any] | None:
        with self.store.begin() as conn:
            value = conn.execute(select(tokens.c.value).where(tokens.c.key == key)).scalar()
        return json.loads(value) if value else None

    def put(self, key: str, value: dict[str, Any]) -> None:
        with self.store.begin() as conn:
            upsert(conn, tokens, dict(key=key, value=json.dumps(value), updated_at=now()), keys=["key"],
                   update=["value", "updated_at"])
