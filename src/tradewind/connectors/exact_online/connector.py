"""Exact Online: one division's items (grouped into products), prices, stock, customers and sales orders.

Reads are incremental: products, prices, stock and customers through the sync API (``Timestamp``,
1,000 rows a call), orders by ``Modified``. Calls are paced by the division's shared minute/day budget.

Since 2021 Exact refuses a GET without ``$filter`` on every standard or bulk endpoint that has a sync
counterpart (Items, SalesItemPrices, ItemWarehouses, Accounts, Contacts, SalesOrders, SalesOrderLines;
Exact release note 2107 "mandatory filtering", answered "This endpoint has mandatory filtering
applied…", picqer/exact-php-client#591). So full reads go through ``sync/`` endpoints, look-ups
filter by their keys, and the one read by ``Modified`` (orders) always carries a lower bound.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from functools import partial
from typing import Any, TypeVar

from pydantic import Field

from tradewind.connectors import connector
from tradewind.connectors.base import (
    Ambiguous,
    Capability,
    ConnectionOptions,
    Connector,
    CursorKind,
    Decode,
    Encode,
    Found,
    NativeRecord,
    Page,
    Resource,
    SecretRef,
    SyncToken,
    UpdatedSince,
)
from tradewind.connectors.exact_online import codec
from tradewind.connectors.exact_online.client import (
    Credentials,
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
from tradewind.connectors.pacing import WindowBudget, shared_budget
from tradewind.errors import ConfigError, RecordError
from tradewind.model import Customer, Entity, Order, Price, Product, StockLevel

E = TypeVar("E", bound=Entity)


class ExactOnlineOptions(ConnectionOptions):
    """How to reach one Exact Online division and how to book webshop orders in it."""

    base_url: str = Field("https://start.exactonline.nl", description="Exact Online host of the country the "
                          "division lives in", examples=["https://start.exactonline.nl", "https://start.exactonline.be"],
                          pattern=r"^https?://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?)"
                                  r"(:[0-9]{1,5})?(/[^\s?#]*)?$")
    division: int = Field(ge=1, le=999_999_999, description="Exact Online division number (Settings → Company)",
                          examples=[123456])
    client_id: str = Field(description="Client ID of the app registration in the Exact App Center",
                           examples=["f3a1c6d2-4b7e-4c1a-9d2e-0a1b2c3d4e5f"])
    client_secret: SecretRef = Field(description="Client secret of the app registration", examples=["${EXACT_SECRET}"])
    refresh_token: SecretRef = Field(description="Initial refresh token from authorising the app; rotated tokens are "
                                     "kept in the token store under exact_online:<division>",
                                     examples=["${EXACT_REFRESH_TOKEN}"])
    calls_per_minute: int = Field(60, description="API calls allowed per minute for the division (sources differ: "
                                  "60 or 100); the X-RateLimit headers correct it", examples=[60], ge=1, le=1_000_000)
    calls_per_day: int = Field(5000, description="API calls allowed per day for the app and division (5,000 or "
                               "9,000 by source)", examples=[5000], ge=1, le=100_000_000)
    group_field: str | None = Field("FreeTextField_01", description="Item field holding the model code that groups "
                                    "items (sizes, colours) into one webshop product; items with it empty stand "
                                    "alone; empty to never group", examples=["FreeTextField_01"])
    shipping_item: str | None = Field(None, description="Item code booked for an order's shipping costs",
                                      examples=["SHIP"])
    discount_item: str | None = Field(None, description="Item code booked (negative) for order-level discounts",
                                      examples=["DISC"])
    payment_condition: str | None = Field(None, description="Payment condition code for new sales orders",
                                          examples=["IB"])
    warehouse: str | None = Field(None, description="Warehouse for new sales orders: its code (looked up once) or "
                                  "its ID; empty for the division's default", examples=["1"])
    stock_warehouses: list[str] = Field(default_factory=list, description="Codes of the warehouses whose stock "
                                        "is read (e.g. the one the webshop ships from); empty for all of them. "
                                        "Stock of two warehouses is not summed: feeding both into one shop "
                                        "location is refused",
                                        examples=[["1"]])
    vat_rates: bool = Field(False, description="Give products and prices their items' sales VAT rate (from the "
                            "item's SalesVatCode and vat/VATCodes), so a shop whose prices include VAT can convert "
                            "net prices. Costs one VAT-code read per run; prices also read their items' codes: one "
                            "call per 40 items of a page, or one per 1,000 items for a large read", examples=[True])
    prices_include_vat: bool = Field(False, description="Whether the division's sales prices include VAT",
                                     examples=[False])
    vat_codes: dict[str, str] = Field(default_factory=dict, description="Exact VAT code per rate in percent for "
                                      "order lines; empty to let Exact use each item's own code",
                                      examples=[{"21": "2", "9": "1", "0": "0"}])
    option_fields: dict[str, str] = Field(
        default_factory=lambda: {"colour": "FreeTextField_02", "size": "FreeTextField_03"},
        description="Variant options of a grouped product and the Item fields holding them (option name → field)",
        examples=[{"colour": "FreeTextField_02", "size": "FreeTextField_03"}])
    currency: str = Field("EUR", description="Currency of the items' standard sales prices (the division's)",
                          examples=["EUR"])
    language: str | None = Field(None, description="Language code for new accounts when the customer has none",
                                 examples=["NL"])

    def settings(self) -> codec.Settings:
        return codec.Settings(shipping_item=self.shipping_item, discount_item=self.discount_item,
                              payment_condition=self.payment_condition, vat_codes=dict(self.vat_codes),
                              prices_include_vat=self.prices_include_vat, language=self.language,
                              option_fields=dict(self.option_fields), currency=self.currency)


def _options(client: ExactClient) -> ExactOnlineOptions:
    options = client.cache["options"]
    assert isinstance(options, ExactOnlineOptions)
    return options


Lookup = Callable[[str], str]
"""Natural key value → ``$filter`` clause."""
Assemble = Callable[[ExactClient, list[Row]], list[NativeRecord]]
Scope = Callable[[ExactClient], str | None]
"""The connection's own restriction of a read (a ``$filter`` clause), e.g. to some warehouses."""


