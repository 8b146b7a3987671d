"""Exact Online's OAuth refresh, safe when processes run side by side and when one dies.

Exact rotates the refresh token on every exchange and refuses a spent one, and it hands out a
new access token at most once per ~9.5 minutes (``reference/vendor-apis.md`` §2.1). So:

* an exchange happens under the token store's lock, and whoever gets the lock re-reads the
  store first: when another process refreshed meanwhile, its fresh access token is used;
* the rotated pair is stored the moment it arrives (its own commit, retried), and kept in memory
  until it is stored, so this process goes on working while the database is briefly away;
* an exchange whose answer was lost (``OutcomeUnknown``) may have spent the refresh token: the
  store is read again, then the same token is offered once more; Exact refusing it means the
  new pair is gone, and :class:`ReauthorisationNeeded` says so in one line;
* a refused stored token falls back to the one in the project's environment, so authorising
  again and setting ``EXACT_REFRESH_TOKEN`` is all a person does.

No token value ever enters an exception's message or cause.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import httpx
import structlog

from tradewind.connectors.base import TokenStore
from tradewind.connectors.http import default_translate, send
from tradewind.connectors.retry import RetryPolicy
from tradewind.errors import ConfigError, OutcomeUnknown, ReauthorisationNeeded, TradewindError, TransientError
from tradewind.log import register_secret

log = structlog.get_logger("tradewind.exact_online.auth")

TOKEN_MARGIN = 30.0
"""Seconds before expiry at which a bearer token is no longer used."""

SAVE_RETRY_SECONDS = 5.0
"""How soon a pair the store refused is offered to it again (it is used from memory meanwhile)."""

State = dict[str, Any]


@dataclass(frozen=True)
class Credentials:
    """What the refresh-token grant needs. The secrets are resolved values: never log this.

    ``refresh_env`` names the variable a person sets after authorising again (for messages).
    """

    client_id: str
    client_secret: str
    refresh_token: str
    refresh_env: str = "EXACT_REFRESH_TOKEN"

    def __repr__(self) -> str:
        return (f"Credentials(client_id={self.client_id!r}, client_secret=***, refresh_token=***, "
                f"refresh_env={self.refresh_env!r})")


def _live(state: State | None, now: float) -> bool:
    return bool(state and state.get("access_token") and float(state.get("expires_at", 0)) - TOKEN_MARGIN > now)


class TokenKeeper:
    """The access token of one division: from memory, from the store, or from an exchange."""

    def __init__(self, *, http: httpx.Client, token_url: str, credentials: Credentials, tokens: TokenStore,
                 key: str, retry: RetryPolicy, clock: Callable[[], float] = time.time) -> None:
        self.http = http
        self.token_url = token_url
        self.credentials = credentials
        self.tokens = tokens
        self.key = key
        self.retry = retry
        self.clock = clock
        self.state: State | None = None
        self.unsaved: State | None = None
        self._save_at = 0.0

    def access_token(self) -> str:
        if self.unsaved is not None and self.clock() >= self._save_at:
            self.save_pending()
        if not _live(self.state, self.clock()):
            stored = None if self.unsaved is not None else self._stored()  # memory holds the newest
            if _live(stored, self.clock()):
                self.state = stored
            else:
                return self.refresh()
        assert self.state is not None
        return str(self.state["access_token"])

    def refresh(self) -> str:
        """A new access token in place of the one held (expired, or refused by the API)."""
        held = (self.state or {}).get("access_token")
        with ExitStack() as locked:
            try:
                locked.enter_context(self.tokens.lock(self.key))
                stored = self._stored()
            except TransientError:
                if self.unsaved is None:
                    raise
                stored = None  # the store is away, and only this process holds the newest refresh token
            if _live(stored, self.clock()) and stored and stored["access_token"] != held:
                self.state = stored  # another process refreshed while we waited
            else:
                pair, fresh = self._trade_any(stored)
                self.state = pair
                if fresh:
                    self.unsaved = pair
                    self.save_pending()
        assert self.state is not None
        return str(self.state["access_token"])

    # -- exchanges ---------------------------------------------------------------------------

    def _candidates(self, stored: State | None) -> list[str]:
        """Refresh tokens to offer, newest first: the one not yet stored, the store's, the
        environment's (a person authorised again)."""
        tokens = [(self.unsaved or {}).get("refresh_token"), (stored or {}).get("refresh_token"),
                  self.credentials.refresh_token]
        return list(dict.fromkeys(str(token) for token in tokens if token))

    def _trade_any(self, stored: State | None) -> tuple[State, bool]:
        refused: ReauthorisationNeeded | None = None
        for token in self._candidates(stored):
            try:
                return self._trade(token)
            except ReauthorisationNeeded as error:
                refused = error
        assert refused is not None
        raise refused

    def _trade(self, refresh_token: str) -> tuple[State, bool]:
        """One exchange, and whether its pair is new (to store). A lost answer is settled by the
        store (another process?), then by offering the same token once more."""
        try:
            return self._exchange(refresh_token, self.retry), True
        except OutcomeUnknown:
            log.warning("token_answer_lost", account=self.key)
        stored = self._stored()
        if _live(stored, self.clock()) and stored and stored.get("refresh_token") != refresh_token:
            return stored, False
        try:
            return self._exchange(refresh_token, dataclasses.replace(self.retry, attempts=1)), True
        except ReauthorisationNeeded:
            raise self._refused("an exchange whose answer was lost spent it") from None
        except OutcomeUnknown:
            raise TransientError("Exact Online's token endpoint lost two answers in a row; the next "
                                 "attempt will tell whether the refresh token was spent") from None

    def _exchange(self, refresh_token: str, policy: RetryPolicy) -> State:
        form = {"grant_type": "refresh_token", "refresh_token": refresh_token,
                "client_id": self.credentials.client_id, "client_secret": self.credentials.client_secret}
        response = send(self.http, lambda: self.http.build_request("POST", self.token_url, data=form),
                        translate=self._translate, policy=policy, fenced=False)
        try:
            body = response.json()
            token, rotated = str(body["access_token"]), str(body.get("refresh_token") or refresh_token)
            expires_in = float(body.get("expires_in") or 600)
        except (KeyError, TypeError, ValueError):
            raise ConfigError("Exact Online's token answer has no usable access_token") from None
        register_secret(token)
        register_secret(rotated)
        return {"access_token": token, "expires_at": self.clock() + expires_in, "refresh_token": rotated}

    def _translate(self, response: httpx.Response) -> TradewindError | None:
        """The token endpoint's refusals: a refused grant needs a person; the rest is named."""
        status = response.status_code
        if status not in (400, 401, 403):
            return default_translate(response) if status >= 400 else None
        try:
            body = response.json()
        except ValueError:
            body = {}
        error = str(body.get("error") or "") if isinstance(body, dict) else ""
        if error == "invalid_client":
            return ConfigError("Exact Online refused the app's client id or secret (invalid_client)",
                               hint="check client_id and client_secret against the Exact App Center")
        if error == "invalid_grant" or status == 401 or not error:
            return self._refused(f"{status} {error or 'refused'}")
        described = body.get("error_description") if isinstance(body, dict) else None
        return ConfigError(f"Exact Online refused a new access token for {self.key}: "
                           f"{error}{f' ({described})' if described else ''}")

    def _refused(self, why: str) -> ReauthorisationNeeded:
        return ReauthorisationNeeded(
            f"Exact Online connection {self.key} needs re-authorisation: its refresh token was refused "
            f"({why}; a refresh may have been interrupted)",
            hint=f"authorise the app again and set {self.credentials.refresh_env}")

    # -- the store -----------------------------------------------------------------------------

    def _stored(self) -> State | None:
        state = self.tokens.get(self.key)
        for name in ("access_token", "refresh_token"):
            if state and state.get(name):
                register_secret(str(state[name]))
        return state

    def save_pending(self) -> bool:
        """Store the pair not yet stored; if the store fails, keep it in memory (this process goes
        on with it) and offer it again in ``SAVE_RETRY_SECONDS``. True when nothing is pending."""
        if self.unsaved is None:
            return True
        try:
            self.tokens.put(self.key, self.unsaved)
        except Exception as error:  # noqa: BLE001 - any store failure: the pair must live on in memory
            self._save_at = self.clock() + SAVE_RETRY_SECONDS
            log.error("token_not_stored", account=self.key, error=type(error).__name__, detail=str(error))
            return False
        self.unsaved = None
        return True


__all__ = ["TOKEN_MARGIN", "Credentials", "TokenKeeper"]
