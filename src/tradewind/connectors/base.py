"""The connector contract: what a connector declares and the four calls each resource offers.

A connector answers four questions (STYLE.md): what must a user configure (its
:class:`ConnectionOptions`), which entities can it read and write and how are they keyed (its
:class:`Resource` attributes), how does it talk (its client, built on an injected
``httpx.Client``), and how do native records become canonical and back (its codec's ``decode``
and ``encode``). It never writes bindings, advances cursors, decides create-versus-update,
retries beyond one request's pacing, or logs payloads: the engine does, so every connector
gets the run loop's promises for free.
"""

from __future__ import annotations

import copy
import functools
import os
import re
import ssl
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import timedelta
from enum import IntEnum
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Literal, Protocol, TypeVar

import httpx
from pydantic import BaseModel, ConfigDict, GetCoreSchemaHandler
from pydantic_core import core_schema

from tradewind.connectors.retry import RetryPolicy
from tradewind.connectors.tally import MemoryTally, Tally
from tradewind.errors import ConfigError, RecordError
from tradewind.log import register_secret
from tradewind.model import Entity

if TYPE_CHECKING:
    from tradewind.connectors.pacing import BudgetLedger

E = TypeVar("E", bound=Entity)

_REF = re.compile(r"^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$")


class SecretRef:
    """A reference to a secret, written ``${ENV_NAME}`` in the project file; never the secret itself.

    It prints as ``${ENV_NAME}`` and resolves only when a connection is opened, so a secret never
    reaches a log, a dump of the settings or the project file.
    """

    __slots__ = ("name",)

    def __init__(self, reference: str) -> None:
        match = _REF.match(reference.strip())
        if match is None:
            raise ValueError(
                f"{reference!r} is not a secret reference; write it as ${{ENV_NAME}} and set the variable"
            )
        self.name = match.group(1)

    def resolve(self, environ: Mapping[str, str] | None = None) -> str:
        env = os.environ if environ is None else environ
        value = env.get(self.name)
        if not value:
            raise ConfigError(f"secret ${{{self.name}}} is not set", hint=f"export {self.name}=... before running")
        return value

    def __repr__(self) -> str:
        return f"SecretRef(${{{self.name}}})"

    def __str__(self) -> str:
        return f"${{{self.name}}}"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SecretRef) and other.name == self.name

    def __hash__(self) -> int:
        return hash(self.name)

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        from_str = core_schema.no_info_after_validator_function(cls, core_schema.str_schema())
        return core_schema.json_or_python_schema(
            json_schema=from_str,
            python_schema=core_schema.union_schema([core_schema.is_instance_schema(cls), from_str]),
            serialization=core_schema.plain_serializer_function_ser_schema(str),
        )


class ConnectionOptions(BaseModel):
    """Base of a connector's options. Every field documents itself with ``Field(description=...)``;
    fields typed :class:`SecretRef` are secrets. Unknown keys are refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @classmethod
    def from_project(cls, project: Mapping[str, Any]) -> dict[str, Any]:
        """Defaults this connector's options take from other blocks of the project file (``project``:
        the whole file as plain data), under its own option names; the connection's own keys win. The
        mail connection takes its SMTP server from ``notify:`` so. None by default."""
        return {}

    @classmethod
    def secret_fields(cls) -> list[str]:
        return [name for name, f in cls.model_fields.items() if f.annotation in (SecretRef, SecretRef | None)]


class Priority(IntEnum):
    """Who is served first when a system account's call budget runs short (lower is sooner)."""

    HIGH = 0  # orders, payments, shipments, invoices: money and customers waiting
    NORMAL = 1  # customers
    LOW = 2  # catalogue: products, prices, stock, texts


PRIORITY_BY_ENTITY = {
    "order": Priority.HIGH, "payment": Priority.HIGH, "shipment": Priority.HIGH, "invoice": Priority.HIGH,
    "customer": Priority.NORMAL,
}