def _one_each(key: str, version: str) -> Assemble:
    def assemble(client: ExactClient, rows: list[Row]) -> list[NativeRecord]:
        return [NativeRecord(id=str(row[key]), data=row, version=str(row.get(version))) for row in rows]
    return assemble


def _without_metadata(rows: list[Row]) -> list[Row]:
    return [{k: v for k, v in row.items() if k != "__metadata"} for row in rows]


def api_rows(raw: Any) -> list[Row]:
    """Rows as Exact answers them, given as one row, a list, or the ``{"d": {"results": [...]}}``
    (or ``{"d": row}``) envelope; ``__metadata`` dropped."""
    body = raw.get("d", raw) if isinstance(raw, dict) else raw
    rows = nested(body) if isinstance(body, dict) and "results" in body else body
    rows = rows if isinstance(rows, list) else [rows]
    if not all(isinstance(row, dict) for row in rows):
        raise RecordError("an Exact Online record is a JSON object (a row as the REST API answers it)")
    return _without_metadata(rows)


EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
"""The lower bound of a first read by ``Modified``: Exact refuses a read without ``$filter`` on
endpoints with a sync API, and ``Modified`` is one of the fields its mandatory filter accepts."""


def sync_start(since: str | None) -> int:
    """The ``Timestamp`` a sync read continues after: the cursor, or 1 for a first read. A cursor
    that is not a Timestamp (stock was read by ``Modified`` before it moved to the sync API) starts
    over: the engine's content hashes keep unchanged records from being written again."""
    return int(since) if since and since.strip().isdigit() else 1


