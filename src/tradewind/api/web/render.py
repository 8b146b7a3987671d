"""Pages from Jinja2 templates, autoescaped (every stored value is text from a vendor or a user),
with what every page shows: who is logged in, the session's CSRF token for its forms, and the
one-off notice an action left in a cookie for the page it redirects to."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, unquote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, StrictUndefined

from tradewind.api import privacy
from tradewind.api.accounts import Principal, at_least
from tradewind.api.web import diff

NOTICE_COOKIE = "tw_notice"
env = Environment(loader=PackageLoader("tradewind.api.web", "templates"), autoescape=True,
                  undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def when(value: datetime | None) -> str:
    """A stored time as UTC, to the second; '—' for none."""
    return "—" if value is None else f"{value.astimezone(UTC):%Y-%m-%d %H:%M:%S}"


def ago(value: datetime | None) -> str:
    if value is None:
        return ""
    seconds = int((datetime.now(UTC) - value).total_seconds())
    if seconds < 0:
        return f"in {_span(-seconds)}"
    return f"{_span(seconds)} ago"


def _span(seconds: int) -> str:
    for size, unit in ((86400, "d"), (3600, "h"), (60, "min")):
        if seconds >= size:
            return f"{seconds // size} {unit}"
    return f"{seconds} s"


env.filters.update(when=when, ago=ago, pretty=lambda payload: "\n".join(diff.pretty(payload)))


def page(request: Request, template: str, code: int = 200, **context: Any) -> HTMLResponse:
    """``template`` rendered for the caller (``request.state.principal``, set by the route's role)."""
    who: Principal | None = getattr(request.state, "principal", None)
    notice = unquote(request.cookies.get(NOTICE_COOKIE, ""))[:500]
    html = env.get_template(template).render(
        who=who, csrf=who.csrf if who else None, notice=notice, path=request.url.path,
        can_act=bool(who and at_least(who.role, "operator")), is_admin=bool(who and at_least(who.role, "admin")),
        personal=bool(who and privacy.personal(who)), mask=lambda text: privacy.mask(text, who) if who else text,
        **context)
    response = HTMLResponse(html, status_code=code)
    if notice:
        response.delete_cookie(NOTICE_COOKIE)
    return response


def back(request: Request, to: str | None, notice: str, fallback: str = "/") -> Response:
    """303 to the page the form came from (a local path only), leaving ``notice`` for it."""
    target = to if to and to.startswith("/") and not to.startswith("//") and "\\" not in to else fallback
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(NOTICE_COOKIE, quote(notice[:500]), httponly=True, samesite="strict",
                        secure=request.url.scheme == "https", max_age=60)
    return response
