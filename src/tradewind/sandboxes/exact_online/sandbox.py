"""One Exact Online division as the sandbox keeps it: the class tests, demos and the benchmark hold
(``app.state.sandbox``), its seed document, and the helpers that change records as a user in Exact would.

Seed document (``create_app(seed=…)``, ``POST /_sandbox/seed``, and what :meth:`dump` returns)::

    {"reset": false, "warehouses": ["1", "2"], "items": [...], "prices": [...], "stock": [...],
     "accounts": [...], "contacts": [...], "sales_orders": [{..., "SalesOrderLines": [...]}],
     "goods_deliveries": [{"TrackingNumber": ..., "GoodsDeliveryLines": [{"SalesOrderLineID", "QuantityDelivered"}]}],
     "payments": [{"YourRef": "#1001", "Amount": "73.50", "Date": "2026-05-12T00:00:00Z"}]}

``payments`` are bank payments matched with the open receivable of the invoice or entry with that ``YourRef``
(or ``InvoiceNumber``), as :meth:`~.receivables.Receivables.receive_payment` registers them.

Rows use Exact's field names (see ``schema.py`` for their sources). Missing ``ID``/``Created``/
``Modified``/``Timestamp`` are generated, given ones kept; rows may name their item by ``ItemCode`` and
stock rows their warehouse by ``WarehouseCode``; a row whose ``ID`` exists updates that record.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tradewind.sandboxes.exact_online.auth import TokenDesk
from tradewind.sandboxes.exact_online.deliveries import DELIVERIES
from tradewind.sandboxes.exact_online.payments import Payments
from tradewind.sandboxes.exact_online.schema import (
    ACCOUNTS,
    CONTACTS,
    ITEMS,
    LINES,
    ORDERS,
    PRICES,
    STATUS_TEXT,
    STOCK,
    Entity,
    Rec,
    iso,
    parse_date,
)


class ExactOnlineSandbox(Payments):
    """In-memory state of one Exact Online division, with the Python helpers tests and demos use.

    ``mandatory_filtering`` (on, as Exact since 2021) refuses reads without ``$filter`` of the
    endpoints in :data:`~tradewind.sandboxes.exact_online.views.MANDATORY_FILTER` and counts them in
    ``refusals``; ``min_refresh_interval=570`` refuses a token refresh that soon after the last one.
    """

    def __init__(self, *, division: int = 123456, client_id: str = "demo-client", client_secret: str = "demo-secret",
                 refresh_token: str = "demo-refresh", minutely_limit: int | None = 60,
                 daily_limit: int | None = 5000, token_ttl: int = 600, rotate_refresh_tokens: bool = True,
                 rate_headers_on_429: bool = True, mandatory_filtering: bool = True,
                 min_refresh_interval: float = 0.0) -> None:
        super().__init__(division=division, minutely_limit=minutely_limit, daily_limit=daily_limit,
                         rate_headers_on_429=rate_headers_on_429, mandatory_filtering=mandatory_filtering)
        self.tokens = TokenDesk(client_id=client_id, client_secret=client_secret, clock=lambda: self.clock(),
                                lock=self.lock, token_ttl=token_ttl, rotate_refresh_tokens=rotate_refresh_tokens,
                                min_refresh_interval=min_refresh_interval, refresh={refresh_token})

    @property
    def client_id(self) -> str:
        return self.tokens.client_id

    def issue_token(self) -> dict[str, str]:
        """Issue a fresh access/refresh token pair, as a successful grant would."""
        return self.tokens.issue_token()

    def authenticate(self, header: str | None) -> None:
        """401 unless ``Authorization: Bearer <live token>``."""
        self.tokens.authenticate(header)

    def seed(self, doc: Mapping[str, Any]) -> dict[str, int]:
        """Load a seed document (Exact field names); ``{"reset": true}`` empties the division first."""
        with self.lock:
            if doc.get("reset"):
                self._reset_data()
            for code in doc.get("warehouses", []):
                self.warehouse(str(code))
            counts: dict[str, int] = {}
            for key, entity in _SEED_KEYS.items():
                rows = doc.get(key, [])
                for row in rows:
                    self._upsert(entity, row)
                counts[key] = len(rows)
            deliveries = doc.get("goods_deliveries", [])  # {GoodsDeliveryLines: [{SalesOrderLineID, ...}], ...}
            for row in deliveries:
                self.create(DELIVERIES, row, trusted=True)
            counts["goods_deliveries"] = len(deliveries)
            payments = doc.get("payments", [])
            for row in payments:
                self.receive_payment(your_ref=row.get("YourRef"), invoice_number=row.get("InvoiceNumber"),
                                     amount=str(row["Amount"]), day=parse_date(row["Date"]),
                                     reference=row.get("Reference"))
            counts["payments"] = len(payments)
            return counts

    def _upsert(self, entity: Entity, row: Mapping[str, Any]) -> None:
        key = row.get(entity.key)
        if key and str(key).lower() in self.tables[entity.name]:
            self.update(entity, str(key).lower(), {k: v for k, v in row.items() if k != "SalesOrderLines"},
                        trusted=True)
        else:
            self.create(entity, row, trusted=True)

    def dump(self) -> dict[str, Any]:
        """The division's records in the seed document's shape (JSON-ready; re-seedable)."""
        with self.lock:
            doc: dict[str, Any] = {"warehouses": sorted(self.warehouses)}
            for key, entity in _SEED_KEYS.items():
                doc[key] = [self._plain(entity, r) for r in self.tables[entity.name].values()]
            return doc

    def _plain(self, entity: Entity, rec: Rec) -> Rec:
        out = {k: iso(v) for k, v in rec.items()}
        if entity is ORDERS:
            out["SalesOrderLines"] = [{k: iso(v) for k, v in ln.items()}
                                      for ln in sorted(self.lookup(LINES, "OrderID", rec["OrderID"]),
                                                       key=lambda ln: ln["LineNumber"])]
        return out

    def sales_orders(self) -> list[Rec]:
        """Every sales order with its lines (ISO dates), in order-number order."""
        with self.lock:
            orders = sorted(self.tables["SalesOrders"].values(), key=lambda o: o["OrderNumber"])
            return [self._plain(ORDERS, o) for o in orders]

    def item(self, code: str) -> Rec:
        """The stored item with ``code`` (a copy, ISO dates)."""
        with self.lock:
            found = self.lookup(ITEMS, "Code", code)
            if not found:
                raise KeyError(code)
            return self._plain(ITEMS, found[0])

    def update_item(self, code: str, **fields: Any) -> Rec:
        """Change an item as a user would in Exact (bumps Modified and Timestamp)."""
        with self.lock:
            found = self.lookup(ITEMS, "Code", code)
            if not found:
                raise KeyError(code)
            return self._plain(ITEMS, self.update(ITEMS, found[0]["ID"], fields, trusted=True))

    def set_stock(self, code: str, warehouse: str, current: float) -> Rec:
        """Set an item's CurrentStock in one warehouse (stock counts are not part of this API surface)."""
        with self.lock:
            item = self.lookup(ITEMS, "Code", code)[0]
            wh = self.warehouse(warehouse)
            rows = [s for s in self.lookup(STOCK, "Item", item["ID"]) if s["Warehouse"] == wh["ID"]]
            if rows:
                rec = self.update(STOCK, rows[0]["ID"], {"CurrentStock": current}, trusted=True)
            else:
                rec = self.create(STOCK, {"Item": item["ID"], "Warehouse": wh["ID"], "CurrentStock": current},
                                  trusted=True)
            return self._plain(STOCK, rec)

    def set_order_status(self, order_id: str, *, status: int | None = None, delivery_status: int | None = None,
                         invoice_status: int | None = None) -> Rec:
        """Move an order along (delivery and invoicing happen outside the endpoints emulated here)."""
        changes = {k: v for k, v in (("Status", status), ("DeliveryStatus", delivery_status),
                                     ("InvoiceStatus", invoice_status)) if v is not None}
        with self.lock:
            rec = dict(self.get(ORDERS, order_id))
            rec.update(changes)
            for name in ("Status", "DeliveryStatus", "InvoiceStatus"):
                rec[f"{name}Description"] = STATUS_TEXT.get(rec[name], "")
            self._touch(rec)
            return self._plain(ORDERS, self._store(ORDERS, rec))


_SEED_KEYS: dict[str, Entity] = {
    "items": ITEMS, "accounts": ACCOUNTS, "contacts": CONTACTS, "prices": PRICES, "stock": STOCK,
    "sales_orders": ORDERS,
}
