"""The Shopify sandbox as an ASGI app: the Admin GraphQL route, its auth and its version header.

``POST /admin/api/{version}/graphql.json`` with header ``X-Shopify-Access-Token``
(https://shopify.dev/docs/api/admin-graphql). A wrong or missing token answers 401
``{"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}``
(https://shopify.dev/docs/api/usage/response-codes); a body without ``query`` answers 400
``{"errors": {"query": "Required parameter missing or invalid"}}``; a path segment that is not a
version is 404. The version is served by Shopify's lifecycle (:mod:`.versions`): a supported one as
asked, an unsupported or unknown one as the oldest supported, and ``X-Shopify-API-Version`` says
which (``Shopify/shopify_python_api`` ``shopify/base.py`` reads that header). The control plane
under ``/_sandbox/`` comes from :mod:`tradewind.sandboxes._kit`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tradewind.sandboxes._kit import KitMiddleware
from tradewind.sandboxes.shopify.common import INVALID_TOKEN
from tradewind.sandboxes.shopify.execute import SERVED_VERSION
from tradewind.sandboxes.shopify.sandbox import ShopifySandbox
from tradewind.sandboxes.shopify.versions import is_version, window
from tradewind.sandboxes.shopify.webhooks import RETRY_WAITS


def create_app(
    *,
    token: str = "shpat_demo",
    shop: str = "demo.myshopify.com",
    bucket_size: float | None = 1000,
    restore_rate: float = 50,
    throttle_status: int = 200,
    seed: dict[str, Any] | None = None,
    webhook_secret: str = "shpss_demo",
    webhook_retry_waits: Sequence[float] = RETRY_WAITS,
) -> Starlette:
    """The sandbox as an ASGI app; ``app.state.sandbox`` is its :class:`ShopifySandbox`.

    ``bucket_size``/``restore_rate`` model the shop's plan (``bucket_size=None`` lifts throttling);
    ``throttle_status`` is the HTTP status of a THROTTLED answer (200 as Shopify documents, or 429);
    ``webhook_secret`` is the app's client secret deliveries are signed with, ``webhook_retry_waits``
    the seconds between a failed delivery's retries (:mod:`.webhooks`).
    """
    sandbox = ShopifySandbox(
        token=token, shop=shop, bucket_size=bucket_size, restore_rate=restore_rate, throttle_status=throttle_status,
        webhook_secret=webhook_secret, webhook_retry_waits=webhook_retry_waits,
    )
    if seed is not None:
        sandbox.seed(seed)

    async def graphql_endpoint(request: Request) -> JSONResponse:
        requested = request.path_params["version"]
        if not is_version(requested):
            return JSONResponse({"errors": "Not Found"}, status_code=404)
        served = window(sandbox.clock()).served(requested)
        headers = {"X-Shopify-API-Version": served}
        if request.headers.get("x-shopify-access-token") != sandbox.token:
            return JSONResponse({"errors": INVALID_TOKEN}, status_code=401, headers=headers)
        body = await _read_body(request)
        if body is None:
            return JSONResponse(
                {"errors": {"query": "Required parameter missing or invalid"}}, status_code=400, headers=headers
            )
        SERVED_VERSION.set(served)  # this request's context; the worker thread inherits it
        status, payload = await run_in_threadpool(sandbox.execute, body)
        return JSONResponse(payload, status_code=status, headers=headers)

    app = Starlette(
        routes=[Route("/admin/api/{version}/graphql.json", graphql_endpoint, methods=["POST"])],
        middleware=[Middleware(KitMiddleware, kit=sandbox.kit, seed=sandbox.seed, dump=sandbox.dump)],
        exception_handlers={404: _not_found, 405: _not_found},
    )
    app.state.sandbox = sandbox
    return app


async def _read_body(request: Request) -> dict[str, Any] | None:
    raw = await request.body()
    if request.headers.get("content-type", "").startswith("application/graphql"):
        return {"query": raw.decode("utf-8", "replace")}
    try:
        body = json.loads(raw or b"{}")
    except ValueError:
        return None
    if not isinstance(body, dict) or not isinstance(body.get("query"), str):
        return None
    return body


async def _not_found(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"errors": "Not Found"}, status_code=404)
