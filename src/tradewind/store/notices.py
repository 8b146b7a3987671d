"""Alerts already sent, remembered until their cause goes: a connection that needs re-authorisation
is reported once (not once per run) until a run through it succeeds again; a day's quota warning once
a day. Rows in ``notices``, so a restart neither repeats nor forgets them."""

from __future__ import annotations

from sqlalchemy import Connection, delete, select

from tradewind.store.db import now, upsert
from tradewind.store.tables import notices


def standing(conn: Connection, key: str) -> bool:
    """Whether the notice ``key`` was sent and its cause has not gone since."""
    return conn.execute(select(notices.c.key).where(notices.c.key == key)).first() is not None


def note(conn: Connection, key: str, subject: str) -> None:
    upsert(conn, notices, dict(key=key, sent_at=now(), subject=subject), keys=["key"], update=["sent_at", "subject"])


def clear(conn: Connection, key: str) -> bool:
    """The cause went (the connection works again): a later cause is reported anew."""
    return bool(conn.execute(delete(notices).where(notices.c.key == key)).rowcount)