class ExactResource(Resource[E]):
    """An Exact entity set read by ``Modified`` (standard endpoints, 60 rows a call) or by the sync
    API's ``Timestamp`` (1,000 rows a call), found by ``$filter`` clauses per natural key."""

    def __init__(self, entity: type[E], *, path: str, select: Sequence[str], native_key: str,
                 natural_keys: Sequence[str], cursor: CursorKind, can: Sequence[Capability], decode: Decode[E],
                 lookups: Mapping[str, Lookup], sync_path: str | None = None, expand: str | None = None,
                 assemble: Assemble | None = None, encode: Encode[E] | None = None, description: str = "",
                 scope: Scope | None = None) -> None:
        super().__init__(entity, native_key=native_key, natural_keys=natural_keys, cursor=cursor, can=can,
                         decode=decode, encode=encode, description=description)
        self.path = path
        self.sync_path = sync_path
        self.select = tuple(select)
        self.expand = expand
        self.lookups = dict(lookups)
        self.assemble = assemble or _one_each(native_key, "Modified")
        self.scope = scope

    def query(self, select: Sequence[str] | None = None, **extra: str) -> dict[str, str]:
        params = {"$select": ",".join(select or [f for f in self.select if f != "Timestamp"])}
        if self.expand:
            params["$expand"] = self.expand
        return {**params, **extra}

    def pages(self, client: ExactClient, since: str | None) -> Iterator[Page]:
        if isinstance(self.cursor, SyncToken) and self.sync_path:
            yield from self._sync_pages(client, since)
            return
        field = self.cursor.field if isinstance(self.cursor, UpdatedSince) else "Modified"
        extra = {"$orderby": field}
        clauses = [self.scope(client)] if self.scope else []
        moment = parse_date(since) if since else EARLIEST
        assert moment is not None
        clauses.append(f"{field} ge {datetime_literal(moment)}")  # never unfiltered: Exact refuses that
        extra["$filter"] = " and ".join(f"({c})" for c in clauses if c)
        for rows in client.pages(self.path, self.query(**extra)):
            rows = _without_metadata(rows)
            last = parse_date(rows[-1].get(field)) if rows else None
            yield Page(records=self.assemble(client, rows), cursor=last.isoformat() if last else None)

    def _sync_pages(self, client: ExactClient, since: str | None,
                    keep: Callable[[Row], bool] | None = None) -> Iterator[Page]:
        """Pages of the sync API after ``since``; ``keep`` drops rows the connection does not read
        (the page's cursor still passes them)."""
        assert self.sync_path is not None
        params = {"$select": ",".join(self.select), "$filter": f"Timestamp gt {sync_start(since)}"}
        for rows in client.pages(self.sync_path, params):
            rows = _without_metadata(rows)
            top = max((int(r["Timestamp"]) for r in rows), default=None)
            kept = [r for r in rows if keep(r)] if keep else rows
            yield Page(records=self.assemble(client, kept), cursor=str(top) if top is not None else None)

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
        rows = _without_metadata(client.rows(self.path, self.query(**{"$filter": self._clause(filtered)})))
        if not rest:
            ids = sorted({str(row[self.native_key]) for row in rows})
            if len(ids) > 1:  # told apart before assembling, which may cost calls (contacts)
                return Ambiguous(tuple(ids))
            return next(iter(self.assemble(client, rows[:1])), None)
        return _one_of([r for r in self.assemble(client, rows) if self._has(r, rest)])

    def _has(self, record: NativeRecord, keys: Mapping[str, str]) -> bool:
        entity = self.decode(record.data)
        return all(str(getattr(entity, k, None)) == str(v) for k, v in keys.items())

    def create(self, client: ExactClient, native: dict[str, Any]) -> NativeRecord:
        if "create" not in self.can:
            return super().create(client, native)
        created = client.post(self.path, native)
        return self.assemble(client, _without_metadata([created]))[0]

    def update(self, client: ExactClient, native_id: str, native: dict[str, Any]) -> NativeRecord:
        if "update" not in self.can:
            return super().update(client, native_id, native)
        client.put(f"{self.path}({guid(native_id)})", native)
        return NativeRecord(id=native_id, data={self.native_key: native_id, **native})


# -- products: items grouped by model code --------------------------------------------------------

ITEMS_SYNC = "sync/Logistics/Items"
ITEMS_BULK = "bulk/Logistics/Items"
"""Bulk endpoints answer 1,000 rows a call (standard ones 60); lookups filter, as Exact demands."""


def _item_fields(client: ExactClient, *, sync: bool) -> list[str]:
    options = _options(client)
    fields = [f for f in codec.ITEM_FIELDS if sync or f != "Timestamp"]
    extra = [options.group_field, *options.option_fields.values()]
    return fields + [f for f in dict.fromkeys(extra) if f and f not in fields]


