"""SOAP client for IP-Soft: zeep builds and reads the envelopes, our HTTP layer carries them.

Every SOAP detail of the connector lives here and in :mod:`.codec`: the operations of each
resource (:data:`CUSTOMERS` …), the auth header, paging and the fault codes. The WSDL is our
*model* of an IP-Soft service (``wsdl/ipsoft.wsdl``); a customer's real WSDL replaces it, and
then only these tables and the codec's element names change.

Each call is one :func:`tradewind.connectors.http.send`: zeep creates the envelope
(``create_message``), ``send`` posts it — paced, retried, fenced, a lost answer to a plain write
raising :class:`~tradewind.errors.OutcomeUnknown` — and zeep parses the answer
(``process_reply``). SOAP 1.1 answers a fault with HTTP 500; :func:`fault_error` names the error
a fault means: a ``Client`` fault on a record is :class:`RejectedByTarget` with the fault string,
an authentication fault a :class:`ConfigError`, a ``Server`` fault a :class:`TransientError`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cached_property
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

import httpx
import zeep
from lxml import etree
from zeep.exceptions import Error as ZeepError
from zeep.exceptions import Fault
from zeep.exceptions import ValidationError as ZeepValidationError
from zeep.helpers import serialize_object
from zeep.settings import Settings

from tradewind.connectors import paging
from tradewind.connectors.http import CallKind, default_translate, send
from tradewind.connectors.pacing import WindowBudget
from tradewind.connectors.retry import RetryPolicy
from tradewind.errors import ConfigError, RejectedByTarget, TradewindError, TransientError

Row = dict[str, Any]

NAMESPACE = "urn:tradewind:ipsoft-model:v1"
MODIFIED = "ModifiedAt"
PAGE_SIZE = 200
"""Records asked for per List call (the model allows 500)."""

SETTINGS = Settings(strict=True, forbid_dtd=True, forbid_entities=True, forbid_external=False,
                    xml_huge_tree=False)
"""No DTDs, no entities (XML bombs), no huge trees. The shipped WSDL imports its schema from beside it."""


def shipped_wsdl() -> str:
    """Path of the WSDL shipped with tradewind (our model of the service)."""
    return str(resources.files("tradewind.connectors.ip_soft") / "wsdl" / "ipsoft.wsdl")


# -- what each resource calls ----------------------------------------------------------------

@dataclass(frozen=True)
class Operations:
    """The operations and element names one resource uses. ``finds`` maps a natural key to the
    operation and request element that search by it; ``get`` reads by native id."""

    items: str
    """Element of a record in the answers (``Customer``)."""
    list: str | None = None
    get: tuple[str, str] | None = None
    finds: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    create: str | None = None
    create_item: str = ""
    """Request (and answer) element wrapping the record of a create (``Order``)."""


CUSTOMERS = Operations(items="Customer", list="ListCustomers", get=("GetCustomers", "CustomerNumber"),
                       finds={"reference": ("GetCustomers", "CustomerNumber"), "email": ("FindCustomers", "Email"),
                              "vat_number": ("FindCustomers", "VatNumber")})
PRODUCTS = Operations(items="Product", list="ListProducts", get=("GetProducts", "ProductCode"),
                      finds={"key": ("GetProducts", "ProductCode")})
PRICES = Operations(items="Price", list="ListPrices")
STOCK = Operations(items="Stock", list="ListStock")
ORDERS = Operations(items="Order", get=("GetOrders", "OrderNumber"), finds={"number": ("FindOrders",
                                                                                     "ExternalReference")},
                    create="CreateOrder", create_item="Order")


# -- the WSDL ------------------------------------------------------------------------------

class _Transport(zeep.Transport):
    """zeep's loader for WSDL and XSD documents, over our HTTP layer (reads, retried and paced).
    zeep never posts: operations are sent by :meth:`IPSoftClient.call`."""

    def __init__(self, fetch: Callable[[str], bytes]) -> None:
        super().__init__()
        self._fetch = fetch

    def _load_remote_data(self, url: str) -> bytes:
        if urlsplit(url).scheme == "file":
            return super()._load_remote_data(url)  # type: ignore[no-any-return]
        return self._fetch(url)

    def post(self, address: str, message: Any, headers: Any) -> Any:  # pragma: no cover - never called
        raise AssertionError("IP-Soft operations are sent through tradewind.connectors.http.send")


_parsed: dict[str, zeep.Client] = {}
_parsed_lock = threading.Lock()


def load_wsdl(source: str, fetch: Callable[[str], bytes]) -> zeep.Client:
    """The WSDL at ``source`` (a path or an http(s) URL), parsed once per process per source."""
    with _parsed_lock:
        if source not in _parsed:
            try:
                _parsed[source] = zeep.Client(source, transport=_Transport(fetch), settings=SETTINGS)
            except (OSError, ZeepError, etree.XMLSyntaxError) as error:
                raise ConfigError(f"cannot read the IP-Soft WSDL {source}: {error}",
                                  hint="check the wsdl option (a path or URL of the service's WSDL)") from error
        return _parsed[source]


# -- faults --------------------------------------------------------------------------------

AUTH_CODES = frozenset({"AUTHENTICATION_FAILED", "ACCESS_DENIED"})


def _detail(fault: Fault) -> tuple[str | None, str | None]:
    """``(Code, Field)`` of the fault's ``ServiceFault`` detail, when it has one."""
    detail = fault.detail
    if detail is None:
        return None, None
    code = detail.findtext(f".//{{{NAMESPACE}}}Code")
    where = detail.findtext(f".//{{{NAMESPACE}}}Field")
    return (code.strip() if code else None), (where.strip() if where else None)


