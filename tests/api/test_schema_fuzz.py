"""schemathesis against the app's own OpenAPI document, in process (ASGI transport, no network):
for every operation, with an admin token and with none, no answer is a 5xx and every answer's
status, content type and body are the ones the document declares.

Deterministic and small (``derandomize``, a few examples per operation), so CI stays quick; the
project behind the app is the end-to-end slice's, its sandboxes on loopback.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.e2e.slice import ENVIRON, World, start_world
from tradewind.api import Accounts, create_app
from tradewind.store.db import Store

EXAMPLES = 20
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
HOSTS = ["testserver", "localhost", "127.0.0.1"]


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, str, World]]:
    tmp = tmp_path_factory.mktemp("fuzz")
    with pytest.MonkeyPatch.context() as patch:
        for name, value in ENVIRON.items():
            patch.setenv(name, value)
        patch.setenv("TRADEWIND_WEBHOOK_SECRET_SHOP", "shpss_fuzz")
        store = Store(f"sqlite:///{Path(tmp) / 'tradewind.db'}")
        store.upgrade()
        world = start_world(tmp, store, products=4)
        world.run("products")
        accounts = Accounts(store)
        app = create_app(world.services, accounts=accounts, hosts=HOSTS)
        token = accounts.create_token("fuzz", "admin")
        try:
            yield app, token, world
        finally:
            app.state.worker.stop()
            world.exact.stop()
            world.shop.stop()
            store.dispose()


def operations(app: Any) -> list[Any]:
    schema = schemathesis.openapi.from_dict(app.openapi())
    return [result.ok() for result in schema.get_all_operations()]


@pytest.mark.parametrize("role", ["admin", None])
def test_every_operation_answers_as_documented(fuzzed: tuple[Any, str, World], role: str | None) -> None:
    app, token, _ = fuzzed
    headers = {"Authorization": f"Bearer {token}"} if role else {}
    ops = operations(app)
    assert len(ops) >= 15, [op.label for op in ops]
    failures: list[str] = []
    for op in ops:
        @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        @given(case=op.as_strategy())
        def fuzz(case: Any) -> None:
            case.call_and_validate(app=app, headers=headers, checks=CHECKS)

        try:
            fuzz()
        except BaseException as error:  # schemathesis's FailureGroup is a BaseExceptionGroup; report them all
            if isinstance(error, KeyboardInterrupt):
                raise
            failures.append(f"{op.label}: {str(error)[:600]}")
    assert not failures, "\n\n".join(failures)


@pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")
def test_unknown_stage_or_outcome_is_refused_naming_the_allowed_values(fuzzed: tuple[Any, str, World]) -> None:
    from starlette.testclient import TestClient

    app, token, _ = fuzzed
    with TestClient(app) as client:
        for name, allowed in (("outcome", "'created'"), ("stage", "'received'")):
            answer = client.get("/api/v1/transfers", params={name: "bogus"},
                                headers={"Authorization": f"Bearer {token}"})
            assert 422 == answer.status_code and allowed in answer.text
        kept = client.get("/api/v1/transfers", params={"outcome": "created"},
                          headers={"Authorization": f"Bearer {token}"})
        assert 200 == kept.status_code and {"created"} == {t["outcome"] for t in kept.json()["items"]}