class ProductResource(ExactResource[Product]):
    """Items read through the sync API and grouped into products by ``group_field``.

    A page of 1,000 items touches some groups whose other members may live on other pages; they are
    fetched with one ``or``-filter per ~40 groups against the bulk endpoint, so a page costs 1 call
    plus about ``groups / 40`` (grouped catalogues of 4 items a model: ~8 calls per 1,000 items).
    Within one read a group is yielded once, unless one of its items changed since it was yielded.
    """

    def pages(self, client: ExactClient, since: str | None) -> Iterator[Page]:
        group_field = _options(client).group_field
        yielded: set[str] = set()
        params = {"$select": ",".join(_item_fields(client, sync=True)), "$filter": f"Timestamp gt {sync_start(since)}"}
        for rows in client.pages(ITEMS_SYNC, params):
            rows = _without_metadata(rows)
            records = _with_product_vat(client, self._group_page(client, rows, group_field, yielded))
            top = max((int(r["Timestamp"]) for r in rows), default=None)
            yield Page(records=records, cursor=str(top) if top is not None else None)

    def from_api(self, raw: Any, options: ConnectionOptions) -> dict[str, Any]:
        """Items rows as the REST API answers them (one item, or the items of one model) → the
        product they make; without the VAT rate ``vat_rates`` would read."""
        assert isinstance(options, ExactOnlineOptions)
        if isinstance(raw, dict) and "Items" in raw and "ID" not in raw:  # assembled already (a snapshot)
            return super(ExactResource, self).from_api(raw, options)
        items = api_rows(raw)
        groups = {codec.group_of(item, options.group_field) or codec.text(item.get("Code")) for item in items}
        if len(groups) != 1 or not items:
            raise RecordError(f"give the Items rows of one product; these make {len(groups)} "
                              f"(by Code and {options.group_field or 'no group field'})")
        code = next(iter(groups)) or str(items[0].get("ID"))
        return _product_record(code, code, _merge(items, [])).data

    def _group_page(self, client: ExactClient, rows: list[Row], group_field: str | None,
                    yielded: set[str]) -> list[NativeRecord]:
        records: list[NativeRecord] = []
        touched: dict[str, list[Row]] = {}
        for row in rows:
            group = codec.group_of(row, group_field)
            if group is None:
                records.append(_product_record(str(row["ID"]), row.get("Code"), [row]))
            elif _version_of(row) not in yielded:
                touched.setdefault(group, []).append(row)
        members = self._members(client, sorted(touched), group_field) if touched else {}
        for group, page_rows in touched.items():
            items = _merge(members.get(group, []), page_rows)
            yielded.update(_version_of(i) for i in items)
            records.append(_product_record(group, group, items))
        return records

    def _members(self, client: ExactClient, groups: list[str], group_field: str | None) -> dict[str, list[Row]]:
        assert group_field is not None
        found: dict[str, list[Row]] = {}
        select = ",".join(_item_fields(client, sync=False))
        for chunk in chunks_by_length(groups, lambda g: f"{group_field} eq {quote(g)}"):
            clause = " or ".join(f"{group_field} eq {quote(g)}" for g in chunk)
            for row in _without_metadata(client.rows(ITEMS_BULK, {"$select": select, "$filter": clause})):
                found.setdefault(codec.group_of(row, group_field) or "", []).append(row)
        return found

    def find(self, client: ExactClient, keys: Mapping[str, str]) -> Found:
        return self.find_many(client, [keys])[0]

    def find_many(self, client: ExactClient, keys: Sequence[Mapping[str, str]]) -> list[Found]:
        """One ``or``-filter per kind of key (and per ~40 values), however many are asked."""
        group_field = _options(client).group_field
        rows: list[Row] = []
        for name in sorted({n for one in keys for n in one}):
            values = sorted({one[name] for one in keys if name in one})
            rows.extend(self._lookup(client, name, values, group_field))
        answers = [self._answer(one, rows, group_field) for one in keys]
        _with_product_vat(client, [a for a in answers if isinstance(a, NativeRecord)])
        return answers

    def _lookup(self, client: ExactClient, name: str, values: list[str], group_field: str | None) -> list[Row]:
        fields = {"sku": "trim(Code)", "ean": "Barcode", "key": group_field}
        if name not in fields:
            raise RecordError(f"products cannot be found by {name!r} in Exact Online (by: key, sku, ean)", field=name)
        select = ",".join(_item_fields(client, sync=False))
        found: list[Row] = []
        for chunk in chunks_by_length(values, lambda v: _key_clause(name, v, fields[name])):
            clause = " or ".join(_key_clause(name, v, fields[name]) for v in chunk)
            found.extend(_without_metadata(client.rows(ITEMS_BULK, {"$select": select, "$filter": clause})))
        return found

    @staticmethod
    def _answer(keys: Mapping[str, str], rows: list[Row], group_field: str | None) -> Found:
        """The product the keys match: a group (by key) or an item (by SKU or EAN). Matches in
        several groups or items (an EAN on two items, a key that is one group's model code and
        another item's code) are :class:`Ambiguous`, naming the products' ids."""
        matches = [r for r in rows if all(_matches(r, n, v, group_field) for n, v in keys.items())]
        if not matches:
            return None
        grouped = "key" in keys
        ids = sorted({(codec.group_of(r, group_field) if grouped else None) or str(r["ID"]) for r in matches})
        if len(ids) > 1:
            return Ambiguous(tuple(ids))
        if grouped:
            group = codec.group_of(matches[0], group_field)
            if group is not None:
                members = [r for r in rows if codec.group_of(r, group_field) == group]
                return _product_record(group, group, _merge(members, []))
        item = matches[0]
        return _product_record(str(item["ID"]), item.get("Code"), [item])


