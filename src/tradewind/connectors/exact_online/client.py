"""HTTP client for the Exact Online REST API: OAuth refresh, pacing, paging, error translation.

Facts it relies on (``reference/vendor-apis.md`` §2): the API root is
``{base_url}/api/v1/{division}/{service}/{Entity}``; tokens come from ``/api/oauth2/token``
(form-encoded refresh-token grant, ``expires_in`` a *string*, the refresh token rotates on every
use); lists answer ``{"d": {"results": [...], "__next": <absolute URL>}}`` (sometimes ``{"d": [...]}``);
``$select`` is mandatory; rate-limit headers give the minutely and daily windows with resets in
epoch **milliseconds** and may be absent on a 429; errors carry ``error.message.value`` and
sometimes a ``Reason`` header, validation failures often as a 500.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cached_property
from typing import Any
from urllib.parse import urlsplit

import httpx

from tradewind.connectors import paging
from tradewind.connectors.base import TokenStore
from tradewind.connectors.exact_online.auth import Credentials, TokenKeeper
from tradewind.connectors.exact_online.reference import Reference
from tradewind.connectors.http import default_translate, retry_after_seconds, send
from tradewind.connectors.pacing import WindowBudget
from tradewind.connectors.retry import RetryPolicy
from tradewind.errors import ConfigError, RateLimited, RejectedByTarget, TradewindError, TransientError

Row = dict[str, Any]

MAX_FILTER = 1500
"""Longest ``$filter`` sent in one URL: IIS refuses query strings beyond 2,048 characters by
default, and the rest of the URL (path, ``$select``) needs its share."""


# -- OData literals and values (pure) -----------------------------------------------------------

def quote(value: str) -> str:
    """An OData string literal: single quotes, an embedded ``'`` doubled."""
    return "'" + value.replace("'", "''") + "'"


_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def is_guid(value: str) -> bool:
    return bool(_GUID.match(value.strip()))


def guid(value: str) -> str:
    """An OData Guid literal; anything else is refused before it reaches a URL."""
    if not is_guid(value):
        raise ValueError(f"{value!r} is not a Guid")
    return f"guid'{value.strip().lower()}'"


def datetime_literal(value: datetime) -> str:
    """An OData DateTime literal in UTC, e.g. ``datetime'2024-05-01T10:00:00.000'``."""
    if value.tzinfo is None:
        raise ValueError("naive datetime: tradewind filters with aware UTC times only")
    text = value.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="milliseconds")
    return f"datetime'{text}'"


def eq_any(field: str, values: list[str]) -> str:
    """``field eq 'A' or field eq 'B'`` (``field`` may be an expression such as ``trim(Code)``)."""
    return " or ".join(f"{field} eq {quote(v)}" for v in values)


def chunks_by_length(values: list[str], clause: Callable[[str], str], limit: int = MAX_FILTER) -> Iterator[list[str]]:
    """Split ``values`` so that the ``or`` of their clauses stays under ``limit`` characters."""
    chunk: list[str] = []
    length = 0
    for value in values:
        size = len(clause(value)) + 4
        if chunk and length + size > limit:
            yield chunk
            chunk, length = [], 0
        chunk.append(value)
        length += size
    if chunk:
        yield chunk


_MS_DATE = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")


