"""The in-memory division of the Exact Online sandbox: its tables and indexes, its clock, its rate-limit
windows, the primitives every write goes through, and filtered, ordered reads of a view.

What it follows: per-division limits of 60 calls a minute and 5,000 a day (Exact KB via
docs.maesn.com/rate-limits; configurable, as ossobv ``exactonline/http.py`` @ 532b361 shows 100/9,000),
the six ``X-RateLimit-*`` headers with resets in epoch **milliseconds** (picqer
``Connection::extractRateLimits``), headers possibly missing on a 429 (picqer issue #255); every
create/update bumps ``Modified`` and the division-wide ``Timestamp`` rowversion the sync API pages by
(ossobv ``api/syncsalesitemprices.py``). The clock is injectable (:meth:`Store.set_clock`), so tests
can run hours of sandbox time (token expiry, the 570 s refresh rule, rate windows) in no time.
"""

from __future__ import annotations

import bisect
import re
import threading
import time
import uuid
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from tradewind.sandboxes._kit import FixedWindow, Kit
from tradewind.sandboxes.exact_online import odata
from tradewind.sandboxes.exact_online.schema import (
    ENTITIES,
    TIMESTAMP_BASE,
    VAT_CODES,
    Entity,
    ExactError,
    Rec,
    envelope,
    trunc,
)

if TYPE_CHECKING:
    from tradewind.sandboxes.exact_online.views import View


