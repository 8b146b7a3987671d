"""What every Exact Online resource shares: reads by ``Modified`` or the sync API's ``Timestamp``,
look-ups by ``$filter`` per natural key, reads by native id, and the connection's options held by
the bound copy."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, TypeVar

from tradewind.connectors.base import (
    Ambiguous,
    Capability,
    ConnectionOptions,
    Connector,
    CursorKind,
    Found,
    NativeRecord,
    Page,
    Refs,
    Resource,
    SyncToken,
    UpdatedSince,
)
from tradewind.connectors.exact_online import codec
from tradewind.connectors.exact_online.client import (
    ExactClient,
    Row,
    chunks_by_length,
    datetime_literal,
    guid,
    is_guid,
    nested,
    parse_date,
    quote,
)
from tradewind.connectors.exact_online.options import ExactOnlineOptions
from tradewind.errors import ConfigError, RecordError
from tradewind.model import Entity

E = TypeVar("E", bound=Entity)

Lookup = Callable[[str], str]
"""Natural key value → ``$filter`` clause."""

EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
"""The lower bound of a first read by ``Modified``: Exact refuses a read without ``$filter`` on
endpoints with a sync API, and ``Modified`` is one of the fields its mandatory filter accepts."""


class Eq:
    """A natural key held in one field (``Email``, ``YourRef``, ``trim(Code)``): its ``$filter``
    clause, and which rows of an ``or``-filter answer a value — as Exact compares, without regard
    to case or trailing blanks — so one call answers many look-ups (:meth:`ExactResource.find_many`)."""

    def __init__(self, field: str) -> None:
        self.expression = field
        self.field = field[5:-1] if field.startswith("trim(") and field.endswith(")") else field

    def __call__(self, value: str) -> str:
        return f"{self.expression} eq {quote(value)}"

    @staticmethod
    def norm(value: Any) -> str:
        return str(value if value is not None else "").strip().casefold()

    def of(self, row: Row) -> str:
        return self.norm(row.get(self.field))


def eq(field: str) -> Eq:
    return Eq(field)


def without_metadata(rows: list[Row]) -> list[Row]:
    """Copies of ``rows`` without Exact's ``__metadata``: every row read passes here."""
    return [_without_metadata(row) for row in rows]


def _without_metadata(row: Row) -> Row:
    """A copy of ``row`` less ``__metadata`` (a copy and a removal: a quarter of a filtered rebuild)."""
    kept = dict(row)
    kept.pop("__metadata", None)
    return kept


def api_rows(raw: Any) -> list[Row]:
    """Rows as Exact answers them, given as one row, a list, or the ``{"d": {"results": [...]}}``
    (or ``{"d": row}``) envelope; ``__metadata`` dropped."""
    body = raw.get("d", raw) if isinstance(raw, dict) else raw
    rows = nested(body) if isinstance(body, dict) and "results" in body else body
    rows = rows if isinstance(rows, list) else [rows]
    if not all(isinstance(row, dict) for row in rows):
        raise RecordError("an Exact Online record is a JSON object (a row as the REST API answers it)")
    return without_metadata(rows)


def sync_start(since: str | None) -> int:
    """The ``Timestamp`` a sync read continues after: the cursor, or 1 for a first read. A cursor
    that is not a Timestamp (stock was read by ``Modified`` before it moved to the sync API) starts
    over: the engine's content hashes keep unchanged records from being written again."""
    return int(since) if since and since.strip().isdigit() else 1


def modified(row: Row) -> str | None:
    """A row's ``Modified`` as ISO 8601 with its offset: Exact sends ``/Date(ms)/`` (milliseconds
    since the epoch, UTC), so versions and cursors compare as times and need no zone declared."""
    value = row.get("Modified")
    if type(value) is str:
        return _modified_text(value)
    moment = parse_date(value)
    return moment.isoformat() if moment else None


@lru_cache(maxsize=1024)
def _modified_text(value: str) -> str | None:
    """Read once per spelling: the rows of one import or batch update share their ``Modified``
    (and a refusal, an exception, is never kept)."""
    moment = parse_date(value)
    return moment.isoformat() if moment else None


def one_of(records: list[NativeRecord]) -> Found:
    """The one record, None for none, :class:`Ambiguous` for several."""
    if len({r.id for r in records}) > 1:
        return Ambiguous(tuple(sorted({r.id for r in records})))
    return records[0] if records else None