def parse_date(value: Any) -> datetime | None:
    """``/Date(1714557600000)/`` (or an ISO string) → aware UTC datetime; None stays None.

    The optional ``+hhmm`` suffix of the WCF format is an annotation of the writer's zone; the
    milliseconds are UTC either way, so it is ignored.
    """
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    text = (value if type(value) is str else str(value)).strip()
    match = _MS_DATE.match(text)
    if match:
        return datetime.fromtimestamp(int(match.group(1)) / 1000, tz=UTC)
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def format_date(value: date) -> str:
    """A date as Exact accepts it in a write: ``YYYY-MM-DD``."""
    return value.isoformat()


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        # repr(float) is the shortest text that reads back as the same float; for amounts with
        # at most 15 significant digits that is the decimal's own text.
        return float(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def dumps(payload: Any) -> bytes:
    return json.dumps(payload, default=_json_default, separators=(",", ":")).encode()


def results(body: Any) -> tuple[list[Row], str | None]:
    """Rows and the ``__next`` URL of an OData answer, whichever envelope it uses."""
    data = body.get("d", body) if isinstance(body, dict) else body
    if isinstance(data, list):
        return data, None
    if isinstance(data, dict) and "results" in data:
        return list(data["results"]), data.get("__next")
    return ([data] if data else []), None


def nested(value: Any) -> list[Row]:
    """An expanded navigation property: ``{"results": [...]}``, a plain list, or deferred (→ [])."""
    if isinstance(value, list):
        return value
    if isinstance(value, dict) and isinstance(value.get("results"), list):
        return list(value["results"])
    return []


# -- errors ----------------------------------------------------------------------------------

def vendor_message(response: httpx.Response) -> str | None:
    """Exact's own text: ``error.message.value`` of the envelope, else the ``Reason`` header."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        error = body.get("error")
        message = error.get("message") if isinstance(error, dict) else None
        value = message.get("value") if isinstance(message, dict) else message
        if isinstance(value, str) and value.strip():
            return value.strip()
    reason = response.headers.get("Reason")
    return reason.strip() if reason and reason.strip() else None


class Unauthorized(ConfigError):
    """The bearer token was refused (401). Refreshed once; a second refusal stops the flow."""


def translate(response: httpx.Response) -> TradewindError | None:
    """Exact's answer → the error it means (see the errors section of the module docstring).

    401/403 are :class:`ConfigError`: a revoked grant or a wrong division (``Forbidden -
    WrongDivision``) concerns every record, and Exact blocks a key after ten such errors an hour,
    so retrying them record by record would only lock the account.
    """
    status = response.status_code
    if status < 400:
        return None
    message = vendor_message(response)
    where = f"{response.request.method} {response.request.url.path}"
    if status == 401:
        return Unauthorized(f"Exact Online refused the token: {message or 'Unauthorized'}",
                            hint="authorise the app again and update the refresh token")
    if status == 403:
        return ConfigError(f"Exact Online forbids {where}: {message or 'Forbidden'}",
                           hint="check the division number and the app's rights in Exact Online")
    if status == 429:
        return RateLimited(message or "Exact Online rate limit reached", retry_after=retry_after_seconds(response))
    if status in (400, 404, 409, 412, 422) or (status == 500 and message):
        return RejectedByTarget(message or f"Exact Online answered {status}", status=status)
    return default_translate(response, message and f"{where}: {message}") or TransientError(
        f"{where}: Exact Online answered {status}", status=status)


# -- rate limits -------------------------------------------------------------------------------

_WINDOWS = (("minute", "X-RateLimit-Minutely-"), ("day", "X-RateLimit-"))


def _header_int(headers: httpx.Headers, name: str) -> int | None:
    value = headers.get(name)
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def read_limits(budget: WindowBudget, response: httpx.Response, clock: Callable[[], float] = time.time) -> None:
    """Feed the budget from Exact's headers; on a 429 mark the exhausted window empty until its reset.

    Resets are epoch milliseconds. A 429 without headers marks the minute window, resetting after
    ``Retry-After`` when given, else at the budget's own estimate of the window's end.
    """
    headers = response.headers
    seen = False
    for name, prefix in _WINDOWS:
        remaining = _header_int(headers, f"{prefix}Remaining")
        reset_ms = _header_int(headers, f"{prefix}Reset")
        reset = reset_ms / 1000 if reset_ms is not None else None
        limit = _header_int(headers, f"{prefix}Limit")
        if remaining is None and reset is None and limit is None:
            continue
        seen = True
        budget.observe(name, limit=limit, remaining=remaining, reset_at=reset)
        if response.status_code == 429 and remaining == 0:
            budget.exhausted(name, reset)
    if response.status_code == 429 and not seen:
        retry = headers.get("Retry-After")
        budget.exhausted("minute", clock() + retry_after_seconds(response) if retry is not None else None)


def retry_after(response: httpx.Response, clock: Callable[[], float] = time.time) -> float:
    """Seconds to wait after a 429: until the exhausted window's reset, else ``Retry-After``."""
    waits = []
    for _, prefix in _WINDOWS:
        if _header_int(response.headers, f"{prefix}Remaining") == 0:
            reset_ms = _header_int(response.headers, f"{prefix}Reset")
            if reset_ms is not None:
                waits.append(reset_ms / 1000 - clock())
    return max(max(waits, default=retry_after_seconds(response)), 0.5)


# -- the client --------------------------------------------------------------------------------

class ExactClient:
    """One division's API over an injected ``httpx.Client``.

    Tokens live in ``tokens`` under ``token_key`` (see :mod:`.auth`): the rotated pair is stored
    the moment it arrives, under the store's lock, so a restart (or another process on the same
    store) goes on with the newest one. Every API call waits for the shared ``budget`` first.
    """

    def __init__(self, *, http: httpx.Client, base_url: str, division: int, credentials: Credentials,
                 tokens: TokenStore, token_key: str, budget: WindowBudget, retry: RetryPolicy,
                 clock: Callable[[], float] = time.time, reference: Reference | None = None) -> None:
        self.http = http
        self.base_url = base_url.rstrip("/")
        self.division = division
        self.credentials = credentials
        self.tokens = tokens
        self.token_key = token_key
        self.budget = budget
        self.retry = retry
        self.clock = clock
        self.reference = reference if reference is not None else Reference(0)
        """The division's reference tables as this process keeps them across runs (:mod:`.reference`)."""
        self.vat_percentages: dict[str, float] | None = None
        """The division's VAT codes → fraction (``vat/VATCodes``), once read (``vat_rates``)."""
        self.vat_code_rows: list[dict[str, Any]] | None = None
        """The division's ``vat/VATCodes`` rows with their kind of transaction, once read (``booking``)."""
        self.item_vat_codes: dict[str, str | None] = {}
        """Item ID → its ``SalesVatCode``, as read (``vat_rates``)."""
        self.item_vat_complete = False
        """Whether every item's code was read at once (a large read), so none is missing."""
        self.warehouse_id: str | None = None
        """The ``warehouse`` option's ID, once looked up by its code."""

    # -- auth --------------------------------------------------------------------------------

    @cached_property
    def keeper(self) -> TokenKeeper:
        return TokenKeeper(http=self.http, token_url=f"{self.base_url}/api/oauth2/token",
                           credentials=self.credentials, tokens=self.tokens, key=self.token_key,
                           retry=self.retry, clock=self.clock)

    def access_token(self) -> str:
        """A live bearer token: held in memory, else the store's, else from an exchange."""
        return self.keeper.access_token()

    def refresh(self) -> str:
        """Replace the held bearer token (refused by the API): one exchange across all processes."""
        return self.keeper.refresh()

    # -- requests ----------------------------------------------------------------------------

    def url(self, path: str) -> str:
        """``path`` below the division's API root, or an absolute URL (``__next``) on our host."""
        if path.startswith(("http://", "https://")):
            if urlsplit(path).netloc != urlsplit(self.base_url).netloc:
                raise ConfigError(f"Exact Online sent a next link to another host ({urlsplit(path).netloc})")
            return path
        return f"{self.base_url}/api/v1/{self.division}/{path.lstrip('/')}"

    def request(self, method: str, path: str, *, params: Mapping[str, str] | None = None,
                body: Any = None, headers: Mapping[str, str] | None = None) -> httpx.Response:
        """One API call, paced and retried; a refused token is refreshed once."""
        try:
            return self._send(method, path, params, body, headers)
        except Unauthorized:
            self.refresh()
            return self._send(method, path, params, body, headers)

    def _send(self, method: str, path: str, params: Mapping[str, str] | None, body: Any,
              headers: Mapping[str, str] | None) -> httpx.Response:
        url = self.url(path)
        content = dumps(body) if body is not None else None

        def build() -> httpx.Request:
            head = {"Authorization": f"Bearer {self.access_token()}", "Accept": "application/json",
                    **(headers or {})}
            if content is not None:
                head["Content-Type"] = "application/json"
            return self.http.build_request(method, url, params=params, content=content, headers=head)

        return send(self.http, build, translate=self._translate, policy=self.retry,
                    before=self.budget.acquire, after=lambda response: read_limits(self.budget, response, self.clock))

    def _translate(self, response: httpx.Response) -> TradewindError | None:
        error = translate(response)
        if isinstance(error, RateLimited):
            return RateLimited(str(error), retry_after=retry_after(response, self.clock))
        return error

    @staticmethod
    def _json(response: httpx.Response) -> Any:
        if not response.content:
            return None
        return json.loads(response.content, parse_float=Decimal)

    def pages(self, path: str, params: Mapping[str, str]) -> Iterator[list[Row]]:
        """Pages of rows, following ``__next`` (which carries the query) until the service has no more."""
        def fetch(link: str | None) -> tuple[list[Row], str | None]:
            return results(self._json(self.request("GET", link or path, params=None if link else params)))

        for rows, _ in paging.next_link(fetch, lambda answer: answer[1]):
            yield rows

    def rows(self, path: str, params: Mapping[str, str]) -> list[Row]:
        """Every row of a (small) query, all pages."""
        return [row for page in self.pages(path, params) for row in page]

    def post(self, path: str, body: Row) -> Row:
        response = self.request("POST", path, body=body, headers={"Prefer": "return=representation"})
        rows, _ = results(self._json(response))
        return rows[0] if rows else {}

    def put(self, path: str, body: Row) -> None:
        self.request("PUT", path, body=body)