class Store:
    """Tables, indexes, clock and rate windows of one division (the base the writes build on)."""

    def __init__(self, *, division: int, minutely_limit: int | None, daily_limit: int | None,
                 rate_headers_on_429: bool, mandatory_filtering: bool) -> None:
        self.division = division
        self.rate_headers_on_429 = rate_headers_on_429
        self.mandatory_filtering = mandatory_filtering
        self.refusals: Counter[str] = Counter()
        """Reads refused for want of ``$filter``, by view path (a correct client makes none)."""
        self.clock: Callable[[], float] = time.time
        self.lock = threading.RLock()
        self.kit = Kit(error_body=lambda status, message: envelope(message))
        self.minutely = FixedWindow(minutely_limit, 60, clock=lambda: self.clock())
        self.daily = FixedWindow(daily_limit, 86400, clock=lambda: self.clock())
        self._reset_data()

    def _reset_data(self) -> None:
        self.tables: dict[str, dict[str, Rec]] = {name: {} for name in ENTITIES}
        self.indexes: dict[tuple[str, str], dict[Any, set[str]]] = {
            (e.name, f): {} for e in ENTITIES.values() for f in e.indexed}
        self.warehouses: dict[str, Rec] = {}
        self.timestamp = TIMESTAMP_BASE
        self.version = 0
        self.versions: Counter[str] = Counter()
        """Per entity, its writes so far: a read index of one table is rebuilt only after a write to
        that table (an order written does not make the next SKU look-up re-index every item)."""
        self._cache: OrderedDict[tuple[Any, ...], list[Rec]] = OrderedDict()
        self._read_indexes: dict[tuple[str, str], tuple[int, Any]] = {}
        for code, (fraction, text) in VAT_CODES.items():
            vid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"exact:{self.division}:vat:{code}"))
            self.tables["VATCodes"][vid] = {"ID": vid, "Code": code, "Description": text, "Percentage": fraction,
                                            "Type": "I", "VATTransactionType": "S", "IsBlocked": False}

    # ------------------------------------------------------------------ clock

    def set_clock(self, clock: Callable[[], float]) -> None:
        """Replace the time source (token expiry, rate windows, Modified) — lets tests skip ahead."""
        self.clock = clock

    def now(self) -> datetime:
        return trunc(datetime.fromtimestamp(self.clock(), UTC))

    # ------------------------------------------------------------------ rate limits

    def rate_headers(self) -> dict[str, str]:
        """The six ``X-RateLimit-*`` headers (resets in epoch ms); a lifted limit sends none of its three."""
        windows = [("X-RateLimit", self.daily), ("X-RateLimit-Minutely", self.minutely)]
        headers: dict[str, str] = {}
        for prefix, window in windows:
            if window.limit is not None:
                headers |= {f"{prefix}-Limit": str(window.limit), f"{prefix}-Remaining": str(window.remaining),
                            f"{prefix}-Reset": str(int(window.reset_at * 1000))}
        return headers

    def take_call(self) -> dict[str, str]:
        """Count one API call against the division's windows; 429 when either is exhausted."""
        for window in (self.daily, self.minutely):
            if window.limit is not None and window.remaining <= 0:
                headers = self.rate_headers() if self.rate_headers_on_429 else {}
                raise ExactError(429, "Too many requests", headers)
        self.daily.take()
        self.minutely.take()
        return self.rate_headers()

    # ------------------------------------------------------------------ storage primitives

    def _next_timestamp(self) -> int:
        self.timestamp += 1
        return self.timestamp

    def _index_add(self, entity: Entity, rec: Rec) -> None:
        for name in entity.indexed:
            self.indexes[(entity.name, name)].setdefault(rec.get(name), set()).add(rec[entity.key])

    def _index_drop(self, entity: Entity, rec: Rec) -> None:
        for name in entity.indexed:
            self.indexes[(entity.name, name)].get(rec.get(name), set()).discard(rec[entity.key])

    def lookup(self, entity: Entity, name: str, value: Any) -> list[Rec]:
        """Records whose indexed field ``name`` equals ``value``."""
        keys = self.indexes[(entity.name, name)].get(value, set())
        table = self.tables[entity.name]
        return [table[k] for k in sorted(keys)]

    def _store(self, entity: Entity, rec: Rec) -> Rec:
        table = self.tables[entity.name]
        old = table.get(rec[entity.key])
        if old is not None:
            self._index_drop(entity, old)
        table[rec[entity.key]] = rec
        self._index_add(entity, rec)
        self.version += 1
        self.versions[entity.name] += 1
        return rec

    def _remove(self, entity: Entity, key: str) -> None:
        rec = self.tables[entity.name].pop(key)
        self._index_drop(entity, rec)
        self.version += 1
        self.versions[entity.name] += 1

    def _touch(self, rec: Rec, given: Mapping[str, Any] | None = None) -> None:
        """Every create/update bumps Modified (UTC) and the division's Timestamp, unless a seed gives them."""
        given = given or {}
        rec["Modified"] = given.get("Modified") or self.now()
        rec["Timestamp"] = given.get("Timestamp") or self._next_timestamp()
        self.timestamp = max(self.timestamp, rec["Timestamp"])
        if rec.get("Created") is None:
            rec["Created"] = rec["Modified"]

    def get(self, entity: Entity, key: str) -> Rec:
        rec = self.tables[entity.name].get(key)
        if rec is None:
            raise ExactError(404, f"Resource not found for the segment '{entity.name}'.")
        return rec

    # ------------------------------------------------------------------ queries

    def rows(self, view: View, filter_text: str | None, order: list[tuple[str, bool]]) -> list[Rec]:
        """Filtered and ordered records of a view, cached until the next write (paging stays cheap).

        A filter that is a disjunction of ``Field eq 'value'`` (``trim(Field)``, Guids), a
        conjunction led by ``Timestamp gt n``, or a conjunction (no ``or``, no ``not``) holding
        ``Modified ge|gt datetime'…'`` is answered from an index (values → keys; records by
        Timestamp; records by Modified) and the compiled filter checks only those candidates, so a
        read costs what it returns, not the table: the benchmark then measures the engine, not the
        sandbox."""
        cache_key = (view.path, filter_text, tuple(order), self.version)
        cached = self._cache.get(cache_key)
        if cached is not None:
            self._cache.move_to_end(cache_key)
            return cached
        records: Iterable[Rec] = self.tables[view.entity.name].values()
        ordered = False
        if filter_text:
            scalars = {k: v for k, v in view.types.items() if v != "nav"}
            predicate = odata.compile_filter(filter_text, scalars, view.entity.type_name)
            candidates, ordered = self._candidates(view, filter_text)
            records = [r for r in (records if candidates is None else candidates) if predicate(r)]
        if ordered and (not order or order == [("Timestamp", False)]) and view.key == "Timestamp":
            result = list(records)  # the Timestamp index hands them over in order already
        else:
            result = sorted(records, key=odata.sort_key(order, view.key))
        self._cache[cache_key] = result
        while len(self._cache) > 16:
            self._cache.popitem(last=False)
        return result

    # ------------------------------------------------------------------ indexes for reads

    def _candidates(self, view: View, text: str) -> tuple[list[Rec] | None, bool]:
        """A superset of the records ``text`` matches, from an index, and whether it comes in
        Timestamp order; None when the filter has no indexable shape (then the table is scanned)."""
        terms = _key_terms(text)
        if terms is not None:
            keys: dict[str, None] = {}
            for name, value in terms:
                keys.update(dict.fromkeys(self._value_index(view.entity, name).get(value, ())))
            table = self.tables[view.entity.name]
            return [table[k] for k in keys if k in table], False
        after = _timestamp_floor(text)
        if after is not None and "Timestamp" in view.types:
            stamps, keys_in_order = self._stamps(view.entity)
            table = self.tables[view.entity.name]
            return [table[k] for k in keys_in_order[bisect.bisect_right(stamps, after):]], True
        since = _modified_floor(text)
        if since is not None and view.types.get("Modified") == "date":
            moments, keys_in_order, undated = self._moments(view.entity)
            table = self.tables[view.entity.name]
            start = bisect.bisect_left(moments, since)
            return [table[k] for k in [*keys_in_order[start:], *undated]], False
        return None, False

    def _value_index(self, entity: Entity, name: str) -> dict[str, list[str]]:
        """Field ``name``'s values (trimmed, lower case: a superset of what ``eq`` matches) → record
        keys; built once per version of the division (reads between writes share it)."""
        cache_key = (entity.name, name)
        version = self.versions[entity.name]
        held = self._read_indexes.get(cache_key)
        if held is None or held[0] != version:
            index: dict[str, list[str]] = {}
            for key, rec in self.tables[entity.name].items():
                index.setdefault(_norm(rec.get(name)), []).append(key)
            held = (version, index)
            self._read_indexes[cache_key] = held
        return held[1]  # type: ignore[return-value]

    def _stamps(self, entity: Entity) -> tuple[list[int], list[str]]:
        """Timestamps in order and the record keys that hold them (once per version of the table)."""
        cache_key = (entity.name, "\0Timestamp")
        version = self.versions[entity.name]
        held = self._read_indexes.get(cache_key)
        if held is None or held[0] != version:
            pairs = sorted((int(rec.get("Timestamp") or 0), key) for key, rec in self.tables[entity.name].items())
            held = (version, ([t for t, _ in pairs], [k for _, k in pairs]))
            self._read_indexes[cache_key] = held
        return held[1]  # type: ignore[return-value]

    def _moments(self, entity: Entity) -> tuple[list[datetime], list[str], list[str]]:
        """Modified moments in order, the keys that hold them, and the keys of records without one
        (kept as candidates: the filter decides on them) — once per version of the table."""
        cache_key = (entity.name, "\0Modified")
        version = self.versions[entity.name]
        held = self._read_indexes.get(cache_key)
        if held is None or held[0] != version:
            table = self.tables[entity.name]
            pairs = sorted((rec["Modified"], key) for key, rec in table.items()
                           if isinstance(rec.get("Modified"), datetime))
            undated = [key for key, rec in table.items() if not isinstance(rec.get("Modified"), datetime)]
            held = (version, ([m for m, _ in pairs], [k for _, k in pairs], undated))
            self._read_indexes[cache_key] = held
        return held[1]  # type: ignore[return-value]