@dataclass(frozen=True)
class UpdatedSince:
    """Cursor on the source's own modification time, read with an ``overlap`` window.

    Records seen again inside the overlap are recognised by their binding's content hash and cost
    no write; the window catches records committed late with an earlier timestamp.
    """

    field: str
    overlap: timedelta = timedelta(seconds=2)
    zone: str | None = None
    """The IANA zone of values that carry no offset (a vendor that writes local times). Values
    with an offset need none; a value without one and no zone declared is refused, never guessed."""


@dataclass(frozen=True)
class SyncToken:
    """Cursor on a monotonically increasing token the source bumps on every change (Exact's Timestamp)."""

    field: str


@dataclass(frozen=True)
class FileName:
    """Cursor on the names of files read in order: a later run starts after the last file whose
    records were all durable. Compared as text, as the files are ordered."""

    field: str = "file name"


CursorKind = UpdatedSince | SyncToken | FileName | None
Capability = Literal["read", "create", "update", "bulk", "webhook"]


@dataclass
class NativeRecord:
    """A record as the system holds it: its native key, its data, and its version (modification
    time or sync token) used to de-duplicate records read twice around a cursor boundary."""

    id: str
    data: dict[str, Any]
    version: str | None = None


@dataclass
class Page:
    """One page read from a source. ``cursor`` is where a later run may resume once every record
    of this page (and of the pages before it) is durable; ``None`` means "not yet"."""

    records: list[NativeRecord]
    cursor: str | None = None
    durable: Callable[[], None] | None = None
    """Called by the engine once every record of this page has ended durably (and the cursor, if
    any, is stored): a file source moves the processed file aside only then."""
    total: int | None = None
    """Records the whole read will yield, when the vendor says (an OData ``__count``): live progress."""


@dataclass(frozen=True)
class Ambiguous:
    """A look-up by natural key that matched several target records (a shop may hold two
    products with one SKU). The engine never picks one: the record fails naming ``candidates``."""

    candidates: tuple[str, ...]


Found = NativeRecord | Ambiguous | None
"""What a look-up by natural key answers: the one record, several candidates, or nothing."""


@dataclass
class Write:
    """One write the engine asks for: create when ``native_id`` is None, else update — or, with ``finish``,
    the rest of a create whose record ``native_id`` was found lacking part of it (:meth:`Resource.unfinished`)."""

    native: dict[str, Any]
    native_id: str | None = None
    key: str = ""
    finish: bool = False
    found: NativeRecord | None = None
    """The target's record this update was decided against (adopted from what an earlier write's answer
    left in the store, or found by natural key), as the engine holds it for the batch: a resource writing
    under compare-and-swap compares with it instead of reading, and keeps nothing per record itself."""


@dataclass
class WriteResult:
    """The answer to one :class:`Write`: the stored record, or the target's refusal."""

    record: NativeRecord | None = None
    error: RecordError | None = None


@dataclass(frozen=True)
class Prebinding:
    """A record a write's answer names beside its own, for a later flow into the same system: a
    product's variants name their prices and stock levels. Kept by natural key (``sku=A-1``) with
    what the target holds (``data``: the price, the quantity last written), so that flow adopts the
    id instead of searching, and writes nothing the target already holds (one change, one write)."""

    entity: str
    natural_key: str
    target_id: str
    data: dict[str, Any] = field(default_factory=dict)


class Refs(Protocol):
    """How a codec turns another record's natural key into this system's id, through the engine.

    ``entity`` is a kind (``"customer"``, ``"product"``); ``keys`` the natural keys known for it
    (``{"email": ..., "vat_number": ...}``) of which the engine picks the flow's match rule;
    ``payload`` lets the engine create a missing dependency (a new customer) when the flow allows.
    Unknown references raise :class:`RecordError` naming the key.
    """

    def __call__(self, entity: str, keys: Mapping[str, str | None], payload: Entity | None = None) -> str: ...