def _one_of(records: list[NativeRecord]) -> Found:
    """The one record, None for none, :class:`Ambiguous` for several."""
    if len({r.id for r in records}) > 1:
        return Ambiguous(tuple(sorted({r.id for r in records})))
    return records[0] if records else None


def _key_clause(name: str, value: str, field: str | None) -> str:
    if name == "key":
        by_code = f"trim(Code) eq {quote(value)}"
        return f"{field} eq {quote(value)} or {by_code}" if field else by_code
    return f"{field} eq {quote(value)}"


def _matches(row: Row, name: str, value: str, group_field: str | None) -> bool:
    if name == "sku":
        return codec.text(row.get("Code")) == value.strip()
    if name == "ean":
        return codec.text(row.get("Barcode")) == value.strip()
    group = codec.group_of(row, group_field)
    return group == value.strip() if group is not None else codec.text(row.get("Code")) == value.strip()


def _version_of(item: Row) -> str:
    """An item as yielded within a group in this read: its ID and Modified in one short string."""
    return f"{item['ID']}@{item.get('Modified')}"


def _merge(members: list[Row], page_rows: list[Row]) -> list[Row]:
    """Members by ID, the page's own (sync) rows winning; sorted by code."""
    by_id = {str(r["ID"]): r for r in members}
    by_id.update({str(r["ID"]): r for r in page_rows})
    return sorted(by_id.values(), key=lambda r: codec.text(r.get("Code")) or "")


def _product_record(native_id: str, code: Any, items: list[Row]) -> NativeRecord:
    versions = [str(i.get("Modified") or "") for i in items]
    return NativeRecord(id=native_id, data={"Code": codec.text(code) or native_id, "Items": items},
                        version=max(versions, default=None))


# -- prices: customer prices carry their account's code -------------------------------------------

def _price_records(client: ExactClient, rows: list[Row]) -> list[NativeRecord]:
    """Price rows with the account code of a customer's price and, when asked, the item's VAT."""
    records = _with_account_codes(client, rows)
    if _options(client).vat_rates:
        fractions = item_vat_fractions(client, sorted({str(r["Item"]) for r in rows if r.get("Item")}))
        for record in records:
            record.data[codec.ITEM_VAT_FRACTION] = fractions.get(str(record.data.get("Item")))
    return records


BIG_READ = 200
"""Above this many unknown items on one page, all items' VAT codes are read at once through the
sync API (1,000 a call) instead of ~40 IDs per filtered bulk call."""