def fault_error(fault: Fault, status: int | None = 500) -> TradewindError:
    """The error a SOAP 1.1 fault means. ``faultcode`` is ``Client`` (the request is wrong),
    ``Server`` (the service failed), optionally dotted (``Client.Authentication``)."""
    text = (fault.message or "").strip() or "IP-Soft answered a fault without a message"
    code = (fault.code or "").rpartition(":")[2]
    kind, _, sub = code.partition(".")
    detail_code, where = _detail(fault)
    if detail_code in AUTH_CODES or sub.lower().startswith(("auth", "access")):
        return ConfigError(f"IP-Soft refused the credentials: {text}",
                           hint="check the username/password or API key of the connection")
    if kind == "Server":
        return TransientError(f"IP-Soft server fault: {text}", status=status)
    if kind == "Client":
        return RejectedByTarget(text, status=status, field=where)
    return ConfigError(f"IP-Soft answered a {code or 'unknown'} fault: {text}",
                       hint="the service does not speak the WSDL in use; check the wsdl option")


# -- values --------------------------------------------------------------------------------

def plain(value: Any) -> Any:
    """zeep's answer as JSON-able data: dicts, lists, strings (decimals and times as text)."""
    value = serialize_object(value, target_cls=dict)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, datetime):
        return utc_text(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return value


def records_in(answer: Any, item: str) -> list[Row]:
    """The records of an answer: ``{item: [...], "NextPageToken": ...}``, or the bare list zeep
    makes of a response element whose only child is the repeated record."""
    if isinstance(answer, dict):
        answer = answer.get(item)
    if answer is None:
        return []
    return list(answer) if isinstance(answer, list) else [answer]


def utc_text(moment: datetime) -> str:
    """An xsd:dateTime in UTC with its ``Z``; a naive time is refused, never guessed."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: IP-Soft times carry an explicit offset")
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


# -- the client ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Credentials:
    """What goes into the ``AuthHeader``: an API key, or a username and password."""

    username: str | None = None
    password: str | None = None
    api_key: str | None = None

    def header(self) -> dict[str, str]:
        if self.api_key:
            return {"ApiKey": self.api_key}
        return {"Username": self.username or "", "Password": self.password or ""}

    def __repr__(self) -> str:
        return "Credentials(***)"


class IPSoftClient:
    """One IP-Soft service over an injected ``httpx.Client``, paced by ``budget``."""

    def __init__(self, *, http: httpx.Client, endpoint: str, wsdl: str, credentials: Credentials,
                 budget: WindowBudget, retry: RetryPolicy, page_size: int = PAGE_SIZE, options: Any = None) -> None:
        self.http = http
        self.options = options
        """The connection's options, for resources that restrict their reads (price lists, warehouses)."""
        self.endpoint = endpoint
        self.wsdl = wsdl
        self.credentials = credentials
        self.budget = budget
        self.retry = retry
        self.page_size = page_size

    @cached_property
    def zeep(self) -> zeep.Client:
        return load_wsdl(self.wsdl, self._fetch)

    def _fetch(self, url: str) -> bytes:
        def translate(response: httpx.Response) -> TradewindError | None:
            if response.status_code >= 400:
                return default_translate(response) or ConfigError(
                    f"cannot load {url}: HTTP {response.status_code}", hint="check the wsdl option")
            return None

        return send(self.http, lambda: self.http.build_request("GET", url), translate=translate,
                    policy=self.retry, before=self.budget.acquire, kind="read").content

    # -- one operation -----------------------------------------------------------------------

    def call(self, operation: str, *, kind: CallKind, **params: Any) -> Any:
        """Send one operation and answer its response as plain data (zeep unwraps a response
        element of one child: a list of records, or the one record)."""
        client = self.zeep
        binding = client.service._binding
        header = client.get_element(f"{{{NAMESPACE}}}AuthHeader")(**self.credentials.header())
        try:
            envelope = client.create_message(client.service, operation, _soapheaders=[header], **params)
        except (ZeepValidationError, TypeError, ValueError) as error:
            raise RejectedByTarget(f"{operation}: {error}") from error
        content = etree.tostring(envelope, xml_declaration=True, encoding="utf-8")
        action = binding.get(operation).soapaction
        headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{action}"'}

        def build() -> httpx.Request:
            return self.http.build_request("POST", self.endpoint, content=content, headers=headers)

        def translate(response: httpx.Response) -> TradewindError | None:
            if response.status_code == 200:
                return None
            try:
                binding.process_reply(client, binding.get(operation), response)
            except Fault as fault:
                return fault_error(fault, status=response.status_code)
            except ZeepError:
                pass
            return default_translate(response) or _http_error(response)

        response = send(self.http, build, translate=translate, policy=self.retry, before=self.budget.acquire,
                        kind=kind)
        try:
            answer = binding.process_reply(client, binding.get(operation), response)
        except Fault as fault:  # a fault sent with 200, as some services do
            raise fault_error(fault, status=200) from None
        except ZeepError as error:
            raise TransientError(f"{operation}: IP-Soft answered what the WSDL does not describe: {error}") from error
        return plain(answer)

    # -- what resources use ------------------------------------------------------------------

    def pages(self, ops: Operations, since: datetime | None, **query: Any) -> Iterator[list[Row]]:
        """Every page of a List operation, following ``NextPageToken``."""
        assert ops.list is not None
        params: dict[str, Any] = {"PageSize": self.page_size, **query}
        if since is not None:
            params["ModifiedSince"] = utc_text(since)
        list_operation = ops.list

        def fetch(page_token: str | None) -> Any:
            return self.call(list_operation, kind="read", **params, **({"PageToken": page_token} if page_token else {}))

        for answer in paging.token(fetch, lambda answer: answer.get("NextPageToken") if isinstance(answer, dict)
                                   else None):
            yield records_in(answer, ops.items)

    def get(self, ops: Operations, ids: Sequence[str]) -> list[Row]:
        """Records by their native ids (at most 500 a call)."""
        if ops.get is None:
            raise ConfigError(f"IP-Soft has no operation reading {ops.items} records by id")
        operation, param = ops.get
        rows: list[Row] = []
        for start in range(0, len(ids), 500):
            answer = self.call(operation, kind="read", **{param: list(ids[start:start + 500])})
            rows.extend(records_in(answer, ops.items))
        return rows

    def find(self, ops: Operations, key: str, value: str) -> list[Row]:
        """Records whose natural key ``key`` equals ``value``."""
        operation, param = ops.finds[key]
        answer = self.call(operation, kind="read", **{param: [value] if ops.get == (operation, param) else value})
        return records_in(answer, ops.items)

    def create(self, ops: Operations, native: Row) -> Row:
        """Create a record; a lost answer raises OutcomeUnknown (a plain write: never re-sent)."""
        assert ops.create is not None
        answer = self.call(ops.create, kind="write", **{ops.create_item: native})
        if isinstance(answer, dict) and set(answer) == {ops.create_item}:
            answer = answer[ops.create_item]
        if not isinstance(answer, dict):
            raise TransientError(f"{ops.create}: IP-Soft answered without the record it stored")
        return answer


def _http_error(response: httpx.Response) -> TradewindError:
    status = response.status_code
    if status in (401, 403):
        return ConfigError(f"IP-Soft refused the request (HTTP {status})", hint="check the connection's credentials")
    if status == 404:
        return ConfigError(f"IP-Soft has no service at {response.request.url}", hint="check the endpoint option")
    return RejectedByTarget(f"IP-Soft answered HTTP {status}", status=status)