Decode = Callable[[dict[str, Any]], E]
Encode = Callable[[E, Refs], dict[str, Any]]


class Resource(ABC, Generic[E]):
    """A connector's handle on one entity in its system, declared as a class attribute.

    The declaration (entity, keys, cursor, capabilities, codec) is data the engine reads; the
    four calls are implemented by a connector-specific subclass over its client.
    """

    name: str = ""
    connection: Connector | None = None
    """Set on a bound copy (:meth:`bind`): the connection this resource reads and writes."""
    refers_to: tuple[str, ...] = ()
    """Entities its ``encode`` resolves through ``refs`` (an order: ``("customer", "product")``): the
    engine then looks the references of a whole page up at once (:meth:`find_many` of those
    entities' resources) before encoding its records, instead of one look-up per reference."""

    def __init__(
        self,
        entity: type[E],
        *,
        native_key: str,
        natural_keys: Sequence[str],
        cursor: CursorKind,
        can: Sequence[Capability],
        decode: Decode[E],
        encode: Encode[E] | None = None,
        description: str = "",
        batch_size: int = 1,
        visible_after: timedelta = timedelta(0),
        searchable: bool = True,
    ) -> None:
        self.entity = entity
        self.native_key = native_key
        self.natural_keys = tuple(natural_keys)
        self.cursor = cursor
        self.can = frozenset(can)
        self.decode = decode
        self.encode = encode
        self.description = description
        self.batch_size = batch_size if "bulk" in self.can else 1
        self.visible_after = visible_after
        """How long a write may take to show in a look-up (a target that goes on processing after
        answering, or after the client gave up): until then, not finding a record whose write's
        answer was lost proves nothing, and the record waits instead of being sent again."""
        self.searchable = searchable
        """Whether a record written here can be looked up by natural key (:meth:`find`). A mail once
        sent cannot: the engine then never searches, creates a record that has no unsettled intent
        at once, and never writes again one whose intent is unsettled (a lost answer, a run that
        stopped mid-write: it may have arrived) — that record fails with :meth:`unsettled`'s reason
        for a person to check. Such a resource raises ``OutcomeUnknown`` when a write may have
        reached the target; any other error of a write means it did not, and the engine drops the
        intent, so the record is simply written again on its retry."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def unsettled(self, natural_key: str) -> str:
        """Why a record whose write may have reached this (unsearchable) target is not written again,
        and what a person does about it; resources that cannot be searched say it in their terms."""
        return (f"outcome unknown: {natural_key} may have been written, and {self.name} cannot be searched to "
                "tell; it is not written again by guess — check the target, then forget its binding "
                "(tradewind bindings) and replay the record to write it again")

    def bind(self, connection: Connector) -> Resource[E]:
        """This declaration bound to one connection: what the engine calls. A resource whose codec
        needs the connection's settings (currency, price list, file layout) overrides this and
        hands them over explicitly, instead of reading them from client caches or payload keys."""
        bound = copy.copy(self)
        bound.connection = connection
        return bound

    @property
    def priority(self) -> Priority:
        return PRIORITY_BY_ENTITY.get(self.entity.kind, Priority.LOW)

    def natural_keys_of(self, entity: E) -> dict[str, str]:
        """The entity's natural key values, e.g. ``{"number": "#1001"}``."""
        return {key: str(getattr(entity, key)) for key in self.natural_keys if getattr(entity, key, None) is not None}

    def natural_key(self, entity: E) -> str:
        """The record's natural key as stored in bindings, e.g. ``number=#1001``."""
        return ",".join(f"{k}={v}" for k, v in self.natural_keys_of(entity).items())

    @abstractmethod
    def pages(self, client: Any, since: str | None) -> Iterator[Page]:
        """Yield pages of records changed since the cursor value ``since`` (all when None)."""

    @abstractmethod
    def find(self, client: Any, keys: Mapping[str, str]) -> Found:
        """Look a record up by natural key(s), e.g. ``{"sku": "A-1", "location": "1"}`` or
        ``{"email": ...}``; None when absent, :class:`Ambiguous` when several records match.
        Used for matching, for crash recovery and to settle a write whose answer was lost."""

    def find_many(self, client: Any, keys: Sequence[Mapping[str, str]]) -> list[Found]:
        """Look several records up at once (answers aligned with ``keys``). Resources with a search
        call override this, so a first sync of 10,000 SKUs costs a few dozen calls, not 10,000."""
        return [self.find(client, one) for one in keys]

    def get(self, client: Any, ids: Sequence[str]) -> list[NativeRecord | None]:
        """Read these records by their native ids (answers aligned with ``ids``; None where gone):
        a webhook that announces records reads just those, and a failed record is replayed by
        reading it again from its source. Resources that can read by id override this."""
        raise ConfigError(f"{self.name} cannot be read by id in this system")

    def holds(self, found: NativeRecord, native: dict[str, Any]) -> bool:
        """Whether ``found`` (the target's record, found by natural key) already holds every value of
        ``native`` (the payload an update would send). Then the engine binds it without writing: a
        first sync against a shop that is already right costs lookups, not writes. Resources that
        cannot tell answer False, and the record is written."""
        return False

    def unfinished(self, found: NativeRecord, native: dict[str, Any]) -> str | None:
        """What ``found`` (the target's record, found by natural key: an interrupted run's, or one there before)
        may still lack of what creating ``native`` does beyond one record — an invoice's processing and its
        payment, made by the same write after the record itself. Not None: the engine does not bind it as it
        is but writes, and :meth:`finish` completes it (looking each part up first, so it is made once). Said
        without calls (a dry run asks too). Resources whose create makes one record answer None."""
        return None

    def finish(self, client: Any, native_id: str, native: dict[str, Any]) -> NativeRecord:
        """Complete the found record ``native_id`` as creating ``native`` would have (see :meth:`unfinished`)."""
        raise RecordError(f"{self.name} has no steps after its create to finish")

    def prebinds(self, record: NativeRecord, *, created: bool) -> list[Prebinding]:
        """What a write's answer (``record``) tells about other records of this system (and, for a
        resource that adopts, about its own): kept by the engine, handed to :meth:`adopt` later."""
        return []

    def adoption_key(self, keys: Mapping[str, str]) -> str | None:
        """The natural key a :class:`Prebinding` of this resource's entity is kept under (None:
        this resource adopts nothing and searches)."""
        return None

    def adopt(self, client: Any, keys: Mapping[str, str], prebound: Prebinding,
              bound_id: str | None = None) -> NativeRecord | None:
        """The record ``keys`` name, made from a prebinding without calling the target (its data is
        what :meth:`holds` compares with); None when it cannot tell, and the record is searched.
        ``bound_id`` is the target id the record is bound to already, if any."""
        return None

    def from_api(self, raw: Any, options: ConnectionOptions) -> dict[str, Any]:
        """A record exactly as the vendor's API answers it (a REST row, a GraphQL node) → the native
        record ``decode`` takes. ``pages`` assemble some natives from several calls (an Exact product
        from its items); a record given by hand (``tradewind mapping preview``) is assembled here
        without calling anyone: what other calls would add is left out or a ``<placeholder>``.
        Resources whose native record is the API's own override nothing."""
        if not isinstance(raw, dict):
            raise RecordError(f"a {self.entity.kind} record is a JSON object, as the API answers it; got "
                              f"{type(raw).__name__}")
        return dict(raw)

    def create(self, client: Any, native: dict[str, Any]) -> NativeRecord:
        raise RecordError(f"{self.name} cannot be created in this system")

    def update(self, client: Any, native_id: str, native: dict[str, Any]) -> NativeRecord:
        raise RecordError(f"{self.name} cannot be updated in this system")

    def write_many(self, client: Any, writes: Sequence[Write]) -> list[WriteResult]:
        """Write a batch; resources with a bulk endpoint override this. One refusal fails one record."""
        results: list[WriteResult] = []
        for write in writes:
            try:
                if write.finish and write.native_id is not None:
                    record = self.finish(client, write.native_id, write.native)
                else:
                    record = (
                        self.create(client, write.native)
                        if write.native_id is None
                        else self.update(client, write.native_id, write.native)
                    )
                results.append(WriteResult(record=record))
            except RecordError as error:
                results.append(WriteResult(error=error))
        return results


