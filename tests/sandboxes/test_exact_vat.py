"""The Exact Online sandbox computes a sales order's VAT as Exact documents it (per line, from the line's
net amount), so a booking composed for another method shows a different total here, as in Exact."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from tests.rules.booking_kit import CODES, eur, line, order, rules
from tradewind.model import Discount, ShippingLine
from tradewind.rules.booking import Booking, compose_booking
from tradewind.rules.settings import VatMethod
from tradewind.sandboxes._serve import Served
from tradewind.sandboxes.exact_online import create_app

API = "/api/v1/123456"
TOKEN_FORM = {"grant_type": "refresh_token", "refresh_token": "demo-refresh", "client_id": "demo-client",
              "client_secret": "demo-secret"}
ITEMS = [("TSH-1", "2"), ("BKS-1", "1"), ("SHIP", "2"), ("DISC", "2"), ("ROUND", "0")] + [
    (f"A{i}", "2") for i in range(5)]


@pytest.fixture
def exact() -> Iterator[tuple[httpx.Client, str, dict[str, str]]]:
    seed = {"items": [{"Code": code, "Description": code, "SalesVatCode": vat} for code, vat in ITEMS],
            "accounts": [{"Code": "1", "Name": "Anna de Vries"}]}
    with Served(create_app(seed=seed, minutely_limit=None, daily_limit=None)) as served:
        client = httpx.Client(base_url=served.url, timeout=10)
        client.headers["Authorization"] = "Bearer " + client.post("/api/oauth2/token",
                                                                  data=TOKEN_FORM).json()["access_token"]
        items = client.get(f"{API}/sync/Logistics/Items", params={"$select": "ID,Code", "$filter": "Timestamp gt 1"})
        account = client.get(f"{API}/sync/CRM/Accounts", params={"$select": "ID", "$filter": "Timestamp gt 1"})
        yield (client, account.json()["d"]["results"][0]["ID"],
               {r["Code"]: r["ID"] for r in items.json()["d"]["results"]})
        client.close()


def post(exact: tuple[httpx.Client, str, dict[str, str]], booking: Booking) -> dict[str, Any]:
    client, account, items = exact
    lines = [{"Item": items[b.sku], "Quantity": float(b.quantity), "UnitPrice": float(b.unit_price.amount),
              "VATCode": b.vat_code} for b in booking.lines]
    created = client.post(f"{API}/salesorder/SalesOrders", json={"OrderedBy": account, "SalesOrderLines": lines})
    assert 201 == created.status_code, created.text
    url = f"{API}/salesorder/SalesOrders(guid'{created.json()['d']['OrderID']}')"
    got = client.get(url, params={"$select": "AmountFC,AmountFCExclVat,SalesOrderLines/AmountFC,"
                                             "SalesOrderLines/VATAmount", "$expand": "SalesOrderLines"})
    return dict(got.json()["d"])


def compose(total: str, lines: Any, method: VatMethod, **values: Any) -> Booking:
    return compose_booking(order(total, lines, **values), rules(), vat_codes=CODES, method=method,
                           shop_zone="Europe/Amsterdam")


def test_exact_books_two_rates_a_discount_and_shipping_as_composed(exact: Any) -> None:
    booking = compose("59.93", [line("TSH-1", 2, "19.99", "21"), line("BKS-1", 1, "25.00", "9")], VatMethod.PER_LINE,
                      discounts=[Discount(code="WELCOME", amount=eur("10.00"))],
                      shipping_lines=[ShippingLine(title="PostNL", price=eur("4.95"))])
    shown = post(exact, booking)
    lines = shown["SalesOrderLines"]["results"]
    # Exact's own figures, line by line: net 33.04, 22.94, 4.09, −5.31, −3.28, 0.01; VAT 6.94, 2.06, 0.86,
    # −1.12, −0.30, 0.00
    assert [33.04, 22.94, 4.09, -5.31, -3.28, 0.01] == [ln["AmountFC"] for ln in lines]
    assert [6.94, 2.06, 0.86, -1.12, -0.30, 0.0] == [ln["VATAmount"] for ln in lines]
    assert (51.49, 59.93) == (shown["AmountFCExclVat"], shown["AmountFC"])
    assert (Decimal("51.49"), Decimal("59.93")) == (booking.totals.net.amount, booking.totals.total.amount)


def test_a_booking_composed_per_rate_shows_differently_in_exact(exact: Any) -> None:
    # five lines of 0.50 net at 21%: Exact books 5 × 0.11 VAT = 0.55 (3.05), not 2.50 × 21% = 0.53 (3.03)
    lines = [line(f"A{i}", 1, "0.50", "21") for i in range(5)]
    per_line = compose("3.05", lines, VatMethod.PER_LINE, gross=False)
    assert 3.05 == post(exact, per_line)["AmountFC"] == float(per_line.totals.total.amount)
    per_rate = compose("3.03", lines, VatMethod.PER_RATE, gross=False)
    assert 3.03 == float(per_rate.totals.total.amount) != post(exact, per_rate)["AmountFC"]
