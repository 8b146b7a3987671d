"""The pages around the API: login and logout, who am I (with the session's CSRF token), the
health check, the OpenAPI document and its viewer. The web app's pages are in :mod:`tradewind.api.web`."""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel

from tradewind.api.accounts import LockedOut, Principal
from tradewind.api.models import AUTH_RESPONSES, HTML_PAGE
from tradewind.api.security import SESSION_COOKIE, Require
from tradewind.api.web import render

LOGIN_COOKIE = "tw_login"
router = APIRouter()
Viewer = Annotated[Principal, Depends(Require("viewer"))]
FIRST_USER = "No user exists yet: create one with `tradewind user add NAME --role admin`, then log in."


class Me(BaseModel):
    name: str
    role: str
    kind: str
    csrf_token: str | None


@router.get("/healthz", tags=["health"])
def healthz() -> dict[str, str]:
    return {"status": "ok"}


def _login_form(request: Request, message: str = "", status: int = 200) -> HTMLResponse:
    token = secrets.token_urlsafe(32)
    first = "" if request.app.state.accounts.has_users() else FIRST_USER
    response = render.env.get_template("login.html").render(who=None, csrf=None, notice="", path="/login",
                                                           token=token, message=message, first_user=first)
    answer = HTMLResponse(response, status_code=status)
    answer.set_cookie(LOGIN_COOKIE, token, httponly=True, samesite="strict", secure=_https(request))
    return answer


def _https(request: Request) -> bool:
    return request.url.scheme == "https"


@router.get("/login", response_class=HTMLResponse, tags=["session"])
def login_page(request: Request) -> HTMLResponse:
    return _login_form(request)


@router.post("/login", tags=["session"], responses={
    303: {"description": "Logged in"}, 401: {**HTML_PAGE, "description": "Wrong user name or password"},
    403: {**HTML_PAGE, "description": "The form expired"}, 429: {**HTML_PAGE, "description": "Locked out a while"}})
def login(request: Request, name: Annotated[str, Form(max_length=100)],
          password: Annotated[str, Form(max_length=1000)], csrf: Annotated[str, Form(max_length=100)]) -> Response:
    """Log in with a form (name, password, and the csrf field the login page set in a cookie)."""
    cookie = request.cookies.get(LOGIN_COOKIE, "")
    if not cookie or not hmac.compare_digest(cookie, csrf):
        return _login_form(request, "The form expired; please log in again.", 403)
    client = request.client.host if request.client else None
    try:
        opened = request.app.state.accounts.login(name, password, client)
    except LockedOut as locked:
        response = _login_form(request, str(locked), 429)
        response.headers["Retry-After"] = str(locked.retry_after)
        return response
    if opened is None:
        return _login_form(request, "Wrong user name or password.", 401)
    token, _ = opened
    done = RedirectResponse("/", status_code=303)
    done.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="strict", secure=_https(request),
                    max_age=12 * 3600)
    done.delete_cookie(LOGIN_COOKIE)
    return done


@router.post("/logout", tags=["session"], responses={303: {"description": "Logged out: to the login page"},
                                                    **AUTH_RESPONSES})
def logout(request: Request, who: Viewer) -> Response:
    if who.kind == "user":
        request.app.state.accounts.logout(request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/api/v1/me", response_model=Me, tags=["session"], responses=AUTH_RESPONSES)
def me(who: Viewer) -> Me:
    """Who is asking; a session also gets its CSRF token, to send as X-CSRF-Token on writes."""
    return Me(name=who.name, role=who.role, kind=who.kind, csrf_token=who.csrf)


@router.get("/openapi.json", include_in_schema=False)
def openapi(request: Request, who: Viewer) -> JSONResponse:
    return JSONResponse(request.app.openapi())


@router.get("/docs", include_in_schema=False)
def docs(who: Viewer) -> HTMLResponse:
    return get_swagger_ui_html(openapi_url="/openapi.json", title="tradewind API")


def refuse_browser(request: Request, error: HTTPException) -> Response | None:
    """A browser asking for a page without a session is sent to the login page instead of a 401."""
    wants_html = "text/html" in request.headers.get("accept", "")
    if error.status_code == 401 and wants_html and request.method == "GET" and not request.url.path.startswith("/api"):
        return RedirectResponse("/login", status_code=303)
    return None