def item_vat_fractions(client: ExactClient, item_ids: list[str]) -> dict[str, float | None]:
    """Item ID → sales VAT fraction (0.21), cached on the connection; codes read once per run."""
    known: dict[str, float | None] = client.cache.setdefault("item_vat", {})
    missing = [i for i in item_ids if i not in known]
    if missing and not client.cache.get("item_vat_complete"):
        rates = _vat_code_fractions(client)
        params = {"$select": "ID,SalesVatCode"}
        if len(missing) > BIG_READ:  # every item through the sync API: unfiltered bulk reads are refused
            pages: Iterator[list[Row]] = client.pages(ITEMS_SYNC, {**params, "$filter": "Timestamp gt 1"})
            client.cache["item_vat_complete"] = True
        else:
            pages = (client.rows(ITEMS_BULK, {**params, "$filter": " or ".join(f"ID eq {guid(i)}" for i in chunk)})
                     for chunk in chunks_by_length(missing, lambda i: f"ID eq {guid(i)}"))
        for rows in pages:
            known.update({str(r["ID"]): rates.get(codec.text(r.get("SalesVatCode")) or "") for r in rows})
    return {i: known.get(i) for i in item_ids}


def _vat_code_fractions(client: ExactClient) -> dict[str, float]:
    if "vat_codes" not in client.cache:
        rows = client.rows("vat/VATCodes", {"$select": "Code,Percentage"})
        client.cache["vat_codes"] = {codec.text(r.get("Code")) or "": float(r.get("Percentage") or 0) for r in rows}
    rates: dict[str, float] = client.cache["vat_codes"]
    return rates


def _with_product_vat(client: ExactClient, records: list[NativeRecord]) -> list[NativeRecord]:
    """Products with their first item's sales VAT (a model's sizes share one VAT code)."""
    if _options(client).vat_rates:
        rates = _vat_code_fractions(client)
        for record in records:
            items = record.data.get("Items") or [{}]
            record.data[codec.ITEM_VAT_FRACTION] = rates.get(codec.text(items[0].get("SalesVatCode")) or "")
    return records


def _with_account_codes(client: ExactClient, rows: list[Row]) -> list[NativeRecord]:
    accounts = sorted({str(r["Account"]) for r in rows if r.get("Account")})
    codes: dict[str, str] = {}
    for chunk in chunks_by_length(accounts, lambda a: f"ID eq {guid(a)}"):
        clause = " or ".join(f"ID eq {guid(a)}" for a in chunk)
        for row in client.rows("crm/Accounts", {"$select": "ID,Code", "$filter": clause}):
            codes[str(row["ID"])] = str(row.get("Code") or "").strip()
    return [NativeRecord(id=str(r["ID"]), data={**r, "AccountCode": codes.get(str(r.get("Account")))},
                         version=str(r.get("Timestamp") or r.get("Modified"))) for r in rows]


class PriceResource(ExactResource[Price]):
    """Sales item prices; a customer's price carries its account's code (read from Accounts)."""

    def from_api(self, raw: Any, options: ConnectionOptions) -> dict[str, Any]:
        """A SalesItemPrices row; a customer's price names its account by a placeholder, as the
        account's code would be read from Accounts. Without the VAT rate ``vat_rates`` would read."""
        row = super().from_api(raw, options)
        if row.get("Account") and not row.get("AccountCode"):
            row["AccountCode"] = f"<account {row['Account']}>"
        return row


# -- customers: accounts with their contacts -----------------------------------------------------

def _with_contacts(client: ExactClient, rows: list[Row]) -> list[NativeRecord]:
    ids = [str(r["ID"]) for r in rows]
    contacts: dict[str, list[Row]] = {}
    for chunk in chunks_by_length(ids, lambda a: f"Account eq {guid(a)}"):
        clause = " or ".join(f"Account eq {guid(a)}" for a in chunk)
        select = ",".join(codec.CONTACT_FIELDS)
        for row in _without_metadata(client.rows("bulk/CRM/Contacts", {"$select": select, "$filter": clause})):
            contacts.setdefault(str(row["Account"]), []).append(row)
    return [NativeRecord(id=str(r["ID"]), data={**r, "Contacts": contacts.get(str(r["ID"]), [])},
                         version=str(r.get("Timestamp") or r.get("Modified"))) for r in rows]


