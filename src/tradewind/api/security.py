"""Every request's checks: who is asking (a session cookie or a bearer token), whether their role
suffices, CSRF for cookie-authenticated writes, the Host and Origin headers, security headers.

Each route declares its role with ``Depends(Require("viewer"))``; a route without one is refused
by the route test unless it is one of :data:`PUBLIC`, each of which proves itself another way.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from fastapi import HTTPException, Request, Response
from starlette.middleware.base import BaseHTTPMiddleware

from tradewind.api.accounts import Accounts, Principal, at_least

SESSION_COOKIE = "tw_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
PUBLIC = {
    ("GET", "/healthz"): "answers only {'status': 'ok'}",
    ("GET", "/login"): "the login form",
    ("POST", "/login"): "checks the password (with lockout) and a login CSRF cookie",
    ("POST", "/hooks/{connection}"): "the vendor's HMAC signature over the raw body",
    ("GET", "/static/tradewind.css"): "the web app's stylesheet, a fixed file of the package (the login page uses it)",
}
"""Routes without a role, and what proves a caller instead."""

HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # not no-referrer: under it Chromium sends "Origin: null" with a form's POST, and the Origin check refuses it
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Cache-Control": "no-store",
}
CSP = "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
DOCS_CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
            "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; img-src 'self' data: https:; "
            "frame-ancestors 'none'; base-uri 'none'")


def principal(request: Request) -> Principal | None:
    """The caller, from ``Authorization: Bearer`` or the session cookie; None when neither is valid."""
    accounts: Accounts = request.app.state.accounts
    header = request.headers.get("authorization", "")
    if header:
        scheme, _, value = header.partition(" ")
        return accounts.token(value.strip()) if scheme.lower() == "bearer" else None
    cookie = request.cookies.get(SESSION_COOKIE)
    return accounts.session(cookie) if cookie else None


class Require:
    """A route's role: 401 without valid credentials, 403 for a lesser role or a write from a
    session without its CSRF token."""

    def __init__(self, role: str) -> None:
        self.role = role

    def __call__(self, request: Request) -> Principal:
        return self.check(request, request.headers.get(CSRF_HEADER, ""))

    def check(self, request: Request, sent: str) -> Principal:
        """The caller, when its role suffices and (a session's write) ``sent`` is its CSRF token."""
        who = principal(request)
        if who is None:
            raise HTTPException(401, "log in at /login, or send an API token as 'Authorization: Bearer …'",
                                headers={"WWW-Authenticate": "Bearer"})
        if not at_least(who.role, self.role):
            raise HTTPException(403, f"this needs the {self.role} role; you have {who.role}")
        writes = who.kind == "user" and request.method not in SAFE_METHODS
        if writes and not (who.csrf and hmac.compare_digest(sent.encode(), who.csrf.encode())):  # bytes: any text
            raise HTTPException(403, f"missing or wrong {CSRF_HEADER} header or csrf field (the session's "
                                         "CSRF token)")
        request.state.principal = who
        return who


Next = Callable[[Request], Awaitable[Response]]


class Guard(BaseHTTPMiddleware):
    """Host and Origin checks before any route; security headers on every answer."""

    def __init__(self, app: object, allowed_hosts: list[str]) -> None:
        super().__init__(app)  # type: ignore[arg-type]
        self.allowed = {h.lower() for h in allowed_hosts}

    async def dispatch(self, request: Request, call_next: Next) -> Response:
        refusal = self.refusal(request)
        if refusal is not None:
            response: Response = Response(refusal, status_code=400 if "Host" in refusal else 403,
                                          media_type="text/plain")
        else:
            response = await call_next(request)
        response.headers.update(HEADERS)
        csp = DOCS_CSP if request.url.path == "/docs" else CSP
        response.headers.setdefault("Content-Security-Policy", csp)
        return response

    def refusal(self, request: Request) -> str | None:
        host = request.headers.get("host", "")
        name = urlsplit(f"//{host}").hostname or ""
        if "*" not in self.allowed and name.lower() not in self.allowed:
            return "Host header not allowed (set TRADEWIND_ALLOWED_HOSTS)"
        origin = request.headers.get("origin")
        if request.method not in SAFE_METHODS and origin is not None \
                and urlsplit(origin).netloc.lower() != host.lower():
            return "cross-origin request refused"
        return None
