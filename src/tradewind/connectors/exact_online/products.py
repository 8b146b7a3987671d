"""Exact Online items grouped into products by a model code (``group_field``): read through the sync
API, found by SKU, EAN or model code, with their VAT rate when the connection gives VAT rates."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any

from tradewind.connectors.base import Ambiguous, ConnectionOptions, Found, NativeRecord, Page, Staging
from tradewind.connectors.exact_online import codec, vat
from tradewind.connectors.exact_online.client import ExactClient, Row, chunks_by_length, quote
from tradewind.connectors.exact_online.options import ExactOnlineOptions
from tradewind.connectors.exact_online.resource import ExactResource, api_rows, sync_start, without_metadata
from tradewind.connectors.exact_online.vat import ITEMS_BULK, ITEMS_SYNC
from tradewind.errors import ConfigError, RecordError
from tradewind.model import Product


def item_fields(options: ExactOnlineOptions, *, sync: bool) -> list[str]:
    """The Item fields read: the codec's, the group field and the option fields."""
    fields = [f for f in codec.ITEM_FIELDS if sync or f != "Timestamp"]
    extra = [options.group_field, *options.option_fields.values()]
    return fields + [f for f in dict.fromkeys(extra) if f and f not in fields]


class ProductResource(ExactResource[Product]):
    """Items read through the sync API and grouped into products by ``group_field``.

    A full read (no cursor) stages grouped items in the connection's :class:`Staging` (the engine's
    store) and groups them once the feed ends: ``⌈items / 1000⌉`` calls, no item read twice. An
    incremental page of 1,000 items touches some groups whose other members were not read; they are
    fetched with one ``or``-filter per ~40 groups against the bulk endpoint, so such a page costs 1
    call plus about ``groups / 40``. Within one read a group is yielded once, unless one of its
    items changed since it was yielded.
    """

    def codec_settings(self, client: ExactClient | None = None) -> codec.Settings:
        """With the division's VAT code table when the connection gives VAT rates (read once)."""
        if not self.opts.vat_rates or self.connection is None:
            return self.settings
        return replace(self.settings, vat_percentages=vat.percentages(client or self.connection.client))

    def get(self, client: ExactClient, ids: Sequence[str]) -> list[NativeRecord | None]:
        """A product's id is its model code or its item's ID: read it again with :meth:`find_many`."""
        raise ConfigError("Exact Online products are read again by their key (find), not by id")

    def pages(self, client: ExactClient, since: str | None) -> Iterator[Page]:
        group_field = self.opts.group_field
        if group_field and sync_start(since) == 1 and self.connection is not None:
            yield from self._full_read(client, group_field, self.connection.staging)
            return
        yielded: set[str] = set()
        params = {"$select": ",".join(item_fields(self.opts, sync=True)),
                  "$filter": f"Timestamp gt {sync_start(since)}"}
        for rows in client.pages(ITEMS_SYNC, params):
            rows = without_metadata(rows)
            if self.opts.vat_rates:
                vat.percentages(client)  # read once, before the page's records are decoded
            records = self._group_page(client, rows, group_field, yielded)
            top = max((int(r["Timestamp"]) for r in rows), default=None)
            yield Page(records=records, cursor=str(top) if top is not None else None)

    def _full_read(self, client: ExactClient, group_field: str, staging: Staging) -> Iterator[Page]:
        """A full read sees every item: items without a model are products at once; the others are
        staged by model code and grouped once the feed ends, so no model is read twice. The cursor
        rides on the last page only (a read cut short starts over, and unchanged products cost no
        write). A product read again in a later incremental read is completed by member reads."""
        scope = uuid.uuid4().hex
        params = {"$select": ",".join(item_fields(self.opts, sync=True)), "$filter": "Timestamp gt 1"}
        top = 0  # the highest Timestamp read: the cursor once every page is read
        try:
            for rows in client.pages(ITEMS_SYNC, params):
                rows = without_metadata(rows)
                top = max([top, *(int(r["Timestamp"]) for r in rows)])
                grouped = [(codec.group_of(r, group_field), r) for r in rows]
                staging.stage(scope, [(g, r) for g, r in grouped if g is not None])
                loose = [_product_record(str(r["ID"]), r.get("Code"), [r]) for g, r in grouped if g is None]
                if self.opts.vat_rates:
                    vat.percentages(client)  # read once, before any record is decoded
                if loose:
                    yield Page(records=loose)
            held: list[NativeRecord] = []
            for batch in staging.groups(scope):
                if held:
                    yield Page(records=held)
                held = [_product_record(group, group, _merge([], _newest(items))) for group, items in batch]
            yield Page(records=held, cursor=str(top) if top else None)
        finally:
            staging.drop(scope)

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
        select = ",".join(item_fields(self.opts, sync=False))
        for chunk in chunks_by_length(groups, lambda g: f"{group_field} eq {quote(g)}"):
            clause = " or ".join(f"{group_field} eq {quote(g)}" for g in chunk)
            for row in without_metadata(client.rows(ITEMS_BULK, {"$select": select, "$filter": clause})):
                found.setdefault(codec.group_of(row, group_field) or "", []).append(row)
        return found

    def find(self, client: ExactClient, keys: Mapping[str, str]) -> Found:
        return self.find_many(client, [keys])[0]

    def find_many(self, client: ExactClient, keys: Sequence[Mapping[str, str]]) -> list[Found]:
        """One ``or``-filter per kind of key (and per ~40 values), however many are asked."""
        group_field = self.opts.group_field
        rows: list[Row] = []
        for name in sorted({n for one in keys for n in one}):
            values = sorted({one[name] for one in keys if name in one})
            rows.extend(self._lookup(client, name, values, group_field))
        if self.opts.vat_rates:
            vat.percentages(client)  # read once, before the records found are decoded
        return [self._answer(one, rows, group_field) for one in keys]

    def _lookup(self, client: ExactClient, name: str, values: list[str], group_field: str | None) -> list[Row]:
        fields = {"sku": "trim(Code)", "ean": "Barcode", "key": group_field}
        if name not in fields:
            raise RecordError(f"products cannot be found by {name!r} in Exact Online (by: key, sku, ean)", field=name)
        select = ",".join(item_fields(self.opts, sync=False))
        found: list[Row] = []
        for chunk in chunks_by_length(values, lambda v: _key_clause(name, v, fields[name])):
            clause = " or ".join(_key_clause(name, v, fields[name]) for v in chunk)
            found.extend(without_metadata(client.rows(ITEMS_BULK, {"$select": select, "$filter": clause})))
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


def _newest(items: list[Row]) -> list[Row]:
    """Each item once, as last read (an item changed during the read comes again, later in the feed)."""
    by_id: dict[str, Row] = {}
    for item in items:
        seen = by_id.get(str(item["ID"]))
        if seen is None or int(item.get("Timestamp") or 0) >= int(seen.get("Timestamp") or 0):
            by_id[str(item["ID"])] = item
    return list(by_id.values())


def _merge(members: list[Row], page_rows: list[Row]) -> list[Row]:
    """Members by ID, the page's own (sync) rows winning; sorted by code."""
    by_id = {str(r["ID"]): r for r in members}
    by_id.update({str(r["ID"]): r for r in page_rows})
    return sorted(by_id.values(), key=lambda r: codec.text(r.get("Code")) or "")


def _product_record(native_id: str, code: Any, items: list[Row]) -> NativeRecord:
    versions = [str(i.get("Modified") or "") for i in items]
    return NativeRecord(id=native_id, data={"Code": codec.text(code) or native_id, "Items": items},
                        version=max(versions, default=None))
