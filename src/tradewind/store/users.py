"""People who log in: users (argon2 hashes only), their sessions (hashed ids), login attempts.

The store keeps hashes it is handed; hashing and policy (lockout, roles) live in the API's
accounts module, so nothing here can tell a password or a session cookie.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, delete, func, insert, select, update

from tradewind.store.db import now
from tradewind.store.tables import login_attempts, sessions, users


@dataclass(frozen=True)
class User:
    id: int
    name: str
    role: str
    password_hash: str
    created_at: datetime
    disabled: bool


@dataclass(frozen=True)
class Session:
    user: User
    csrf: str
    expires_at: datetime


def _user(row: object) -> User:
    m = row._mapping  # type: ignore[attr-defined]
    return User(id=m["id"], name=m["name"], role=m["role"], password_hash=m["password_hash"],
                created_at=m["created_at"], disabled=bool(m["disabled"]))


def add(conn: Connection, *, name: str, password_hash: str, role: str) -> int:
    result = conn.execute(insert(users).values(name=name, password_hash=password_hash, role=role,
                                               created_at=now(), disabled=False).returning(users.c.id))
    return int(result.scalar_one())


def by_name(conn: Connection, name: str) -> User | None:
    row = conn.execute(select(users).where(users.c.name == name)).first()
    return _user(row) if row else None


def count(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(users)).scalar_one())


def set_password(conn: Connection, user_id: int, password_hash: str) -> None:
    conn.execute(update(users).where(users.c.id == user_id).values(password_hash=password_hash))


def open_session(conn: Connection, *, session_hash: str, user_id: int, csrf: str, expires_at: datetime) -> None:
    conn.execute(insert(sessions).values(id=session_hash, user_id=user_id, csrf=csrf, created_at=now(),
                                         expires_at=expires_at))


def session(conn: Connection, session_hash: str) -> Session | None:
    """The live session with this hashed id, or None (unknown, expired, or its user disabled)."""
    row = conn.execute(select(sessions.c.csrf, sessions.c.expires_at, users)
                       .join(users, users.c.id == sessions.c.user_id)
                       .where(sessions.c.id == session_hash, sessions.c.expires_at > now())).first()
    if row is None or row.disabled:
        return None
    return Session(user=_user(row), csrf=row.csrf, expires_at=row.expires_at)


def close_session(conn: Connection, session_hash: str) -> None:
    conn.execute(delete(sessions).where(sessions.c.id == session_hash))


def purge_sessions(conn: Connection) -> int:
    return int(conn.execute(delete(sessions).where(sessions.c.expires_at <= now())).rowcount)


def attempt(conn: Connection, *, name: str, address: str | None, succeeded: bool) -> None:
    conn.execute(insert(login_attempts).values(name=name[:100], address=(address or "")[:64] or None,
                                               succeeded=succeeded, at=now()))


def failures_since(conn: Connection, name: str, since: datetime) -> list[datetime]:
    """Times of failed attempts for ``name`` since ``since`` and after its last success, oldest first."""
    last_ok = conn.execute(select(func.max(login_attempts.c.at)).where(
        login_attempts.c.name == name, login_attempts.c.succeeded.is_(True))).scalar()
    start = max(since, last_ok) if last_ok is not None else since
    rows = conn.execute(select(login_attempts.c.at).where(
        login_attempts.c.name == name, login_attempts.c.succeeded.is_(False), login_attempts.c.at > start)
        .order_by(login_attempts.c.at))
    return list(rows.scalars())
