"""Exact Online against its sandbox over loopback: the shared contract plus what is peculiar to Exact."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, ClassVar

import httpx
import pytest

from tradewind.connectors.base import MemoryTokens
from tradewind.connectors.exact_online import ExactOnline, ExactOnlineOptions
from tradewind.connectors.exact_online.client import chunks_by_length, guid
from tradewind.connectors.pacing import WindowBudget, forget_budgets
from tradewind.connectors.testing import FAST_RETRY, ConnectorContract, SelfRefs
from tradewind.errors import ConfigError, RecordError
from tradewind.model import Contact, Customer, CustomerKind, Discount, Entity, Money, Order, OrderLine, ShippingLine
from tradewind.rules.orders import check_totals, compose_lines
from tradewind.sandboxes._serve import Served
from tradewind.sandboxes.exact_online import ACCOUNTS, PRICES, create_app
from tradewind.sandboxes.exact_online.ledger import INVOICES, PRINTED
from tradewind.sandboxes.exact_online.schema import CONTACTS
from tradewind.sandboxes.exact_online_data import catalogue

ENVIRON = {"EXACT_SECRET": "demo-secret", "EXACT_REFRESH": "demo-refresh"}
DOC = catalogue(products=12, customers=4, seed=7)
EXTRA_ITEMS = [{"ID": str(uuid.UUID(int=i + 1)), "Code": code, "Description": text, "SalesVatCode": "2"}
               for i, (code, text) in enumerate((("SHIP", "Shipping costs"), ("DISC", "Discount")))]
ACCOUNT = DOC["accounts"][0]
ORDERS = [{"OrderID": str(uuid.UUID(int=100 + n)), "OrderedBy": ACCOUNT["ID"], "YourRef": f"#90{n}",
           "Currency": "EUR", "Modified": f"2024-03-0{n}T10:00:00.000Z",
           "SalesOrderLines": [{"ID": str(uuid.UUID(int=200 + n)), "Item": DOC["items"][n]["ID"], "Quantity": 2,
                                "UnitPrice": 10.0}]}
          for n in (1, 2, 3)]
DELIVERIES = [{"TrackingNumber": "3SABCD0000000001", "DeliveryDate": "2024-03-05T10:00:00.000Z",
               "GoodsDeliveryLines": [{"SalesOrderLineID": str(uuid.UUID(int=203)), "QuantityDelivered": 1}]}]


def options(base_url: str, **extra: Any) -> ExactOnlineOptions:
    values: dict[str, Any] = {
        "base_url": base_url, "division": 123456, "client_id": "demo-client", "client_secret": "${EXACT_SECRET}",
        "refresh_token": "${EXACT_REFRESH}", "shipping_item": "SHIP", "discount_item": "DISC",
        "vat_codes": {"21": "2", "9": "1", "0": "0"}, "calls_per_minute": 10_000, "calls_per_day": 1_000_000}
    return ExactOnlineOptions(**{**values, **extra})


def eur(amount: str) -> Money:
    return Money.of(amount, "EUR")


def sample_order(number: str = "#1001", skus: tuple[str, ...] = ()) -> Order:
    first, second = skus or (DOC["items"][0]["Code"], DOC["items"][1]["Code"])
    return Order(number=number, created_at=datetime(2024, 5, 1, 10, tzinfo=UTC), currency="EUR",
                 customer=Customer(name=ACCOUNT["Name"], email=ACCOUNT["Email"]), prices_include_vat=True,
                 lines=[OrderLine(sku=first, title="Shirt", quantity=Decimal(2),
                                  unit_price=eur("19.99"), vat_rate=Decimal(21)),
                        OrderLine(sku=second, title="Book", quantity=Decimal(1),
                                  unit_price=eur("25.00"), vat_rate=Decimal(9))],
                 discounts=[Discount(code="WELCOME", amount=eur("10.00"))],
                 shipping_lines=[ShippingLine(title="PostNL", price=eur("4.95"))], total=eur("59.93"))


def process_invoice(state: Any, account: dict[str, Any]) -> str:
    """A sales invoice for ``account``, processed (printed) as a user does in Exact: it gets its number."""
    invoice = state.create(INVOICES, {"OrderedBy": account["ID"], "Journal": "70", "YourRef": f"#{account['Code']}",
                                      "SalesInvoiceLines": [{"Item": DOC["items"][0]["ID"], "Quantity": 1}]})
    state.create(PRINTED, {"InvoiceID": invoice["InvoiceID"]})
    return str(invoice["InvoiceID"])


class TestExactOnline(ConnectorContract):
    connector = ExactOnline
    def harness(self) -> Served:
        served = Served(create_app(seed=self.seed(), minutely_limit=10_000, daily_limit=1_000_000))
        for n, account in enumerate(DOC["accounts"][:3]):  # processed (numbered) sales invoices, read by `invoices`
            invoice = process_invoice(served.sandbox, account)
            with served.sandbox.lock:  # processed on earlier days than a change a test makes
                served.sandbox.tables["SalesInvoices"][invoice]["Modified"] = datetime(2024, 3, 1 + n, tzinfo=UTC)
        return served
    environ: ClassVar[dict[str, str]] = ENVIRON
    expected_counts: ClassVar[dict[str, int]] = {
        "products": len({i["FreeTextField_01"] for i in DOC["items"]}) + len(EXTRA_ITEMS),
        "prices": len(DOC["prices"]), "stock": len(DOC["stock"]), "customers": len(DOC["accounts"]),
        "orders": len(ORDERS), "shipments": len(DELIVERIES), "invoices": 3}
    roundtrip_fields: ClassVar[dict[str, list[str]]] = {
        "customers": ["type", "name", "email", "vat_number", "chamber_of_commerce", "contacts"],
        "orders": ["number", "currency"]}  # OrderDate is a date: the time of day is lost

    def options(self, base_url: str) -> ExactOnlineOptions:
        return options(base_url)

    def seed(self) -> dict[str, Any]:
        return {**DOC, "items": DOC["items"] + EXTRA_ITEMS, "sales_orders": ORDERS, "goods_deliveries": DELIVERIES}

    def samples(self) -> dict[str, Entity]:
        company = Customer(type=CustomerKind.COMPANY, name="Tradewind Test BV", email="inkoop@tradewind-test.example",
                           vat_number="NL004495445B01", chamber_of_commerce="12345678",
                           contacts=[Contact(first_name="Sanne", last_name="Smit",
                                             email="sanne@tradewind-test.example")])
        return {"customers": company, "orders": sample_order()}

    def change(self, sandbox_state: Any, resource: str) -> str:
        item = DOC["items"][3]
        if resource == "products":
            sandbox_state.update_item(item["Code"], Description="Changed")
            return str(item["FreeTextField_01"])
        if resource == "prices":
            sandbox_state.update(PRICES, DOC["prices"][3]["ID"], {"Price": 99.0}, trusted=True)
            return str(DOC["prices"][3]["ID"])
        if resource == "stock":
            return str(sandbox_state.set_stock(item["Code"], "1", 7.0)["ID"])
        if resource == "customers":
            sandbox_state.update(ACCOUNTS, ACCOUNT["ID"], {"Phone": "+31 20 0000000"}, trusted=True)
            return str(ACCOUNT["ID"])
        if resource == "contacts":
            contact = DOC["contacts"][0]
            sandbox_state.update(CONTACTS, contact["ID"], {"Phone": "+31 20 0000001"}, trusted=True)
            return str(contact["ID"])
        if resource == "invoices":
            return process_invoice(sandbox_state, DOC["accounts"][3])
        if resource == "payments":  # a bank payment matched with a processed invoice's receivable, in full
            term = sandbox_state.terms()[0]
            paid = sandbox_state.receive_payment(your_ref=term["YourRef"], amount=str(term["AmountFC"]),
                                                 day=datetime(2024, 3, 9, tzinfo=UTC))
            return str(paid["TransactionEntryID"])
        if resource == "shipments":  # the rest of order #903
            delivered = sandbox_state.deliver("#903", {DOC["items"][3]["Code"]: 1}, tracking_number="3SABCD02")
            return str(delivered["EntryID"])
        return str(sandbox_state.set_order_status(ORDERS[0]["OrderID"], status=20)["OrderID"])

    def invalid(self, resource: str) -> dict[str, Any] | None:
        if resource == "customers":
            return {"Email": "nameless@example.com"}  # Name is mandatory
        return {"YourRef": "#bad", "SalesOrderLines": [{"Quantity": 1}]}  # no customer, no item

    # -- Exact Online specifics ------------------------------------------------------------------

    def test_groups_span_a_page_boundary(self) -> None:
        # 1,010 items: a model of 6 sizes sits across the first sync page's end (1,000 rows).
        items = [{"ID": str(uuid.UUID(int=10_000 + n)), "Code": f"A{n:04d}", "Description": f"Article {n}",
                  "FreeTextField_01": "MODEL-1" if 997 <= n < 1003 else None} for n in range(1010)]
        forget_budgets()
        with Served(create_app(seed={"items": items}, minutely_limit=None, daily_limit=None)) as served:
            connection = ExactOnline(options(served.url), environ=ENVIRON, retry=FAST_RETRY)
            resource = connection.resource("products")
            pages = list(resource.pages(connection.client, None))
            calls = httpx.get(f"{served.url}/_sandbox/calls").json()["by_route"]
            top = max(int(i["Timestamp"]) for i in served.app.state.sandbox.tables["Items"].values())
        records = [r for page in pages for r in page.records]
        assert 1010 - 6 + 1 == len(records)
        model = [r for r in records if r.id == "MODEL-1"]
        assert 1 == len(model)
        assert [f"A{n:04d}" for n in range(997, 1003)] == [v.sku for v in resource.decode(model[0].data).variants]
        # a full read: two sync pages and no member read (the model is grouped from the staged items);
        # the cursor rides on the last page only
        assert 2 == calls["GET /api/v1/123456/sync/Logistics/Items"]
        assert "GET /api/v1/123456/bulk/Logistics/Items" not in calls
        assert [None] * (len(pages) - 1) == [p.cursor for p in pages[:-1]]
        assert str(top) == pages[-1].cursor

    def test_an_incremental_read_completes_a_changed_model(self) -> None:
        items = [{"ID": str(uuid.UUID(int=10_000 + n)), "Code": f"A{n:04d}", "Description": f"Article {n}",
                  "FreeTextField_01": "MODEL-1" if n < 3 else None} for n in range(5)]
        forget_budgets()
        with Served(create_app(seed={"items": items}, minutely_limit=None, daily_limit=None)) as served:
            before = max(int(i["Timestamp"]) for i in served.app.state.sandbox.tables["Items"].values())
            served.app.state.sandbox.update_item("A0001", Description="Article 1, revised")
            connection = ExactOnline(options(served.url), environ=ENVIRON, retry=FAST_RETRY)
            resource = connection.resource("products")
            pages = list(resource.pages(connection.client, str(before)))
            calls = httpx.get(f"{served.url}/_sandbox/calls").json()["by_route"]
        records = [r for page in pages for r in page.records]
        assert ["MODEL-1"] == [r.id for r in records]
        assert ["A0000", "A0001", "A0002"] == [v.sku for v in resource.decode(records[0].data).variants]
        assert 1 == calls["GET /api/v1/123456/sync/Logistics/Items"]
        assert 1 == calls["GET /api/v1/123456/bulk/Logistics/Items"]

    def test_stock_warehouses_restrict_the_read(self, served: Served) -> None:
        connection = ExactOnline(options(served.url, stock_warehouses=["1"]), environ=ENVIRON, retry=FAST_RETRY)
        resource = connection.resource("stock")
        levels = [resource.decode(r.data) for page in resource.pages(connection.client, None) for r in page.records]
        assert {"1"} == {level.location for level in levels}
        assert len([s for s in DOC["stock"] if s["WarehouseCode"] == "1"]) == len(levels)

    def test_vat_rates_come_with_prices_and_products(self, served: Served) -> None:
        connection = ExactOnline(options(served.url, vat_rates=True), environ=ENVIRON, retry=FAST_RETRY)
        httpx.post(f"{served.url}/_sandbox/reset-calls").raise_for_status()
        prices = connection.resource("prices")
        records = [r for page in prices.pages(connection.client, None) for r in page.records]
        rate_of = {"1": Decimal(9), "2": Decimal(21), "0": Decimal(0)}
        vat_code = {i["Code"]: i.get("SalesVatCode", "2") for i in DOC["items"]}
        for record in records:
            price = prices.decode(record.data)
            assert rate_of[vat_code[price.sku]] == price.vat_rate, price.sku
        calls = httpx.get(f"{served.url}/_sandbox/calls").json()["by_route"]
        assert 1 == calls["GET /api/v1/123456/vat/VATCodes"]
        item_ids = sorted({str(r.data["Item"]) for r in records})
        filtered_reads = len(list(chunks_by_length(item_ids, lambda i: f"ID eq {guid(i)}")))
        assert filtered_reads == calls["GET /api/v1/123456/bulk/Logistics/Items"] < len(item_ids)
        products = connection.resource("products")
        found = products.find(connection.client, {"key": str(DOC["items"][0]["FreeTextField_01"])})
        assert found is not None
        product = products.decode(found.data)
        assert rate_of[vat_code[product.variants[0].sku]] == product.vat_rate
        assert product.prices_include_vat is False

    def test_vat_rates_of_a_large_page_read_all_items_once(self) -> None:
        big = catalogue(products=120, customers=0, seed=3)
        forget_budgets()
        with Served(create_app(seed=big, minutely_limit=None, daily_limit=None)) as served:
            connection = ExactOnline(options(served.url, vat_rates=True), environ=ENVIRON, retry=FAST_RETRY)
            prices = connection.resource("prices")
            records = [r for page in prices.pages(connection.client, None) for r in page.records]
            calls = httpx.get(f"{served.url}/_sandbox/calls").json()["by_route"]
        assert len({r.data["Item"] for r in records}) > 200
        assert all(prices.decode(r.data).vat_rate is not None for r in records)
        assert 1 == calls["GET /api/v1/123456/sync/Logistics/Items"]  # 1,000 items a call
        assert "GET /api/v1/123456/bulk/Logistics/Items" not in calls

    def test_rotated_refresh_token_survives_a_new_client(self, served: Served) -> None:
        store = MemoryTokens()
        first = ExactOnline(options(served.url), environ=ENVIRON, tokens=store, retry=FAST_RETRY)
        first.resource("customers").find(first.client, {"reference": "1001"})
        rotated = store.get("exact_online:123456")
        assert rotated is not None and rotated["refresh_token"] != ENVIRON["EXACT_REFRESH"]
        store.put("exact_online:123456", {**rotated, "access_token": None})  # a restart: bearer gone
        second = ExactOnline(options(served.url), environ=ENVIRON, tokens=store, retry=FAST_RETRY)
        assert second.resource("customers").find(second.client, {"reference": "1001"}) is not None
        stale = ExactOnline(options(served.url), environ=ENVIRON, tokens=MemoryTokens(), retry=FAST_RETRY)
        with pytest.raises(ConfigError):
            stale.resource("customers").find(stale.client, {"reference": "1001"})

    def test_a_refused_token_is_refreshed_once(self, connection: ExactOnline, served: Served) -> None:
        assert connection.resource("orders").find(connection.client, {"number": "#901"}) is not None
        sandbox_of(served).tokens.access.clear()
        assert connection.resource("orders").find(connection.client, {"number": "#902"}) is not None

    def test_padded_codes_are_found_trimmed(self, connection: ExactOnline) -> None:
        account = connection.resource("customers").find(connection.client, {"reference": ACCOUNT["Code"]})
        assert account is not None and ACCOUNT["ID"] == account.id
        assert account.data["Code"].strip() == ACCOUNT["Code"] and len(account.data["Code"]) == 18
        products = connection.resource("products")
        item = DOC["items"][5]
        by_sku = products.find(connection.client, {"sku": item["Code"]})
        assert by_sku is not None and item["ID"] == by_sku.id
        by_ean = products.find(connection.client, {"ean": item["Barcode"]})
        assert by_ean is not None and item["ID"] == by_ean.id
        by_key = products.find(connection.client, {"key": item["FreeTextField_01"]})
        assert by_key is not None and item["FreeTextField_01"] == by_key.id
        many = products.find_many(connection.client, [{"sku": i["Code"]} for i in DOC["items"][:5]] + [{"sku": "NOPE"}])
        assert [i["ID"] for i in DOC["items"][:5]] + [None] == [r.id if r else None for r in many]

    def test_order_books_net_lines_with_shipping_and_discount(self, connection: ExactOnline) -> None:
        orders = connection.resource("orders")
        assert orders.encode is not None
        order = sample_order("#1002")
        native = orders.encode(order, SelfRefs(connection))
        lines = native["SalesOrderLines"]
        assert ["2", "1", "2", "1", "2"] == [line["VATCode"] for line in lines]
        assert [Decimal("16.5207"), Decimal("22.9358")] == [line["UnitPrice"] for line in lines[:2]]
        assert ["00000000-0000-0000-0000-000000000002"] * 2 == [line["Item"] for line in lines[2:4]]
        assert "00000000-0000-0000-0000-000000000001" == lines[4]["Item"]
        assert ("#1002", "Webshop order #1002", "2024-05-01") == (
            native["YourRef"], native["Description"], native["OrderDate"])
        created = orders.create(connection.client, native)
        found = orders.find(connection.client, {"number": "#1002"})
        assert found is not None and created.id == found.id
        decoded = orders.decode(found.data)
        composed = compose_lines(order, shipping_sku="SHIP", discount_sku="DISC")
        assert check_totals(order, composed) == order.total - decoded.total
        assert [Decimal("4.09")] == [line.price.amount for line in decoded.shipping_lines]
        assert eur("8.61") == sum((d.amount for d in decoded.discounts), eur("0"))

    def test_unknown_sku_names_the_line(self, connection: ExactOnline) -> None:
        orders = connection.resource("orders")
        assert orders.encode is not None
        with pytest.raises(RecordError) as caught:
            orders.encode(sample_order("#1003", (DOC["items"][0]["Code"], "NO-SUCH-SKU")), SelfRefs(connection))
        assert "lines[1].sku" == caught.value.field

    def test_rate_limit_headers_feed_one_budget_per_division(self) -> None:
        forget_budgets()
        with Served(create_app(seed=self.seed(), minutely_limit=500, daily_limit=9000)) as served:
            store = MemoryTokens()  # connections on one division share tokens: the refresh token rotates
            one = ExactOnline(options(served.url, calls_per_minute=60), environ=ENVIRON, tokens=store,
                              retry=FAST_RETRY)
            two = ExactOnline(options(served.url, calls_per_minute=60), environ=ENVIRON, tokens=store,
                              retry=FAST_RETRY)
            assert one.client.budget is two.client.budget
            one.resource("orders").find(one.client, {"number": "#901"})
            two.resource("orders").find(two.client, {"number": "#902"})
            sandbox = sandbox_of(served)
            windows = {w.name: w for w in one.client.budget.windows}
            assert (500, sandbox.minutely.remaining) == (windows["minute"].limit, windows["minute"].remaining)
            assert (9000, sandbox.daily.remaining) == (windows["day"].limit, windows["day"].remaining)
            assert abs(windows["minute"].reset_at - sandbox.minutely.reset_at) < 0.01

    def test_the_vendors_count_wins_over_our_own(self) -> None:
        forget_budgets()
        with Served(create_app(seed=self.seed(), minutely_limit=3, daily_limit=None)) as served:
            sandbox = sandbox_of(served)
            clock = [1_700_000_000.0]
            budget = WindowBudget.per_minute_and_day(60, 5000, clock=lambda: clock[0], sleep=_advance(clock))
            connection = ExactOnline(options(served.url), environ=ENVIRON, retry=FAST_RETRY)
            connection.client.budget = budget
            connection.client.clock = lambda: clock[0]
            for number in ("#901", "#902", "#901"):
                connection.resource("orders").find(connection.client, {"number": number})
            minute = next(w for w in budget.windows if w.name == "minute")
            assert 0 == minute.remaining and sandbox.minutely.reset_at == pytest.approx(minute.reset_at, abs=0.01)


def sandbox_of(served: Served) -> Any:
    app: Any = served.server.config.app
    return app.state.sandbox


def _advance(clock: list[float]) -> Any:
    def sleep(seconds: float) -> None:
        clock[0] += seconds
    return sleep


@pytest.fixture(autouse=True)
def _fresh_budgets() -> Iterator[None]:
    forget_budgets()
    yield
    forget_budgets()
