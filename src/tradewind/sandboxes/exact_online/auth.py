"""OAuth2 of the Exact Online sandbox: the token endpoint's decisions, bearer checks, and the
``/api/oauth2/{auth,token}`` routes.

Sources: token JSON with ``expires_in`` as a *string* of 600 seconds — picqer
``src/Picqer/Financials/Exact/Connection.php`` (``getTimestampFromExpiresIn`` demands ``ctype_digit``),
ossobv ``exactonline/rawapi.py``; the rules since 2021-07-01 (Exact KB via docs.maesn.com/rate-limits;
forums.invantive.com "Impact Exact Online API adjustments July 1, 2021" and "Exact Online error message:
Old refresh token used"): each refresh rotates the refresh token and a spent one is refused
(``invalid_grant``), and a new access token is handed out at most once per 9.5 minutes, modelled by
``min_refresh_interval=570`` (off by default, so fixtures may refresh at will). The body Exact sends for
a too-early refresh is not published: the sandbox answers 400 ``invalid_request`` with a description
**[uncertain]**.
"""

from __future__ import annotations

import base64
import secrets
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response

from tradewind.sandboxes.exact_online.schema import ExactError

MIN_REFRESH_INTERVAL = 570.0
"""Exact's rule: one access token per 9.5 minutes (pass it as ``min_refresh_interval`` to enforce it)."""


@dataclass
class TokenDesk:
    """Issued OAuth2 credentials (refresh tokens, access tokens with their expiry, authorization
    codes) and the token endpoint's rules; ``exchanges`` counts granted refreshes, ``too_early``
    the refreshes refused by ``min_refresh_interval``."""

    client_id: str
    client_secret: str
    clock: Callable[[], float]
    lock: threading.RLock
    token_ttl: int = 600
    rotate_refresh_tokens: bool = True
    min_refresh_interval: float = 0.0
    refresh: set[str] = field(default_factory=set)
    access: dict[str, float] = field(default_factory=dict)
    codes: set[str] = field(default_factory=set)
    refreshed_at: float | None = None
    exchanges: int = 0
    too_early: int = 0

    def issue_token(self) -> dict[str, str]:
        """Issue a fresh access/refresh token pair, as a successful grant would."""
        with self.lock:
            access = secrets.token_urlsafe(32)
            self.access[access] = self.clock() + self.token_ttl
            refresh = secrets.token_urlsafe(24)
            self.refresh.add(refresh)
            return {"access_token": access, "token_type": "bearer", "expires_in": str(self.token_ttl),
                    "refresh_token": refresh}

    def issue_code(self) -> str:
        with self.lock:
            code = secrets.token_urlsafe(16)
            self.codes.add(code)
            return code

    def grant(self, form: Mapping[str, str], basic: tuple[str, str] | None) -> tuple[int, dict[str, str]]:
        """The token endpoint's decision: (status, JSON body)."""
        with self.lock:
            client = basic or (form.get("client_id", ""), form.get("client_secret", ""))
            if client != (self.client_id, self.client_secret):
                return 400, {"error": "invalid_client"}
            kind = form.get("grant_type")
            if kind == "refresh_token":
                return self._refresh(form.get("refresh_token"))
            if kind == "authorization_code":
                code = form.get("code")
                if not code or code not in self.codes:
                    return 400, {"error": "invalid_grant"}
                self.codes.discard(code)
                return 200, self.issue_token()
            return 400, {"error": "unsupported_grant_type" if kind else "invalid_request"}

    def _refresh(self, token: str | None) -> tuple[int, dict[str, str]]:
        if not token or token not in self.refresh:
            return 400, {"error": "invalid_grant"}
        last = self.refreshed_at
        if self.min_refresh_interval and last is not None and self.clock() - last < self.min_refresh_interval:
            self.too_early += 1
            return 400, {"error": "invalid_request",
                         "error_description": "Access token requested too early: at most one every 9.5 minutes"}
        self.refreshed_at = self.clock()
        self.exchanges += 1
        issued = self.issue_token()
        self.refresh.discard(issued["refresh_token"])
        if self.rotate_refresh_tokens:
            self.refresh.discard(token)
            self.refresh.add(issued["refresh_token"])
        else:
            issued["refresh_token"] = token
        return 200, issued

    def authenticate(self, header: str | None) -> None:
        """401 unless ``Authorization: Bearer <live token>``."""
        scheme, _, token = (header or "").partition(" ")
        expiry = self.access.get(token.strip()) if scheme.lower() == "bearer" else None
        if expiry is None or expiry <= self.clock():
            raise ExactError(401, "Unauthorized", {"WWW-Authenticate": 'Bearer error="invalid_token"'})


def _desk(request: Request) -> TokenDesk:
    desk: Any = request.app.state.sandbox.tokens
    assert isinstance(desk, TokenDesk)
    return desk


async def token_route(request: Request) -> Response:
    """``POST /api/oauth2/token``: form-encoded grants, client credentials in the form or Basic."""
    fields = dict(parse_qsl((await request.body()).decode(), keep_blank_values=True))
    status, body = _desk(request).grant(fields, _basic(request.headers.get("authorization")))
    return JSONResponse(body, status_code=status, headers={"Cache-Control": "no-store"})


def _basic(header: str | None) -> tuple[str, str] | None:
    scheme, _, value = (header or "").partition(" ")
    if scheme.lower() != "basic":
        return None
    user, _, password = base64.b64decode(value).decode().partition(":")
    return user, password


async def authorize_route(request: Request) -> Response:
    """``GET /api/oauth2/auth``: consent is implied, so it redirects straight back with a one-time
    code (the sandbox has no users)."""
    desk = _desk(request)
    params = request.query_params
    if params.get("client_id") != desk.client_id or not params.get("redirect_uri"):
        return PlainTextResponse("invalid client_id or redirect_uri", status_code=400)
    query = urlencode({"code": desk.issue_code(), **({"state": params["state"]} if "state" in params else {})})
    separator = "&" if "?" in params["redirect_uri"] else "?"
    return RedirectResponse(f"{params['redirect_uri']}{separator}{query}", status_code=302)
