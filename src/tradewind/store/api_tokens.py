"""API tokens for machines: only a SHA-256 of each token is kept (the token is shown once),
with a short prefix to recognise it in a list; revoking stamps ``revoked_at``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, insert, select, update

from tradewind.store.db import now
from tradewind.store.tables import api_tokens


@dataclass(frozen=True)
class ApiToken:
    id: int
    name: str
    prefix: str
    role: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


def _token(row: object) -> ApiToken:
    m = row._mapping  # type: ignore[attr-defined]
    return ApiToken(**{k: m[k] for k in ApiToken.__dataclass_fields__})


def add(conn: Connection, *, name: str, prefix: str, token_hash: str, role: str) -> int:
    result = conn.execute(insert(api_tokens).values(name=name, prefix=prefix, hash=token_hash, role=role,
                                                    created_at=now()).returning(api_tokens.c.id))
    return int(result.scalar_one())


def live(conn: Connection, token_hash: str) -> ApiToken | None:
    """The unrevoked token with this hash, marked used now."""
    row = conn.execute(select(api_tokens).where(api_tokens.c.hash == token_hash,
                                                api_tokens.c.revoked_at.is_(None))).first()
    if row is None:
        return None
    conn.execute(update(api_tokens).where(api_tokens.c.id == row.id).values(last_used_at=now()))
    return _token(row)


def all_tokens(conn: Connection) -> list[ApiToken]:
    return [_token(row) for row in conn.execute(select(api_tokens).order_by(api_tokens.c.id))]


def revoke(conn: Connection, token_id: int) -> bool:
    """Revoke one token; False when there is no such live token."""
    return bool(conn.execute(update(api_tokens).where(api_tokens.c.id == token_id,
                                                      api_tokens.c.revoked_at.is_(None))
                             .values(revoked_at=now())).rowcount)