_LITERAL = r"(?:guid)?'(?:[^']|'')*'"
_TERM = rf"\(?\s*(?:trim\((\w+)\)|(\w+))\s+eq\s+({_LITERAL})\s*\)?"
_DISJUNCTION = re.compile(rf"\s*{_TERM}(?:\s+or\s+{_TERM})*\s*", re.IGNORECASE)
_TERMS = re.compile(_TERM, re.IGNORECASE)
_TIMESTAMP = re.compile(r"\s*\(?\s*Timestamp\s+(gt|ge)\s+(\d+)L?\s*\)?\s*(?:and\s|$)", re.IGNORECASE)


_MODIFIED = re.compile(r"(?<![\w/])Modified\s+(?:gt|ge)\s+datetime'([^']*)'", re.IGNORECASE)
_LITERALS = re.compile(r"(\w*)'(?:[^']|'')*'")


def _norm(value: Any) -> str:
    return str(value).strip().lower() if value is not None else ""


def _key_terms(text: str) -> list[tuple[str, str]] | None:
    """``[(field, normalised value)]`` of a filter that is only ``eq`` terms joined by ``or``."""
    if not _DISJUNCTION.fullmatch(text):
        return None
    terms = []
    for trimmed, plain, literal in _TERMS.findall(text):
        value = literal[literal.index("'") + 1:-1].replace("''", "'")
        terms.append((trimmed or plain, _norm(value)))
    return terms


def _timestamp_floor(text: str) -> int | None:
    """n of a filter ``Timestamp gt n [and …]`` (``ge n`` as ``gt n-1``) with no ``or`` anywhere
    (a top-level ``or`` would make the rest no subset of it)."""
    match = _TIMESTAMP.match(text)
    if match is None or re.search(r"\bor\b", text, re.IGNORECASE):
        return None
    return int(match.group(2)) - (1 if match.group(1).lower() == "ge" else 0)


def _modified_floor(text: str) -> datetime | None:
    """The moment of ``Modified ge|gt datetime'…'`` in a filter that is a conjunction: no ``or`` and
    no ``not`` outside text literals, so every comparison in it must hold (the records from that
    moment on are a superset of the answer; for ``gt`` the moment itself is one too many)."""
    bare = _LITERALS.sub(_blank_text, text)
    if re.search(r"\b(?:or|not)\b", bare, re.IGNORECASE):
        return None
    match = _MODIFIED.search(bare)
    if match is None:
        return None
    try:
        return trunc(odata.parse_datetime(match.group(1)).astimezone(UTC))
    except odata.ODataError:
        return None


def _blank_text(match: re.Match[str]) -> str:
    """A text literal emptied (its words are no operators); ``datetime'…'`` and ``guid'…'`` kept."""
    return match.group(0) if match.group(1).lower() in ("datetime", "guid") else f"{match.group(1)}''"
