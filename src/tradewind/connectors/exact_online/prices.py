"""Exact Online sales item prices: a customer's price carries its account's code (read from
Accounts) and, when the connection gives VAT rates, its item's sales VAT code."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from tradewind.connectors.base import ConnectionOptions, NativeRecord
from tradewind.connectors.exact_online import codec, vat
from tradewind.connectors.exact_online.client import ExactClient, Row, chunks_by_length, guid
from tradewind.connectors.exact_online.resource import ExactResource
from tradewind.model import Price


class PriceResource(ExactResource[Price]):
    """Sales item prices, general and per customer."""

    def codec_settings(self, client: ExactClient | None = None) -> codec.Settings:
        """With the division's VAT code table when the connection gives VAT rates (read once)."""
        if not self.opts.vat_rates or self.connection is None:
            return self.settings
        return replace(self.settings, vat_percentages=vat.percentages(client or self.connection.client))

    def assemble(self, client: ExactClient, rows: list[Row]) -> list[NativeRecord]:
        """Price rows with the account code of a customer's price and, when asked, the item's VAT code."""
        records = _with_account_codes(client, rows)
        if self.opts.vat_rates:
            vat.percentages(client)
            codes = vat.item_codes(client, sorted({str(r["Item"]) for r in rows if r.get("Item")}))
            for record in records:
                record.data[codec.ITEM_VAT_CODE] = codes.get(str(record.data.get("Item")))
        return records

    def from_api(self, raw: Any, options: ConnectionOptions) -> dict[str, Any]:
        """A SalesItemPrices row; a customer's price names its account by a placeholder, as the
        account's code would be read from Accounts. Without the VAT code ``vat_rates`` would join."""
        row = super().from_api(raw, options)
        if row.get("Account") and not row.get("AccountCode"):
            row["AccountCode"] = f"<account {row['Account']}>"
        return row


def _with_account_codes(client: ExactClient, rows: list[Row]) -> list[NativeRecord]:
    accounts = sorted({str(r["Account"]) for r in rows if r.get("Account")})
    codes: dict[str, str] = {}
    for chunk in chunks_by_length(accounts, lambda a: f"ID eq {guid(a)}"):
        clause = " or ".join(f"ID eq {guid(a)}" for a in chunk)
        for row in client.rows("crm/Accounts", {"$select": "ID,Code", "$filter": clause}):
            codes[str(row["ID"])] = str(row.get("Code") or "").strip()
    return [NativeRecord(id=str(r["ID"]), data={**r, "AccountCode": codes.get(str(r.get("Account")))},
                         version=str(r.get("Timestamp") or r.get("Modified"))) for r in rows]