class ExactResource(Resource[E]):
    """An Exact entity set read by ``Modified`` (standard endpoints, 60 rows a call) or by the sync
    API's ``Timestamp`` (1,000 rows a call), found by ``$filter`` clauses per natural key and read
    by native id (Guid) in ``or``-filters of ~40 ids a call.

    Declared once with codec functions that take ``settings=``; :meth:`bind` gives the
    connection's copy, holding its options (:attr:`opts`) and codec settings, whose ``decode`` and
    ``encode`` hand those settings to the codec explicitly."""

    def __init__(self, entity: type[E], *, path: str, select: Sequence[str], native_key: str,
                 natural_keys: Sequence[str], cursor: CursorKind, can: Sequence[Capability],
                 decode: Callable[..., E], lookups: Mapping[str, Lookup], sync_path: str | None = None,
                 expand: str | None = None, encode: Callable[..., dict[str, Any]] | None = None,
                 description: str = "") -> None:
        super().__init__(entity, native_key=native_key, natural_keys=natural_keys, cursor=cursor, can=can,
                         decode=decode, encode=encode, description=description)
        self.codec_in = decode
        """The codec's decode, which takes ``settings=``; a bound copy always hands them over."""
        self.codec_out = encode
        self.path = path
        self.sync_path = sync_path
        self.select = tuple(select)
        self.expand = expand
        self.lookups = dict(lookups)
        self.settings: codec.Settings = codec.DEFAULT
        self._opts: ExactOnlineOptions | None = None

    def bind(self, connection: Connector) -> ExactResource[E]:
        bound = super().bind(connection)
        assert isinstance(bound, ExactResource) and isinstance(connection.options, ExactOnlineOptions)
        bound._opts = connection.options
        bound.settings = connection.options.settings()
        bound.decode = bound._decode_bound
        bound.encode = bound._encode_bound if self.codec_out is not None else None
        return bound

    @property
    def opts(self) -> ExactOnlineOptions:
        if self._opts is None:
            raise ConfigError(f"{self.name}: bind the resource to a connection first")
        return self._opts

    def codec_settings(self, client: ExactClient | None = None) -> codec.Settings:
        """The codec's settings: the connection's, with what the division told at run time."""
        return self.settings

    def _decode_bound(self, data: dict[str, Any]) -> E:
        return self.codec_in(data, settings=self.codec_settings())

    def _encode_bound(self, entity: E, refs: Refs) -> dict[str, Any]:
        assert self.codec_out is not None
        return self.codec_out(entity, refs, settings=self.codec_settings())

    def query(self, select: Sequence[str] | None = None, **extra: str) -> dict[str, str]:
        params = {"$select": ",".join(select or [f for f in self.select if f != "Timestamp"])}
        if self.expand:
            params["$expand"] = self.expand
        return {**params, **extra}

    def assemble(self, client: ExactClient, rows: list[Row]) -> list[NativeRecord]:
        """Rows as read → native records (resources whose records come from several calls override it)."""
        return [NativeRecord(id=str(row[self.native_key]), data=row, version=modified(row)) for row in rows]

    def scope(self) -> str | None:
        """The connection's own restriction of a read by ``Modified`` (a ``$filter`` clause)."""
        return None

    def pages(self, client: ExactClient, since: str | None) -> Iterator[Page]:
        if isinstance(self.cursor, SyncToken) and self.sync_path:
            yield from self.sync_pages(client, since)
            return
        field = self.cursor.field if isinstance(self.cursor, UpdatedSince) else "Modified"
        clauses = [self.scope()]
        moment = parse_date(since) if since else EARLIEST
        assert moment is not None
        clauses.append(f"{field} ge {datetime_literal(moment)}")  # never unfiltered: Exact refuses that
        extra = {"$orderby": field, "$filter": " and ".join(f"({c})" for c in clauses if c)}
        for rows in client.pages(self.path, self.query(**extra)):
            rows = without_metadata(rows)
            last = parse_date(rows[-1].get(field)) if rows else None
            yield Page(records=self.assemble(client, rows), cursor=last.isoformat() if last else None)

    def sync_pages(self, client: ExactClient, since: str | None,
                   keep: Callable[[Row], bool] | None = None) -> Iterator[Page]:
        """Pages of the sync API after ``since``; ``keep`` drops rows the connection does not read
        (the page's cursor still passes them)."""
        assert self.sync_path is not None
        params = {"$select": ",".join(self.select), "$filter": f"Timestamp gt {sync_start(since)}"}
        for rows in client.pages(self.sync_path, params):
            rows = without_metadata(rows)
            top = max([int(r["Timestamp"]) for r in rows], default=None)
            kept = [r for r in rows if keep(r)] if keep else rows
            yield Page(records=self.assemble(client, kept), cursor=str(top) if top is not None else None)

    def get(self, client: ExactClient, ids: Sequence[str]) -> list[NativeRecord | None]:
        """By native id (a Guid), ``or``-filtered in as many ids as one URL holds: one call per batch
        (the filter names its keys, so Exact's mandatory filter is met). Not a Guid, or gone: None."""
        wanted = list(dict.fromkeys(i.strip().lower() for i in ids if is_guid(i)))
        found: dict[str, NativeRecord] = {}
        for chunk in chunks_by_length(wanted, lambda i: f"{self.native_key} eq {guid(i)}"):
            clause = " or ".join(f"{self.native_key} eq {guid(i)}" for i in chunk)
            rows = without_metadata(client.rows(self.path, self.query(**{"$filter": clause})))
            found.update({r.id.lower(): r for r in self.assemble(client, rows)})
        return [found.get(i.strip().lower()) if is_guid(i) else None for i in ids]

    def from_api(self, raw: Any, options: ConnectionOptions) -> dict[str, Any]:
        """One row as the REST API answers it (``__metadata`` and the ``{"d": …}`` envelope allowed)."""
        rows = api_rows(raw)
        if len(rows) != 1:
            raise RecordError(f"give one {self.entity.kind} row, as Exact Online answers it; got {len(rows)}")
        return super().from_api(rows[0], options)

    def _clause(self, keys: Mapping[str, str]) -> str:
        clauses = []
        for name, value in keys.items():
            lookup = self.lookups.get(name)
            if lookup is None:
                known = ", ".join(sorted(self.lookups))
                raise RecordError(f"{self.name} cannot be found by {name!r} in Exact Online (by: {known})", field=name)
            clauses.append(f"({lookup(value)})")
        return " and ".join(clauses)

    def find(self, client: ExactClient, keys: Mapping[str, str]) -> Found:
        """Filter by the keys Exact can filter on; check the others (e.g. a price's list) on the
        decoded records. Several matches (two accounts with one e-mail address, two sales orders
        with one YourRef) are :class:`Ambiguous`: the engine never picks one."""
        filtered = {k: v for k, v in keys.items() if k in self.lookups}
        rest = {k: v for k, v in keys.items() if k not in self.lookups}
        if not filtered:
            known = ", ".join(sorted(self.lookups))
            raise RecordError(f"{self.name} cannot be found by {sorted(keys)} in Exact Online (by: {known})")
        rows = without_metadata(client.rows(self.path, self.query(**{"$filter": self._clause(filtered)})))
        if not rest:
            ids = sorted({str(row[self.native_key]) for row in rows})
            if len(ids) > 1:  # told apart before assembling, which may cost calls (contacts)
                return Ambiguous(tuple(ids))
            return next(iter(self.assemble(client, rows[:1])), None)
        return one_of([r for r in self.assemble(client, rows) if self._has(r, rest)])

    def find_many(self, client: ExactClient, keys: Sequence[Mapping[str, str]]) -> list[Found]:
        """Look-ups by one key held in one field (``Eq``) are answered together: one ``or``-filter per
        key and per URL's worth of values (Exact's mandatory filter names the key), the records found
        assembled in one go. Others (several keys, a key checked on the decoded record) one by one."""
        answers: list[Found] = [None] * len(keys)
        batched: dict[str, list[int]] = {}
        for i, one in enumerate(keys):
            name = next(iter(one), "")
            if len(one) == 1 and isinstance(self.lookups.get(name), Eq):
                batched.setdefault(name, []).append(i)
            else:
                answers[i] = self.find(client, one)
        for name, positions in batched.items():
            lookup = self.lookups[name]
            assert isinstance(lookup, Eq)
            found = self._find_by(client, lookup, sorted({keys[i][name] for i in positions}))
            for i in positions:
                answers[i] = found.get(lookup.norm(keys[i][name]))
        return answers

    def _find_by(self, client: ExactClient, lookup: Eq, values: list[str]) -> dict[str, Found]:
        """Normalised value → the one record holding it (:class:`Ambiguous` for several)."""
        rows: dict[str, list[Row]] = {}
        for chunk in chunks_by_length(values, lookup):
            clause = " or ".join(lookup(v) for v in chunk)
            for row in without_metadata(client.rows(self.path, self.query(**{"$filter": clause}))):
                rows.setdefault(lookup.of(row), []).append(row)
        answers: dict[str, Found] = {}
        single: dict[str, Row] = {}
        for value, held in rows.items():
            ids = sorted({str(row[self.native_key]) for row in held})
            if len(ids) > 1:  # told apart before assembling, which may cost calls (contacts)
                answers[value] = Ambiguous(tuple(ids))
            else:
                single[value] = held[0]
        unique = list({str(row[self.native_key]): row for row in single.values()}.values())
        records = {r.id: r for r in self.assemble(client, unique)} if unique else {}
        answers.update({value: records.get(str(row[self.native_key])) for value, row in single.items()})
        return answers

    def _has(self, record: NativeRecord, keys: Mapping[str, str]) -> bool:
        entity = self.decode(record.data)
        return all(str(getattr(entity, k, None)) == str(v) for k, v in keys.items())

    def create(self, client: ExactClient, native: dict[str, Any]) -> NativeRecord:
        if "create" not in self.can:
            return super().create(client, native)
        created = client.post(self.path, native)
        return self.assemble(client, without_metadata([created]))[0]

    def update(self, client: ExactClient, native_id: str, native: dict[str, Any]) -> NativeRecord:
        if "update" not in self.can:
            return super().update(client, native_id, native)
        client.put(f"{self.path}({guid(native_id)})", native)
        return NativeRecord(id=native_id, data={self.native_key: native_id, **native})