@dataclass(frozen=True)
class Check:
    """One online check of a connection (``tradewind check``): what was checked, how it went
    (``ok``, ``warn``: a run may still go wrong, ``fail``: it will), and why, in the user's words."""

    name: str
    status: Literal["ok", "warn", "fail"]
    reason: str = ""


class TokenStore(Protocol):
    """Where a connector keeps OAuth tokens between runs (rotating refresh tokens must survive).

    ``put`` is durable when it returns (its own commit). ``lock(key)`` is held around a token
    exchange, across every process sharing the store, so two never trade the same refresh token;
    whoever gets it second re-reads ``get(key)`` and uses the fresh pair instead of exchanging.
    """

    def get(self, key: str) -> dict[str, Any] | None: ...

    def put(self, key: str, value: dict[str, Any]) -> None: ...

    def lock(self, key: str) -> AbstractContextManager[object]: ...


@dataclass
class MemoryTokens:
    """A process-local :class:`TokenStore`, for tests and one-off runs (its lock spans threads only)."""

    values: dict[str, dict[str, Any]] = field(default_factory=dict)
    locks: dict[str, threading.Lock] = field(default_factory=dict)

    def get(self, key: str) -> dict[str, Any] | None:
        return self.values.get(key)

    def put(self, key: str, value: dict[str, Any]) -> None:
        self.values[key] = value

    def lock(self, key: str) -> threading.Lock:
        return self.locks.setdefault(key, threading.Lock())