class CustomerResource(ExactResource[Customer]):
    """Accounts; a company's contact people are added as Contacts after the account."""

    def create(self, client: ExactClient, native: dict[str, Any]) -> NativeRecord:
        account = {k: v for k, v in native.items() if k != "Contacts"}
        created = _without_metadata([client.post(self.path, account)])[0]
        for contact in native.get("Contacts") or []:
            person = {**contact, "Account": created["ID"]}
            person.setdefault("LastName", contact.get("FirstName") or contact.get("Email") or account.get("Name"))
            client.post("crm/Contacts", person)
        return _with_contacts(client, [created])[0]

    def update(self, client: ExactClient, native_id: str, native: dict[str, Any]) -> NativeRecord:
        """Updates the account; contacts are added on create only (Exact keeps their history)."""
        account = {k: v for k, v in native.items() if k not in ("Contacts", "ID")}
        return super().update(client, native_id, account)


# -- orders ----------------------------------------------------------------------------------------

def _order_records(client: ExactClient, rows: list[Row]) -> list[NativeRecord]:
    records = []
    for row in rows:
        lines = _without_metadata(nested(row.get("SalesOrderLines")))
        records.append(NativeRecord(id=str(row["OrderID"]), data={**row, "SalesOrderLines": lines},
                                    version=str(row.get("Modified"))))
    return records


class OrderResource(ExactResource[Order]):
    """Sales orders, created with their lines in one POST; an update changes header fields only."""

    def create(self, client: ExactClient, native: dict[str, Any]) -> NativeRecord:
        order = dict(native)
        warehouse = _warehouse_id(client)
        if warehouse and "WarehouseID" not in order:
            order["WarehouseID"] = warehouse
        created = client.post(self.path, order)
        return _order_records(client, _without_metadata([created]))[0]

    def update(self, client: ExactClient, native_id: str, native: dict[str, Any]) -> NativeRecord:
        return super().update(client, native_id, codec.order_update_out(native))


class StockResource(ExactResource[StockLevel]):
    """Stock per item and warehouse through ``sync/Inventory/ItemWarehouses`` (1,000 rows a call;
    ``inventory/ItemWarehouses`` may not be read without ``$filter``). The sync API filters on
    ``Timestamp`` only, so rows of warehouses outside ``stock_warehouses`` are dropped here."""

    def pages(self, client: ExactClient, since: str | None) -> Iterator[Page]:
        codes = set(_options(client).stock_warehouses)
        keep = (lambda row: codec.text(row.get("WarehouseCode")) in codes) if codes else None
        yield from self._sync_pages(client, since, keep)


def _warehouse_id(client: ExactClient) -> str | None:
    """The configured warehouse's ID: given as a Guid, or looked up once by code."""
    wanted = _options(client).warehouse
    if not wanted or is_guid(wanted):
        return wanted
    if "warehouse" not in client.cache:
        rows = client.rows("inventory/Warehouses", {"$select": "ID,Code", "$filter": f"trim(Code) eq {quote(wanted)}"})
        if not rows:
            raise ConfigError(f"Exact Online has no warehouse with code {wanted!r}", hint="check the warehouse option")
        client.cache["warehouse"] = str(rows[0]["ID"])
    return str(client.cache["warehouse"])


# -- the connector ---------------------------------------------------------------------------------

def _eq(field: str) -> Lookup:
    return lambda value: f"{field} eq {quote(value)}"


