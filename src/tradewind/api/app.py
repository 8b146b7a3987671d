"""The application: FastAPI with its routers, the request guard, and error answers that say what
was wrong (4xx) without a traceback, a secret or a stored value."""

from __future__ import annotations

import os
from typing import Any

import structlog
from fastapi import FastAPI, HTTPException, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import JSONResponse, Response

from tradewind.api import hooks, metrics, pages, v1, web
from tradewind.api.accounts import Accounts
from tradewind.api.security import Guard
from tradewind.engine.scheduler import Scheduler
from tradewind.engine.services import Services
from tradewind.errors import ConfigError

log = structlog.get_logger("tradewind.api")
HOSTS_ENV = "TRADEWIND_ALLOWED_HOSTS"
LOCAL_HOSTS = ["127.0.0.1", "localhost", "::1"]


def allowed_hosts(bound: str | None = None) -> list[str]:
    """Loopback names, the address served on, and ``TRADEWIND_ALLOWED_HOSTS`` (comma-separated)."""
    extra = [h.strip() for h in os.environ.get(HOSTS_ENV, "").split(",") if h.strip()]
    bound_names = [bound] if bound and bound not in ("0.0.0.0", "::") else []
    return LOCAL_HOSTS + bound_names + extra


def create_app(services: Services, scheduler: Any = None, *, hosts: list[str] | None = None,
               accounts: Accounts | None = None) -> FastAPI:
    """The API over ``services``; ``scheduler`` (when given) shows each flow's next run."""
    app = FastAPI(title="tradewind", version="1", docs_url=None, redoc_url=None, openapi_url=None,
                  description="Flows, runs, transfers, failures and bindings; run, replay, pause. "
                              "Send an API token as `Authorization: Bearer …` (`tradewind token create`).")
    app.state.services = services
    app.state.scheduler = scheduler
    app.state.accounts = accounts or Accounts(services.store)
    give_way = None
    if isinstance(scheduler, Scheduler):  # it hears webhook and API runs, and event runs give way to it
        scheduler.hear(services.listeners)
        give_way = scheduler.give_way
    app.state.worker = hooks.HookWorker(services, give_way=give_way)
    routers = (pages.router, *web.routers, v1.router, hooks.router, metrics.router)
    for router in routers:  # flat: every route listed in app.routes
        app.router.routes.extend(router.routes)
    app.add_middleware(Guard, allowed_hosts=hosts or allowed_hosts())
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(ConfigError, _config_error)
    app.add_exception_handler(Exception, _unexpected)
    return app


def first_user_hint(services: Services) -> str | None:
    """On a first start nobody can log in: how to create the first user (None once one exists)."""
    if Accounts(services.store).has_users():
        return None
    return (f"No user exists yet. Create one to log in: `tradewind user add NAME --role admin -p "
            f"{services.project.path}`; for machines: `tradewind token create NAME --role operator`")


async def _http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    return pages.refuse_browser(request, error) or await http_exception_handler(request, error)


async def _config_error(request: Request, error: Exception) -> Response:
    return JSONResponse({"detail": str(error)}, status_code=404)


async def _unexpected(request: Request, error: Exception) -> Response:
    log.error("api_error", path=request.url.path, error=type(error).__name__)
    return JSONResponse({"detail": "internal error; the server log has its kind"}, status_code=500)
