"""The shared HTTP plumbing: one layer of retries, 429s waited out, errors translated.

``httpx.MockTransport`` stands in for a server here (STYLE rule 7: client edge cases such as a
reset connection); sleeps are recorded, never slept.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from tradewind.connectors.http import default_translate, retry_after_seconds, send, write_fence
from tradewind.connectors.retry import RetryPolicy
from tradewind.errors import LeaseLost, OutcomeUnknown, RateLimited, RecordError, TradewindError, TransientError

URL = "https://erp.test/api/items"


class Server:
    """Answers from a script, one per call; counts calls and records every sleep."""

    def __init__(self, *script: int | tuple[int, dict[str, str]] | Exception) -> None:
        self.script = list(script)
        self.calls = 0
        self.sleeps: list[float] = []
        self.seen: list[int] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        step = self.script[min(self.calls, len(self.script) - 1)]
        self.calls += 1
        if isinstance(step, Exception):
            raise step
        status, headers = step if isinstance(step, tuple) else (step, {})
        return httpx.Response(status, headers=headers, json={"ok": status < 400})

    def send(self, policy: RetryPolicy = RetryPolicy(attempts=3),
             translate: Callable[[httpx.Response], TradewindError | None] = default_translate,
             method: str = "GET", **kwargs: object) -> httpx.Response:
        with httpx.Client(transport=httpx.MockTransport(self.handle)) as http:
            return send(http, lambda: httpx.Request(method, URL), translate=translate, policy=policy,
                        after=lambda response: self.seen.append(response.status_code), sleep=self.sleeps.append,
                        **kwargs)  # type: ignore[arg-type]


def test_success_is_one_call() -> None:
    server = Server(200)
    assert (200, 1, []) == (server.send().status_code, server.calls, server.sleeps)


def test_503_is_tried_exactly_attempts_times_then_transient_error() -> None:
    server = Server(503)
    with pytest.raises(TransientError) as caught:
        server.send(RetryPolicy(attempts=3))
    assert (3, 503, [503, 503, 503]) == (server.calls, caught.value.status, server.seen)


def test_503_then_success_returns_the_success() -> None:
    server = Server(503, 502, 200)
    assert (200, 3) == (server.send(RetryPolicy(attempts=3)).status_code, server.calls)


def test_backoff_doubles_per_transient_failure_up_to_its_bound() -> None:
    server = Server(503)
    with pytest.raises(TransientError):
        server.send(RetryPolicy(attempts=5, backoff=0.5, max_backoff=3.0))
    assert [0.5, 1.0, 2.0, 3.0] == server.sleeps


@pytest.mark.parametrize(("error", "words"), [
    (httpx.ReadTimeout("read timed out"), "timed out"),
    (httpx.ConnectTimeout("connect timed out"), "timed out"),
    (httpx.ReadError("[Errno 104] Connection reset by peer"), "Connection reset by peer"),
    (httpx.RemoteProtocolError("Server disconnected without sending a response."), "RemoteProtocolError"),
], ids=["read_timeout", "connect_timeout", "reset", "disconnect"])
def test_timeouts_and_resets_become_transient_errors(error: Exception, words: str) -> None:
    server = Server(error)
    with pytest.raises(TransientError, match=words) as caught:
        server.send(RetryPolicy(attempts=2))
    assert (2, None, "GET /api/items") == (server.calls, caught.value.status, str(caught.value)[:14])


def test_a_reset_then_success_returns_the_success() -> None:
    server = Server(httpx.ReadError("Connection reset by peer"), 200)
    assert (200, 2) == (server.send().status_code, server.calls)


def test_429_waits_retry_after_and_is_not_counted_as_an_attempt() -> None:
    server = Server((429, {"Retry-After": "2"}), (429, {"Retry-After": "2"}), 503, 200)
    response = server.send(RetryPolicy(attempts=2, backoff=0.5))
    assert (200, 4, [2.0, 2.0, 0.5]) == (response.status_code, server.calls, server.sleeps)


def test_429s_beyond_max_rate_limit_wait_give_up() -> None:
    server = Server((429, {"Retry-After": "2"}))
    with pytest.raises(RateLimited) as caught:
        server.send(RetryPolicy(attempts=2, max_rate_limit_wait=5))
    assert (3, [2.0, 2.0], 2.0) == (server.calls, server.sleeps, caught.value.retry_after)


def test_a_record_error_is_not_retried() -> None:
    def translate(response: httpx.Response) -> TradewindError | None:
        return RecordError("unknown item", field="ItemCode") if response.status_code == 422 else None

    server = Server(422)
    with pytest.raises(RecordError, match="ItemCode: unknown item"):
        server.send(translate=translate)
    assert (1, []) == (server.calls, server.sleeps)


def test_before_paces_every_attempt() -> None:
    server = Server(503, 200)
    paced: list[str] = []
    with httpx.Client(transport=httpx.MockTransport(server.handle)) as http:
        send(http, lambda: httpx.Request("GET", URL), translate=default_translate, before=lambda: paced.append("x"),
             sleep=server.sleeps.append)
    assert ["x", "x"] == paced


@pytest.mark.parametrize(("status", "headers", "expected"), [
    (200, {}, None),
    (404, {}, None),
    (422, {}, None),
    (503, {}, TransientError),
    (500, {}, TransientError),
    (408, {}, TransientError),
    (429, {"Retry-After": "7"}, RateLimited),
])
def test_default_translate(status: int, headers: dict[str, str], expected: type[TradewindError] | None) -> None:
    error = default_translate(httpx.Response(status, headers=headers))
    assert expected == (type(error) if error else None)
    if error is not None:
        assert status == getattr(error, "status", None)


def test_default_translate_keeps_the_message_and_retry_after() -> None:
    error = default_translate(httpx.Response(429, headers={"Retry-After": "7"}), "too many calls")
    assert isinstance(error, RateLimited)
    assert ("too many calls", 7.0) == (str(error), error.retry_after)


@pytest.mark.parametrize(("header", "expected"), [
    (None, 1.0), ("3", 3.0), ("0.5", 0.5), ("-4", 0.0), ("Wed, 21 Oct 2026 07:28:00 GMT", 1.0),
])
def test_retry_after_seconds(header: str | None, expected: float) -> None:
    headers = {"Retry-After": header} if header is not None else {}
    assert expected == retry_after_seconds(httpx.Response(429, headers=headers))



# -- writes whose answer is lost are never sent twice ---------------------------------------------

@pytest.mark.parametrize("lost", [503, 500, httpx.ReadTimeout("read timed out"),
                                  httpx.ReadError("[Errno 104] Connection reset by peer"),
                                  httpx.RemoteProtocolError("Server disconnected without sending a response.")],
                         ids=["503", "500", "stall", "reset", "disconnect"])
def test_a_post_whose_answer_is_lost_is_sent_once_and_has_an_unknown_outcome(lost: int | Exception) -> None:
    server = Server(lost, 201)
    with pytest.raises(OutcomeUnknown, match="may have been stored"):
        server.send(method="POST")
    assert 1 == server.calls


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
def test_idempotent_writes_are_retried_after_a_lost_answer(method: str) -> None:
    server = Server(503, httpx.ReadTimeout("read timed out"), 200)
    assert (200, 3) == (server.send(method=method).status_code, server.calls)


def test_a_post_the_vendor_declares_idempotent_is_retried() -> None:
    server = Server(503, 200)
    assert (200, 2) == (server.send(method="POST", kind="idempotent").status_code, server.calls)


def test_a_post_that_never_left_is_retried() -> None:
    server = Server(httpx.ConnectError("connection refused"), 429, 201)
    assert (201, 3) == (server.send(method="POST").status_code, server.calls)


def test_a_refused_post_is_a_record_error_not_an_unknown_outcome() -> None:
    server = Server(422)

    def translate(response: httpx.Response) -> TradewindError | None:
        return RecordError("sku: unknown") if response.status_code == 422 else None

    with pytest.raises(RecordError):
        server.send(method="POST", translate=translate)
    assert 1 == server.calls


def test_the_write_fence_is_asked_before_each_write_and_stops_it() -> None:
    asked: list[str] = []

    def fence() -> None:
        asked.append("fence")
        if len(asked) > 1:
            raise LeaseLost("lost")

    server = Server(200)
    token = write_fence.set(fence)
    try:
        server.send(method="GET")
        server.send(method="POST")
        with pytest.raises(LeaseLost):
            server.send(method="PUT")
        server.send(method="POST", fenced=False)
    finally:
        write_fence.reset(token)
    assert (2, 3) == (len(asked), server.calls)