@connector
class ExactOnline(Connector):
    """Exact Online (one division) over its REST API."""

    name = "exact_online"
    label = "Exact Online"
    Options = ExactOnlineOptions

    products = ProductResource(
        Product, path=ITEMS_BULK, select=codec.ITEM_FIELDS, native_key="ID", natural_keys=["key"],
        cursor=SyncToken("Timestamp"), can=["read"], decode=codec.product_in, lookups={},
        description="Items grouped into products by the model code in group_field")
    prices = PriceResource(
        Price, path="logistics/SalesItemPrices", sync_path="sync/Logistics/SalesItemPrices",
        select=codec.PRICE_FIELDS, native_key="ID", natural_keys=["sku", "price_list", "min_quantity"],
        cursor=SyncToken("Timestamp"), can=["read"], decode=codec.price_in, assemble=_price_records,
        lookups={"sku": _eq("trim(ItemCode)")}, description="Sales item prices, general and per customer")
    stock = StockResource(
        StockLevel, path="inventory/ItemWarehouses", sync_path="sync/Inventory/ItemWarehouses",
        select=(*codec.STOCK_FIELDS, "Timestamp"), native_key="ID", natural_keys=["sku", "location"],
        cursor=SyncToken("Timestamp"), can=["read"], decode=codec.stock_in,
        lookups={"sku": _eq("trim(ItemCode)"), "location": _eq("trim(WarehouseCode)")},
        description="Stock per item and warehouse (those in stock_warehouses, or all)")
    customers = CustomerResource(
        Customer, path="crm/Accounts", sync_path="sync/CRM/Accounts", select=(*codec.ACCOUNT_FIELDS, "Timestamp"),
        native_key="ID", natural_keys=["email"], cursor=SyncToken("Timestamp"), can=["read", "create", "update"],
        decode=codec.customer_in, encode=codec.customer_out, assemble=_with_contacts,
        lookups={"email": _eq("Email"), "vat_number": _eq("VATNumber"), "reference": _eq("trim(Code)")},
        description="Sales accounts with their contact people")
    orders = OrderResource(
        Order, path="salesorder/SalesOrders", select=codec.ORDER_FIELDS, native_key="OrderID",
        natural_keys=["number"], cursor=UpdatedSince("Modified"), can=["read", "create", "update"],
        decode=codec.order_in, encode=codec.order_out, expand="SalesOrderLines", assemble=_order_records,
        lookups={"number": _eq("YourRef")},
        description="Sales orders with their lines; YourRef holds the shop's number")

    def __init__(self, options: ConnectionOptions, **kwargs: Any) -> None:
        super().__init__(options, **kwargs)
        self._client: ExactClient | None = None
        self._bound: dict[str, Resource[Any]] = {}

    @property
    def opts(self) -> ExactOnlineOptions:
        assert isinstance(self.options, ExactOnlineOptions)
        return self.options

    def account_key(self) -> str:
        return f"exact_online:{self.opts.division}"

    @property
    def client(self) -> ExactClient:
        if self._client is None:
            options = self.opts
            budget = self._budget(options)
            credentials = Credentials(client_id=options.client_id, client_secret=self.secret(options.client_secret),
                                      refresh_token=self.secret(options.refresh_token),
                                      refresh_env=options.refresh_token.name)
            self._client = ExactClient(http=self.http, base_url=options.base_url, division=options.division,
                                       credentials=credentials, tokens=self.tokens, token_key=self.account_key(),
                                       budget=budget, retry=self.retry)
            self._client.cache["options"] = options
        return self._client

    def _budget(self, options: ExactOnlineOptions) -> WindowBudget:
        """The division's budget in this process: one per ledger, whose figures every process shares."""
        ledger, account = self.ledger, self.account_key()
        key = account if ledger is None else f"{account}@{ledger.scope}"
        budget = shared_budget(key, lambda: WindowBudget.per_minute_and_day(
            options.calls_per_minute, options.calls_per_day, ledger=ledger, account=account))
        assert isinstance(budget, WindowBudget)
        budget.ledger = ledger  # the newest handle on the same shared figures
        return budget

    def close(self) -> None:
        """Calls reserved and not made go back to the shared budget for other processes."""
        if self._client is not None:
            self._client.budget.release()
        super().close()

    def resource(self, name: str) -> Resource[Any]:
        """The resource with this connection's settings bound into its codec (VAT codes, shipping and
        discount items, whether prices include VAT): ``base.Encode`` takes no options, so they are
        bound here, per connection, into a copy of the declared resource."""
        if name not in self._bound:
            self._bound[name] = _bind(super().resource(name), self.opts.settings())
        return self._bound[name]


_NEEDS_SETTINGS: dict[Callable[..., Any], str] = {codec.order_out: "encode", codec.customer_out: "encode",
                                                  codec.order_in: "decode", codec.price_in: "decode",
                                                  codec.product_in: "decode"}


def _bind(resource: Resource[Any], settings: codec.Settings) -> Resource[Any]:
    bound = copy.copy(resource)
    for function, slot in _NEEDS_SETTINGS.items():
        if getattr(resource, slot) is function:
            setattr(bound, slot, partial(function, settings=settings))
    return bound
