"""Who may do what: users (argon2id passwords), sessions, API tokens, roles, and the lockout.

Every secret is kept only as a hash: passwords by argon2id (slow on purpose), session ids and
API tokens by SHA-256 (they are 256 random bits, so a fast hash is enough). A user who fails to
log in ``MAX_FAILURES`` times within ``WINDOW`` is locked out until the oldest of those failures
leaves the window; a success starts the count again.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from tradewind.store import api_tokens, users
from tradewind.store.api_tokens import ApiToken
from tradewind.store.db import Store, now

ROLES = ("viewer", "operator", "admin")
"""Each role may do what the ones before it may: viewers read, operators act, admins configure."""
MAX_FAILURES = 5
WINDOW = timedelta(minutes=15)
SESSION_LIFETIME = timedelta(hours=12)
MIN_PASSWORD = 12
TOKEN_PREFIX = "twk_"
NAME = re.compile(r"^[A-Za-z0-9_.@-]{1,100}$")


def at_least(role: str, needed: str) -> bool:
    return ROLES.index(role) >= ROLES.index(needed)


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


@dataclass(frozen=True)
class Principal:
    """Who is asking: a logged-in user (with the session's CSRF token) or a machine's API token."""

    name: str
    role: str
    kind: str  # "user" or "token"
    csrf: str | None = None


class LockedOut(Exception):
    def __init__(self, retry_after: timedelta) -> None:
        self.retry_after = max(1, int(retry_after.total_seconds()) + 1)
        super().__init__(f"too many failed logins; try again in {self.retry_after} seconds")


class Accounts:
    """Users, sessions and tokens over the store."""

    def __init__(self, store: Store, *, max_failures: int = MAX_FAILURES, window: timedelta = WINDOW) -> None:
        self.store = store
        self.max_failures = max_failures
        self.window = window
        self.hasher = PasswordHasher()
        self._dummy = self.hasher.hash(secrets.token_urlsafe(16))  # verified for unknown names: same cost

    def add_user(self, name: str, password: str, role: str) -> None:
        """Add a user; ValueError names what is wrong (name taken, role unknown, password too short)."""
        _check_role(role)
        if not NAME.match(name):
            raise ValueError("a user name is 1-100 letters, digits or _ . @ -")
        if len(password) < MIN_PASSWORD:
            raise ValueError(f"a password has at least {MIN_PASSWORD} characters")
        with self.store.begin() as conn:
            if users.by_name(conn, name) is not None:
                raise ValueError(f"a user named {name!r} exists already")
            users.add(conn, name=name, password_hash=self.hasher.hash(password), role=role)

    def reset_password(self, name: str, password: str) -> bool:
        """Give an existing user a new password; False when there is no such user."""
        if len(password) < MIN_PASSWORD:
            raise ValueError(f"a password has at least {MIN_PASSWORD} characters")
        with self.store.begin() as conn:
            user = users.by_name(conn, name)
            if user is not None:
                users.set_password(conn, user.id, self.hasher.hash(password))
        return user is not None

    def has_users(self) -> bool:
        with self.store.begin() as conn:
            return users.count(conn) > 0

    def login(self, name: str, password: str, address: str | None = None) -> tuple[str, Principal] | None:
        """A new session (cookie value, principal), or None for a wrong name or password.
        Raises :class:`LockedOut` while the name is locked (then the password is not even tried)."""
        self._refuse_if_locked(name)
        with self.store.begin() as conn:
            user = users.by_name(conn, name)
        ok = self._verify(user.password_hash if user else self._dummy, password) and user is not None
        with self.store.begin() as conn:
            users.attempt(conn, name=name, address=address, succeeded=bool(ok and user and not user.disabled))
        if not ok or user is None or user.disabled:
            return None
        if self.hasher.check_needs_rehash(user.password_hash):
            with self.store.begin() as conn:
                users.set_password(conn, user.id, self.hasher.hash(password))
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        with self.store.begin() as conn:
            users.purge_sessions(conn)
            users.open_session(conn, session_hash=digest(token), user_id=user.id, csrf=csrf,
                               expires_at=now() + SESSION_LIFETIME)
        return token, Principal(name=user.name, role=user.role, kind="user", csrf=csrf)

    def _verify(self, encoded: str, password: str) -> bool:
        try:
            return self.hasher.verify(encoded, password)
        except (VerificationError, InvalidHashError):
            return False

    def _refuse_if_locked(self, name: str) -> None:
        start = now() - self.window
        with self.store.begin() as conn:
            failed = users.failures_since(conn, name, start)
        if len(failed) >= self.max_failures:
            raise LockedOut(failed[-self.max_failures] + self.window - now())

    def session(self, cookie: str) -> Principal | None:
        with self.store.begin() as conn:
            found = users.session(conn, digest(cookie))
        if found is None:
            return None
        return Principal(name=found.user.name, role=found.user.role, kind="user", csrf=found.csrf)

    def logout(self, cookie: str) -> None:
        with self.store.begin() as conn:
            users.close_session(conn, digest(cookie))

    def create_token(self, name: str, role: str) -> str:
        """A new API token; the only time its value is seen (the store keeps its hash)."""
        _check_role(role)
        if not NAME.match(name):
            raise ValueError("a token name is 1-100 letters, digits or _ . @ -")
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with self.store.begin() as conn:
            api_tokens.add(conn, name=name, prefix=token[:10], token_hash=digest(token), role=role)
        return token

    def tokens(self) -> list[ApiToken]:
        with self.store.begin() as conn:
            return api_tokens.all_tokens(conn)

    def revoke(self, token_id: int) -> bool:
        with self.store.begin() as conn:
            return api_tokens.revoke(conn, token_id)

    def token(self, bearer: str) -> Principal | None:
        if not bearer.startswith(TOKEN_PREFIX):
            return None
        with self.store.begin() as conn:
            found = api_tokens.live(conn, digest(bearer))
        return Principal(name=found.name, role=found.role, kind="token") if found else None


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; roles: {', '.join(ROLES)}")
