"""Pure parts of the Exact Online connector: OData literals, dates, errors, rate headers, the codec."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal

import httpx
import pytest

from tradewind.connectors.exact_online import codec
from tradewind.connectors.exact_online.client import (
    Unauthorized,
    chunks_by_length,
    datetime_literal,
    dumps,
    guid,
    parse_date,
    quote,
    read_limits,
    results,
    retry_after,
    translate,
)
from tradewind.connectors.pacing import WindowBudget
from tradewind.errors import ConfigError, RateLimited, RecordError, RejectedByTarget, TransientError
from tradewind.model import Customer, CustomerKind, Entity, Money, Order, OrderLine, OrderStage


def answer(status: int, body: object = None, headers: Mapping[str, str] | None = None) -> httpx.Response:
    request = httpx.Request("GET", "https://start.exactonline.nl/api/v1/1/crm/Accounts")
    return httpx.Response(status, json=body, headers=headers, request=request)


def envelope(message: str) -> dict[str, object]:
    return {"error": {"code": "", "message": {"lang": "", "value": message}}}


# -- OData -------------------------------------------------------------------------------------

def test_literals_are_quoted() -> None:
    assert "'O''Brien'" == quote("O'Brien")
    assert "guid'0b5e0d3c-1111-2222-3333-444455556666'" == guid("0B5E0D3C-1111-2222-3333-444455556666")
    with pytest.raises(ValueError):
        guid("1' or 1 eq 1")
    assert "datetime'2024-05-01T08:00:00.000'" == datetime_literal(datetime(2024, 5, 1, 10, tzinfo=UTC).replace(
        hour=8))


def test_dates_parse_to_aware_utc() -> None:
    assert datetime(2024, 5, 1, 10, tzinfo=UTC) == parse_date("/Date(1714557600000)/")
    assert datetime(2024, 5, 1, 10, tzinfo=UTC) == parse_date("/Date(1714557600000+0200)/")
    assert datetime(2024, 5, 1, 10, tzinfo=UTC) == parse_date("2024-05-01T10:00:00Z")
    assert parse_date(None) is None


def test_filters_are_chunked_under_the_url_budget() -> None:
    values = [f"MODEL-{n:04d}" for n in range(200)]
    chunks = list(chunks_by_length(values, lambda v: f"FreeTextField_01 eq {quote(v)}", limit=500))
    assert values == [v for chunk in chunks for v in chunk]
    assert all(len(" or ".join(f"FreeTextField_01 eq {quote(v)}" for v in c)) <= 500 for c in chunks)


def test_envelopes_and_amounts() -> None:
    assert ([{"a": 1}], "https://x/next") == results({"d": {"results": [{"a": 1}], "__next": "https://x/next"}})
    assert ([{"a": 1}], None) == results({"d": [{"a": 1}]})
    assert ([{"a": 1}], None) == results({"d": {"a": 1}})
    assert b'{"UnitPrice":16.5207}' == dumps({"UnitPrice": Decimal("16.5207")})


# -- errors and rate limits --------------------------------------------------------------------

def test_vendor_errors_translate_by_status_and_message() -> None:
    rejected = translate(answer(500, envelope("Invalid reference: Ordered by")))
    assert isinstance(rejected, RejectedByTarget) and "Invalid reference: Ordered by" == rejected.message
    assert isinstance(translate(answer(400, None, {"Reason": "Bad filter"})), RejectedByTarget)
    assert isinstance(translate(answer(500)), TransientError)
    assert isinstance(translate(answer(503, envelope("Service unavailable"))), TransientError)
    assert isinstance(translate(answer(401)), Unauthorized)
    forbidden = translate(answer(403, envelope("Forbidden - WrongDivision")))
    assert isinstance(forbidden, ConfigError) and "WrongDivision" in str(forbidden)
    assert isinstance(translate(answer(429)), RateLimited)
    assert translate(answer(200, {"d": []})) is None


def test_rate_headers_feed_the_budget() -> None:
    now = 1_700_000_000.0
    budget = WindowBudget.per_minute_and_day(60, 5000, clock=lambda: now)
    headers = {"X-RateLimit-Minutely-Limit": "100", "X-RateLimit-Minutely-Remaining": "42",
               "X-RateLimit-Minutely-Reset": str(int((now + 30) * 1000)), "X-RateLimit-Limit": "9000",
               "X-RateLimit-Remaining": "8000", "X-RateLimit-Reset": str(int((now + 3600) * 1000))}
    read_limits(budget, answer(200, {}, headers), clock=lambda: now)
    minute, day = budget.windows
    assert (100, 42, now + 30) == (minute.limit, minute.remaining, minute.reset_at)
    assert (9000, 8000, now + 3600) == (day.limit, day.remaining, day.reset_at)

    exhausted = {**headers, "X-RateLimit-Minutely-Remaining": "0"}
    read_limits(budget, answer(429, envelope("Too many requests"), exhausted), clock=lambda: now)
    assert 0 == minute.remaining and 30.0 == retry_after(answer(429, None, exhausted), clock=lambda: now)


def test_a_429_without_headers_waits_its_retry_after() -> None:
    now = 1_700_000_000.0
    budget = WindowBudget.per_minute_and_day(60, 5000, clock=lambda: now)
    read_limits(budget, answer(429, None, {"Retry-After": "2"}), clock=lambda: now)
    assert (0, now + 2) == (budget.windows[0].remaining, budget.windows[0].reset_at)
    assert 2.0 == retry_after(answer(429, None, {"Retry-After": "2"}), clock=lambda: now)


# -- codec ---------------------------------------------------------------------------------------

def item(code: str, description: str, **extra: object) -> dict[str, object]:
    return {"ID": f"id-{code}", "Code": code, "Description": description, "IsSalesItem": True, **extra}


def test_items_of_a_model_become_one_product() -> None:
    product = codec.product_in({"Code": "TSH-0001", "Items": [
        item("TSH-0001-RED-M", "T-shirt Organic Red M", Barcode="8712345000011", CostPriceStandard=Decimal("8.4"),
             CostPriceCurrency="EUR"),
        item("TSH-0001-RED-L", "T-shirt Organic Red L", EndDate="/Date(946684800000)/",
             ItemGroupDescription="Apparel")]})
    assert ("TSH-0001", "T-shirt Organic Red", "Apparel") == (product.key, product.title, product.product_type)
    assert ["TSH-0001-RED-L", "TSH-0001-RED-M"] == [v.sku for v in product.variants]
    assert [False, True] == [v.active for v in product.variants]  # an end date in the past retires the item
    assert Money.of("8.4", "EUR") == product.variants[1].cost_price


def test_a_bad_barcode_names_the_variant() -> None:
    with pytest.raises(RecordError) as caught:
        codec.product_in({"Code": "X", "Items": [item("X", "X", Barcode="123")]})
    assert "variants[0].ean" == caught.value.field


def test_prices_and_stock() -> None:
    price = codec.price_in({"ID": "p", "ItemCode": "MUG-1", "Account": "a", "AccountCode": "      1001",
                            "Price": Decimal("9.95"), "Currency": "EUR", "Quantity": Decimal("0"),
                            "StartDate": "/Date(1704067200000)/"}, codec.Settings(prices_include_vat=True))
    assert ("1001", "1001", Decimal("1"), True) == (price.price_list, price.customer_reference, price.min_quantity,
                                                    price.includes_vat)
    assert "2024-01-01" == str(price.valid_from)
    stock = codec.stock_in({"ID": "s", "ItemCode": "MUG-1", "WarehouseCode": "1", "CurrentStock": Decimal("5"),
                            "ReservedStock": Decimal("2"), "PlannedStockIn": Decimal("10")})
    assert (Decimal("5"), Decimal("2"), Decimal("10"), None) == (stock.on_hand, stock.reserved, stock.incoming,
                                                                 stock.available)


def test_accounts_become_companies_or_people() -> None:
    company = codec.customer_in({"ID": "a", "Code": "      1001", "Name": "Smit Mode", "VATNumber": "NL004495445B01",
                                 "Country": "NL", "City": "Utrecht",
                                 "Contacts": [{"FirstName": "Sanne", "LastName": "Smit"}]})
    assert (CustomerKind.COMPANY, "1001", "Utrecht") == (company.type, company.reference,
                                                          company.billing_address and company.billing_address.city)
    person = codec.customer_in({"ID": "b", "Code": "1002", "Name": "Anna Jansen", "Email": "anna@example.com"})
    assert CustomerKind.PERSON == person.type
    native = codec.customer_out(company)
    expected = {"Name": "Smit Mode", "VATNumber": "NL004495445B01", "Status": "C", "IsSales": True}
    assert expected.items() <= native.items()
    assert [{"FirstName": "Sanne", "LastName": "Smit"}] == native["Contacts"]
    assert [] == codec.customer_out(person)["Contacts"]


class FakeRefs:
    def __call__(self, entity: str, keys: Mapping[str, str | None], payload: Entity | None = None) -> str:
        if entity == "customer":
            return "cust-1"
        sku = keys["sku"]
        if sku == "MISSING":
            raise RecordError(f"no product with sku {sku}")
        return f"item-{sku}"


def test_order_lines_carry_net_prices_discount_fraction_and_vat_codes() -> None:
    order = Order(number="#1001", created_at=datetime(2024, 5, 1, 23, 30, tzinfo=UTC), currency="EUR",
                  customer=Customer(name="Anna", email="anna@example.com"), total=Money.of("20", "EUR"),
                  lines=[OrderLine(sku="A", quantity=Decimal(2), unit_price=Money.of("12.50", "EUR"),
                                   discount=Money.of("5.00", "EUR"), vat_rate=Decimal(21))])
    native = codec.order_out(order, FakeRefs(), codec.Settings(vat_codes={"21": "2"}, payment_condition="IB"))
    assert {"OrderedBy": "cust-1", "InvoiceTo": "cust-1", "DeliverTo": "cust-1", "YourRef": "#1001",
            "OrderDate": "2024-05-01", "PaymentCondition": "IB", "Currency": "EUR"}.items() <= native.items()
    assert [{"Item": "item-A", "Description": "A", "Quantity": Decimal("2"), "UnitPrice": Decimal("12.50"),
             "Discount": Decimal("0.20000000"), "VATCode": "2"}] == native["SalesOrderLines"]
    with pytest.raises(RecordError) as caught:
        codec.order_out(order, FakeRefs(), codec.Settings(vat_codes={"9": "1"}))
    assert "lines[0].vat_rate" == caught.value.field


def test_sales_orders_decode_with_shipping_and_discount_articles() -> None:
    native = {"OrderID": "o", "YourRef": "#1001", "OrderDate": "/Date(1714521600000)/", "Currency": "EUR",
              "OrderedByName": "Anna", "Status": 20, "InvoiceStatus": 12, "AmountFC": Decimal("24.20"),
              "AmountFCExclVat": Decimal("20.00"), "SalesOrderLines": {"results": [
                  {"ItemCode": "A", "Quantity": 2, "UnitPrice": Decimal("12.50"), "Discount": Decimal("0.2"),
                   "VATPercentage": Decimal("0.21"), "VATAmount": Decimal("4.20"), "LineNumber": 1},
                  {"ItemCode": "SHIP", "Description": "PostNL", "AmountFC": Decimal("4.09"), "LineNumber": 2,
                   "VATPercentage": Decimal("0.21")},
                  {"ItemCode": "DISC", "Description": "WELCOME", "AmountFC": Decimal("-4.09"), "LineNumber": 3}]}}
    order = codec.order_in(native, codec.Settings(shipping_item="SHIP", discount_item="DISC"))
    assert ("#1001", OrderStage.PARTIALLY_DELIVERED, Decimal("4.20")) == (
        order.number, order.stage, order.tax_total and order.tax_total.amount)
    line = order.lines[0]
    assert (Decimal("21"), Money.of("5.00", "EUR")) == (line.vat_rate, line.discount)
    assert [Money.of("4.09", "EUR")] == [s.price for s in order.shipping_lines]
    assert [Money.of("4.09", "EUR")] == [d.amount for d in order.discounts]
