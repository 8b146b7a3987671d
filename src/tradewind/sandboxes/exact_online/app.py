"""The HTTP face of the Exact Online sandbox: :func:`create_app` and its routes, dispatching
``/api/v1/{division}/{service}/{Entity}`` to reads and writes, in Exact's envelopes.

Sources: URLs ``/api/v1/{division}/…``, ``/api/v1/current/Me`` and ``/api/oauth2/{auth,token}`` — ossobv
``exactonline/storage/base.py``, ``api/v1division.py``, picqer ``Connection.php``; POST answers 201
``{"d":{…}}`` (``Prefer: return=representation``), PUT and DELETE 204 — ossobv ``api/unwrap.py``, picqer
``parseResponse``; errors in ``{"error":{"code":"","message":{"lang":"","value":…}}}``, a wrong division
as 403 ``Forbidden - WrongDivision`` — picqer ``parseExceptionForErrorMessages`` and its test fixtures;
malformed requests (bad JSON, unknown property, bad ``$filter``) answer 400 as WCF Data Services does.
The control plane (``/_sandbox/...``: calls, faults, seed, dump) comes from :mod:`tradewind.sandboxes._kit`.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tradewind.sandboxes._kit import KitMiddleware
from tradewind.sandboxes.exact_online import odata
from tradewind.sandboxes.exact_online.auth import authorize_route, token_route
from tradewind.sandboxes.exact_online.sandbox import ExactOnlineSandbox
from tradewind.sandboxes.exact_online.schema import ExactError, envelope
from tradewind.sandboxes.exact_online.views import VIEWS, Renderer, View, check_filter, page, parse_selection

_JSON = "application/json; charset=utf-8"
_PATH_RE = re.compile(r"^(?P<path>[A-Za-z]+(?:/[A-Za-z]+)+?)(?:\((?P<key>[^)]*)\))?(?P<count>/\$count)?$")


def _json(body: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    payload = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    return Response(payload, status_code=status, headers={"DataServiceVersion": "2.0", **(headers or {})},
                    media_type=_JSON)


def _error(exc: ExactError, headers: Mapping[str, str] | None = None) -> Response:
    return _json(envelope(exc.message), exc.status, {**(headers or {}), **exc.headers})


def _base(request: Request) -> str:
    return f"{request.url.scheme}://{request.url.netloc}"


async def _me(request: Request) -> Response:
    state: ExactOnlineSandbox = request.app.state.sandbox
    with state.lock:
        try:
            state.authenticate(request.headers.get("authorization"))
            rate = state.take_call()
        except ExactError as exc:
            return _error(exc)
        try:
            return _json(_me_body(state, request), headers=rate)
        except ExactError as exc:
            return _error(exc, rate)


_ME_TYPES = {"CurrentDivision": "int", "UserID": "guid", "UserName": "str", "FullName": "str", "Email": "str",
             "LanguageCode": "str", "DivisionCustomer": "guid"}


def _me_body(state: ExactOnlineSandbox, request: Request) -> dict[str, Any]:
    text = request.query_params.get("$select")
    if not text:
        raise ExactError(400, "$select is mandatory")
    names = [n.strip() for n in text.split(",") if n.strip()]
    names = list(_ME_TYPES) if names == ["*"] else names
    unknown = [n for n in names if n not in _ME_TYPES]
    if unknown:
        raise ExactError(400, f"No property '{unknown[0]}' exists in type 'Exact.Web.Api.System.Me'.")
    me = {"CurrentDivision": state.division, "UserID": str(uuid.uuid5(uuid.NAMESPACE_URL, "exact:sandbox:user")),
          "UserName": "sandbox", "FullName": "Sandbox User", "Email": "sandbox@example.com", "LanguageCode": "en-NL",
          "DivisionCustomer": str(uuid.uuid5(uuid.NAMESPACE_URL, f"exact:{state.division}:customer"))}
    row: dict[str, Any] = {"__metadata": {"uri": f"{_base(request)}/api/v1/current/Me(guid'{me['UserID']}')",
                          "type": "Exact.Web.Api.System.Me"}}
    row.update({n: me[n] for n in names})
    return {"d": {"results": [row]}}


async def _api(request: Request) -> Response:
    state: ExactOnlineSandbox = request.app.state.sandbox
    body = await request.body()
    with state.lock:
        try:
            state.authenticate(request.headers.get("authorization"))
            if request.path_params["division"] != str(state.division):
                raise ExactError(403, "Forbidden - WrongDivision")
            rate = state.take_call()
        except ExactError as exc:
            return _error(exc)
        try:
            return _dispatch(state, request, body, rate)
        except odata.ODataError as exc:
            return _error(ExactError(400, str(exc)), rate)
        except ExactError as exc:
            return _error(exc, rate)


def _resolve(rest: str) -> tuple[View, str | None, bool]:
    match = _PATH_RE.match(rest)
    view = VIEWS.get(match.group("path").lower()) if match else None
    if match is None or view is None:
        segment = rest.split("(")[0].rsplit("/", 1)[-1]
        raise ExactError(404, f"Resource not found for the segment '{segment}'.")
    key = match.group("key")
    if key is not None:
        values = odata.parse_literals(key)
        if len(values) != 1 or view.mode == "sync" or not isinstance(values[0], str):
            raise ExactError(400, f"Bad Request - Error in query syntax: invalid key '{key}'.")
        key = values[0]
    return view, key, bool(match.group("count"))


def _dispatch(state: ExactOnlineSandbox, request: Request, raw: bytes, rate: dict[str, str]) -> Response:
    view, key, count = _resolve(request.path_params["rest"])
    method = request.method
    params = dict(request.query_params)
    url = f"{_base(request)}{quote(request.url.path)}"
    if method == "GET":
        return _get(state, view, key, count, params, request, url, rate)
    if not view.writable:
        raise ExactError(405, f"Method {method} is not allowed on '{view.path}'.")
    if method == "POST" and key is None:
        created = state.create(view.entity, _body(raw))
        if "return=minimal" in request.headers.get("prefer", ""):
            return Response(status_code=204, headers=rate)
        everything = parse_selection({"$select": "*"}, view)
        location = Renderer(state, _base(request)).uri(view, created)
        return _json({"d": Renderer(state, _base(request)).record(view, created, everything)}, 201,
                     {**rate, "Location": location})
    if method == "PUT" and key is not None:
        state.update(view.entity, key, _body(raw))
        return Response(status_code=204, headers=rate)
    if method == "DELETE" and key is not None:
        state.delete(view.entity, key)
        return Response(status_code=204, headers=rate)
    raise ExactError(405, f"Method {method} is not allowed on this resource.")


def _get(state: ExactOnlineSandbox, view: View, key: str | None, count: bool, params: dict[str, str],
         request: Request, url: str, rate: dict[str, str]) -> Response:
    if count:
        check_filter(state, view, params)
        rows = state.rows(view, params.get("$filter"), [])
        return Response(str(len(rows)), headers=rate, media_type="text/plain")
    if key is None:
        return _json(page(state, view, params, url, _base(request)), headers=rate)
    sel = parse_selection(params, view, required=False)
    rec = state.get(view.entity, key)
    return _json({"d": Renderer(state, _base(request)).record(view, rec, sel)}, headers=rate)


def _body(raw: bytes) -> dict[str, Any]:
    try:
        body = json.loads(raw or b"null")
    except ValueError as exc:
        raise ExactError(400, "Error processing request stream. JSON text specified is not valid.") from exc
    if not isinstance(body, dict):
        raise ExactError(400, "Error processing request stream. A JSON object was expected.")
    return body


def create_app(*, division: int = 123456, client_id: str = "demo-client", client_secret: str = "demo-secret",
               refresh_token: str = "demo-refresh", minutely_limit: int | None = 60, daily_limit: int | None = 5000,
               token_ttl: int = 600, rotate_refresh_tokens: bool = True, seed: Mapping[str, Any] | None = None,
               rate_headers_on_429: bool = True, mandatory_filtering: bool = True,
               min_refresh_interval: float = 0.0) -> Starlette:
    """The Exact Online sandbox as an ASGI app; ``app.state.sandbox`` is its :class:`ExactOnlineSandbox`.

    ``None`` limits lift rate limiting (benchmarks). ``rate_headers_on_429=False`` drops the rate headers
    from 429 answers, as some observers report Exact doing; ``mandatory_filtering=False`` lifts Exact's
    refusal of unfiltered reads (``views.MANDATORY_FILTER``); ``min_refresh_interval=570`` refuses a
    refresh sooner than that after the last one, as Exact does.
    """
    state = ExactOnlineSandbox(division=division, client_id=client_id, client_secret=client_secret,
                               refresh_token=refresh_token, minutely_limit=minutely_limit, daily_limit=daily_limit,
                               token_ttl=token_ttl, rotate_refresh_tokens=rotate_refresh_tokens,
                               rate_headers_on_429=rate_headers_on_429, mandatory_filtering=mandatory_filtering,
                               min_refresh_interval=min_refresh_interval)
    if seed:
        state.seed(seed)
    routes = [
        Route("/api/oauth2/token", token_route, methods=["POST"]),
        Route("/api/oauth2/auth", authorize_route, methods=["GET"]),
        Route("/api/v1/current/Me", _me, methods=["GET"]),
        Route("/api/v1/{division}/{rest:path}", _api, methods=["GET", "POST", "PUT", "DELETE"]),
    ]
    app = Starlette(routes=routes, middleware=[Middleware(KitMiddleware, kit=state.kit, seed=state.seed,
                                                          dump=state.dump)])
    app.state.sandbox = state
    return app
