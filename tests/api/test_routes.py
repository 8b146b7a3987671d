"""Every route of the app names who may call it: a new route without a role check fails here.

``EXPECTED`` is the whole route table with each route's least role (None: public, with its own
proof in :data:`tradewind.api.security.PUBLIC`). Each route is called over HTTP anonymously and
with every role's token: anonymous → 401, a lesser role → 403, enough → neither.
"""

from __future__ import annotations

import pytest
from fastapi.routing import APIRoute

from tests.api.conftest import Api
from tradewind.api import ROLES
from tradewind.api.security import PUBLIC, Require

EXPECTED: dict[tuple[str, str], str | None] = {
    ("GET", "/healthz"): None,
    ("GET", "/login"): None,
    ("POST", "/login"): None,
    ("POST", "/hooks/{connection}"): None,
    ("POST", "/logout"): "viewer",
    ("GET", "/static/tradewind.css"): None,
    ("GET", "/"): "viewer",
    ("GET", "/runs"): "viewer",
    ("GET", "/runs/{run_id}"): "viewer",
    ("GET", "/transfers/{transfer_id}"): "viewer",
    ("GET", "/failures"): "viewer",
    ("GET", "/search"): "viewer",
    ("POST", "/flows/{flow}/run"): "operator",
    ("POST", "/flows/{flow}/pause"): "operator",
    ("POST", "/flows/{flow}/resume"): "operator",
    ("POST", "/flows/{flow}/replay"): "operator",
    ("POST", "/connections/{connection}/detail-logging"): "admin",
    ("GET", "/docs"): "viewer",
    ("GET", "/openapi.json"): "viewer",
    ("GET", "/api/v1/me"): "viewer",
    ("GET", "/api/v1/connections"): "viewer",
    ("POST", "/api/v1/connections/{connection}/detail-logging"): "admin",
    ("GET", "/api/v1/flows"): "viewer",
    ("GET", "/api/v1/flows/{flow}"): "viewer",
    ("POST", "/api/v1/flows/{flow}/run"): "operator",
    ("POST", "/api/v1/flows/{flow}/replay"): "operator",
    ("POST", "/api/v1/flows/{flow}/pause"): "operator",
    ("POST", "/api/v1/flows/{flow}/resume"): "operator",
    ("GET", "/api/v1/runs"): "viewer",
    ("GET", "/api/v1/runs/{run_id}"): "viewer",
    ("GET", "/api/v1/transfers"): "viewer",
    ("GET", "/api/v1/transfers/{transfer_id}"): "viewer",
    ("GET", "/api/v1/transfers/{transfer_id}/snapshots"): "operator",
    ("GET", "/api/v1/bindings"): "viewer",
    ("GET", "/api/v1/failures"): "viewer",
    ("GET", "/metrics"): "viewer",
}
# path values naming nothing: a caller with enough rights gets 404, proving the check came first
VALUES = {"{connection}": "nothing", "{flow}": "nothing", "{run_id}": "00000000", "{transfer_id}": "999999"}


def routes(api: Api) -> dict[tuple[str, str], str | None]:
    """(method, path) → the role its ``Require`` dependency names, for every route of the app."""
    found: dict[tuple[str, str], str | None] = {}
    for route in api.served.app.routes:  # type: ignore[attr-defined]
        methods = sorted(set(getattr(route, "methods", None) or ()) - {"HEAD", "OPTIONS"})
        role = None
        if isinstance(route, APIRoute):
            roles = [d.call.role for d in route.dependant.dependencies if isinstance(d.call, Require)]
            role = roles[0] if roles else None
        for method in methods:
            found[(method, route.path)] = role  # type: ignore[attr-defined]
    return found


def test_the_route_table_is_known_and_each_route_declares_its_role(api: Api) -> None:
    assert EXPECTED == routes(api)
    assert {key for key, role in EXPECTED.items() if role is None} == set(PUBLIC)


def _path(template: str) -> str:
    for name, value in VALUES.items():
        template = template.replace(name, value)
    return template


@pytest.mark.parametrize(("method", "template"), [k for k, v in EXPECTED.items() if v is not None])
def test_each_route_refuses_anonymous_and_lesser_roles_over_http(api: Api, method: str, template: str) -> None:
    needed = EXPECTED[(method, template)]
    assert needed is not None
    path = _path(template)
    with api.client() as anonymous:
        assert 401 == anonymous.request(method, path).status_code
    for role in ROLES:
        with api.client(role) as client:
            status = client.request(method, path).status_code
        if ROLES.index(role) < ROLES.index(needed):
            assert 403 == status, (role, method, path)
        else:
            assert status not in (401, 403, 500), (role, method, path, status)


def test_public_routes_answer_without_credentials_and_hooks_demand_a_signature(api: Api) -> None:
    with api.client() as anonymous:
        assert {"status": "ok"} == anonymous.get("/healthz").json()
        assert 200 == anonymous.get("/login").status_code
        assert 401 == anonymous.post("/hooks/shop", content=b"{}").status_code
        assert 401 == anonymous.post("/hooks/nothing", content=b"{}").status_code
