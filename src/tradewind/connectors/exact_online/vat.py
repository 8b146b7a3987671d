"""The division's sales VAT, for connections that give products and prices their VAT rate
(``vat_rates``): the VAT code table once per ``reference_minutes`` (:mod:`.reference`), and items'
``SalesVatCode`` as few calls as can be.

Read facts are kept on the client as typed fields; the codec gets them through ``Settings``."""

from __future__ import annotations

from collections.abc import Iterator

from tradewind.connectors.exact_online import codec
from tradewind.connectors.exact_online.client import ExactClient, Row, chunks_by_length, guid

ITEMS_SYNC = "sync/Logistics/Items"
ITEMS_BULK = "bulk/Logistics/Items"
"""Bulk endpoints answer 1,000 rows a call (standard ones 60); lookups filter, as Exact demands."""

BIG_READ = 200
"""Above this many unknown items on one page, all items' VAT codes are read at once through the
sync API (1,000 a call) instead of ~40 IDs per filtered bulk call."""


def percentages(client: ExactClient) -> dict[str, float]:
    """VAT code → Exact's fraction (0.21), read once per connection and kept for ``reference_minutes``
    (``vat/VATCodes`` has no mandatory filter)."""
    if client.vat_percentages is None:
        def read() -> dict[str, float]:
            rows = client.rows("vat/VATCodes", {"$select": "Code,Percentage"})
            return {codec.text(r.get("Code")) or "": float(r.get("Percentage") or 0) for r in rows}
        client.vat_percentages = client.reference.get("vat_percentages", read)
    return client.vat_percentages


def code_rows(client: ExactClient) -> list[Row]:
    """The division's VAT codes with what tells sales codes apart, read once per connection and kept for
    ``reference_minutes`` (``booking``)."""
    if client.vat_code_rows is None:
        client.vat_code_rows = client.reference.get("vat_code_rows", lambda: client.rows(
            "vat/VATCodes", {"$select": "Code,Percentage,VATTransactionType,IsBlocked"}))
    return client.vat_code_rows


def item_codes(client: ExactClient, item_ids: list[str]) -> dict[str, str | None]:
    """Item ID → its ``SalesVatCode``, kept on the client; items not known yet are read by ID, or
    all at once through the sync API for a large page (unfiltered bulk reads are refused)."""
    known = client.item_vat_codes
    missing = [i for i in item_ids if i not in known]
    if missing and not client.item_vat_complete:
        params = {"$select": "ID,SalesVatCode"}
        if len(missing) > BIG_READ:
            pages: Iterator[list[Row]] = client.pages(ITEMS_SYNC, {**params, "$filter": "Timestamp gt 1"})
            client.item_vat_complete = True
        else:
            pages = (client.rows(ITEMS_BULK, {**params, "$filter": " or ".join(f"ID eq {guid(i)}" for i in chunk)})
                     for chunk in chunks_by_length(missing, lambda i: f"ID eq {guid(i)}"))
        for rows in pages:
            known.update({str(r["ID"]): codec.text(r.get("SalesVatCode")) for r in rows})
    return {i: known.get(i) for i in item_ids}