class Staging(Protocol):
    """Where a full read holds rows until every page is read, outside the process's memory (the
    engine passes its store's): a source whose records are assembled from rows spread over the
    feed (Exact's items of one model) stages them keyed by group and reads the groups back in key
    order once the feed ends, so no member is read twice and memory stays flat.

    ``scope`` names one read (unique per read); ``drop`` ends it."""

    def stage(self, scope: str, rows: Sequence[tuple[str, dict[str, Any]]]) -> None: ...

    def groups(self, scope: str, *, rows_per_batch: int = 1000) -> Iterator[list[tuple[str, list[dict[str, Any]]]]]: ...

    def drop(self, scope: str) -> None: ...


@dataclass
class MemoryStaging:
    """A process-local :class:`Staging`, for tests and one-off runs (memory grows with the read)."""

    scopes: dict[str, dict[str, list[dict[str, Any]]]] = field(default_factory=dict)

    def stage(self, scope: str, rows: Sequence[tuple[str, dict[str, Any]]]) -> None:
        held = self.scopes.setdefault(scope, {})
        for group, row in rows:
            held.setdefault(group, []).append(row)

    def groups(self, scope: str, *, rows_per_batch: int = 1000) -> Iterator[list[tuple[str, list[dict[str, Any]]]]]:
        batch: list[tuple[str, list[dict[str, Any]]]] = []
        size = 0
        for group, rows in sorted(self.scopes.get(scope, {}).items()):
            batch.append((group, rows))
            size += len(rows)
            if size >= rows_per_batch:
                yield batch
                batch, size = [], 0
        if batch:
            yield batch

    def drop(self, scope: str) -> None:
        self.scopes.pop(scope, None)


@functools.cache
def tls() -> ssl.SSLContext:
    """One TLS context for every connection of the process: building one loads the CA bundle
    (~70 ms), which every run would otherwise pay for each connection it opens."""
    return httpx.create_ssl_context()


class NoCookies(httpx.Cookies):
    """Cookies a server sets are not read (:class:`ApiClient`)."""

    def extract_cookies(self, response: httpx.Response) -> None:
        return None


class ApiClient(httpx.Client):
    """httpx's client for the vendors' APIs, which keeps no cookie a server sets. The vendors
    authenticate every request by its token and want no cookie back; keeping theirs (a load
    balancer's, a session's) would send them with every later call. httpx reads every answer's
    ``Set-Cookie`` through urllib's cookie machinery, a urllib request built per answer even for a
    jar that keeps nothing (≈ 15 µs of CPU a call): here it is not read at all."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._unread = NoCookies()

    @property  # type: ignore[override]
    def cookies(self) -> httpx.Cookies:
        return self._unread

    @cookies.setter
    def cookies(self, cookies: object) -> None:
        raise AttributeError("a vendor API client keeps no cookies")


class Connector(ABC):
    """A kind of system. Subclasses set ``name``, ``label``, ``Options`` and declare resources."""

    name: ClassVar[str]
    label: ClassVar[str]
    Options: ClassVar[type[ConnectionOptions]]
    resources: ClassVar[dict[str, Resource[Any]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        found: dict[str, Resource[Any]] = {}
        for klass in reversed(cls.__mro__):
            found.update({k: v for k, v in vars(klass).items() if isinstance(v, Resource)})
        cls.resources = found

    def __init__(
        self,
        options: ConnectionOptions,
        *,
        http: httpx.Client | None = None,
        tokens: TokenStore | None = None,
        environ: Mapping[str, str] | None = None,
        retry: RetryPolicy | None = None,
        ledger: BudgetLedger | None = None,
        staging: Staging | None = None,
        tally: Tally | None = None,
    ) -> None:
        self.options = options
        self.staging: Staging = staging or MemoryStaging()
        self.retry = retry or RetryPolicy()
        seconds = float(getattr(options, "timeout", 30.0))  # a connector may offer `timeout` as an option
        self.http = http or ApiClient(timeout=httpx.Timeout(seconds, connect=min(10.0, seconds)), verify=tls())
        self.tokens: TokenStore = tokens or MemoryTokens()
        self.environ = environ
        self.ledger = ledger  # where call budgets are shared with other processes; None: this process only
        self.tally: Tally = tally or MemoryTally()  # stock figures kept between runs (the store's, in a run)

    def secret(self, ref: SecretRef) -> str:
        """Resolve a secret reference; the value is registered so no log ever shows it."""
        value = ref.resolve(self.environ)
        register_secret(value)
        return value

    @abstractmethod
    def account_key(self) -> str:
        """Identifies the system account whose rate limits this connection shares with others
        (e.g. ``exact_online:123456`` for a division); flows on one account share one budget."""

    @property
    @abstractmethod
    def client(self) -> Any:
        """The connector's client, built once per connection from the options and ``self.http``."""

    def resource(self, name: str) -> Resource[Any]:
        """The resource ``name`` bound to this connection (made once per connection)."""
        bound: dict[str, Resource[Any]] = self.__dict__.setdefault("_bound_resources", {})
        if name not in bound:
            try:
                declared = self.resources[name]
            except KeyError:
                known = ", ".join(sorted(self.resources))
                raise ConfigError(f"connector {self.name} has no resource {name!r}",
                                  hint=f"choose one of: {known}") from None
            bound[name] = declared.bind(self)
        return bound[name]

    def resource_for(self, kind: str) -> Resource[Any] | None:
        """The (first) resource holding entity ``kind``, bound to this connection."""
        name = next((n for n, r in self.resources.items() if r.entity.kind == kind), None)
        return self.resource(name) if name is not None else None

    def checks(self) -> Iterator[Check]:
        """Cheap online checks of this connection for ``tradewind check`` (a few calls, no writes):
        authentication first, then what the options name (codes, items, locations). Yielded one by
        one; an error raised stops the rest and fails the connection. None by default."""
        return iter(())

    def close(self) -> None:
        self.http.close()
