"""IP-Soft against its sandbox over loopback: the shared contract, plus SOAP faults, paging, the
lost answer to CreateOrder and the write fence."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, ClassVar

import httpx
import pytest

from tradewind.connectors import http as http_layer
from tradewind.connectors.base import NativeRecord
from tradewind.connectors.ip_soft import IPSoft, IPSoftOptions
from tradewind.connectors.pacing import forget_budgets
from tradewind.connectors.testing import FAST_RETRY, ConnectorContract, SelfRefs
from tradewind.errors import ConfigError, LeaseLost, OutcomeUnknown, RecordError, RejectedByTarget
from tradewind.model import Customer, Entity, Money, Order, OrderLine, ShippingLine
from tradewind.sandboxes._serve import Served
from tradewind.sandboxes.ip_soft import SERVICE_PATH, create_app
from tradewind.sandboxes.ip_soft_data import catalogue

ENVIRON = {"IPSOFT_KEY": "demo-key", "IPSOFT_PASSWORD": "demo-password"}
DOC = catalogue(products=6, customers=5, seed=3)
CUSTOMER = DOC["customers"][2]  # Dutch: has a VAT number
SKUS = [v["Sku"] for p in DOC["products"] for v in p["Variants"]]


def options(base_url: str, **extra: Any) -> IPSoftOptions:
    return IPSoftOptions(**{"endpoint": f"{base_url}{SERVICE_PATH}", "api_key": "${IPSOFT_KEY}", "page_size": 7,
                            **extra})


def eur(amount: str) -> Money:
    return Money.of(amount, "EUR")


def sample_order(number: str = "LNB-1001", reference: str | None = CUSTOMER["CustomerNumber"]) -> Order:
    return Order(number=number, created_at=datetime(2024, 5, 1, 10, tzinfo=UTC), currency="EUR",
                 customer=Customer(name=CUSTOMER["Name"], reference=reference),
                 lines=[OrderLine(sku=SKUS[0], title="Knit XS", quantity=Decimal(6), unit_price=eur("31.50")),
                        OrderLine(sku=SKUS[4], quantity=Decimal(3), unit_price=eur("44.00"),
                                  discount=eur("4.40"))],
                 shipping_lines=[ShippingLine(title="Pallet", price=eur("25.00"))], total=eur("338.60"))


class TestIPSoft(ConnectorContract):
    connector = IPSoft
    def harness(self) -> Served:
        return Served(create_app(seed=self.seed()))
    environ: ClassVar[dict[str, str]] = ENVIRON
    expected_counts: ClassVar[dict[str, int]] = {
        "customers": len(DOC["customers"]), "products": len(DOC["products"]), "prices": len(DOC["prices"]),
        "stock": len(DOC["stock"])}
    roundtrip_fields: ClassVar[dict[str, list[str]]] = {  # shipping: one cost, without its title
        "orders": ["number", "currency", "lines", "total", "created_at"]}

    def options(self, base_url: str) -> IPSoftOptions:
        return options(base_url)

    def seed(self) -> dict[str, Any]:
        return DOC

    def samples(self) -> dict[str, Entity]:
        return {"orders": sample_order()}

    def change(self, sandbox_state: Any, resource: str) -> str:
        if resource == "customers":
            return str(sandbox_state.touch("customers", CUSTOMER["CustomerNumber"], Phone="+31 30 0000000")
                       ["CustomerNumber"])
        if resource == "products":
            code = DOC["products"][2]["ProductCode"]
            return str(sandbox_state.touch("products", code, Description="Changed")["ProductCode"])
        if resource == "prices":
            entry = DOC["prices"][3]["EntryId"]
            return str(sandbox_state.touch("prices", entry, UnitPrice="99.00")["EntryId"])
        row = DOC["stock"][5]
        sandbox_state.touch("stock", f"{row['Warehouse']}/{row['Sku']}", OnHand="7", AvailableToSell="7")
        return f"{row['Warehouse']}/{row['Sku']}"

    def invalid(self, resource: str) -> dict[str, Any] | None:
        return {"ExternalReference": "LNB-bad", "CustomerNumber": "C-UNKNOWN", "OrderDate": "2024-05-01T10:00:00Z",
                "Currency": "EUR", "Lines": {"Line": [{"Sku": SKUS[0], "Quantity": "1", "UnitPrice": "1.00"}]}}

    # -- IP-Soft specifics -------------------------------------------------------------------

    def test_lists_page_by_token(self, connection: IPSoft, served: Served) -> None:
        pages = list(connection.resource("customers").pages(connection.client, None))
        calls = httpx.get(f"{served.url}/_sandbox/calls").json()["by_route"]
        assert [5] == [len(p.records) for p in pages]  # 5 fit a page of 7
        pages = list(connection.resource("stock").pages(connection.client, None))
        assert len(DOC["stock"]) == sum(len(p.records) for p in pages)
        assert -(-len(DOC["stock"]) // 7) == len(pages)
        calls = httpx.get(f"{served.url}/_sandbox/calls").json()["by_route"]
        assert len(pages) == calls[f"POST {SERVICE_PATH}/ListStock"]

    def test_reads_are_restricted_to_the_configured_lists_and_warehouses(self, served: Served) -> None:
        connection = IPSoft(options(served.url, price_lists=["RETAIL-EUR"], warehouses=["OUTLET"]), environ=ENVIRON)
        prices, _ = self.read_all(connection, connection.resource("prices"))
        stock, _ = self.read_all(connection, connection.resource("stock"))
        assert {"RETAIL-EUR"} == {r.data["PriceList"] for r in prices}
        assert {"OUTLET"} == {r.data["Warehouse"] for r in stock}
        assert len(DOC["stock"]) // 2 == len(stock)

    def test_an_unknown_customer_is_refused_with_the_vendors_message(self, connection: IPSoft) -> None:
        with pytest.raises(RejectedByTarget) as caught:
            connection.resource("orders").create(connection.client, self.invalid("orders") or {})
        assert "Unknown customer 'C-UNKNOWN'" == caught.value.message
        assert "CustomerNumber" == caught.value.field

    def test_an_unknown_article_is_refused_naming_the_line(self, connection: IPSoft) -> None:
        native = {**(self.invalid("orders") or {}), "CustomerNumber": CUSTOMER["CustomerNumber"]}
        native["Lines"] = {"Line": [{"Sku": SKUS[0], "Quantity": "1", "UnitPrice": "1"},
                                    {"Sku": "NOPE", "Quantity": "1", "UnitPrice": "1"}]}
        with pytest.raises(RejectedByTarget, match="Unknown article 'NOPE'") as caught:
            connection.resource("orders").create(connection.client, native)
        assert "Lines.Line[1].Sku" == caught.value.field

    def test_an_order_without_a_valid_customer_reference_is_blocked(self, connection: IPSoft) -> None:
        encode = connection.resource("orders").encode
        assert encode is not None
        for reference, said in ((None, "has no customer reference"), ("C-404", "customer reference 'C-404'")):
            with pytest.raises(RecordError) as caught:
                encode(sample_order(reference=reference), SelfRefs(connection))
            assert said in caught.value.message and "not a valid IP-Soft customer" in caught.value.message
            assert "customer.reference" == caught.value.field

    def test_wrong_credentials_stop_the_flow(self, served: Served) -> None:
        for extra in ({"api_key": "${WRONG}"}, {"api_key": None, "username": "demo", "password": "${WRONG}"}):
            connection = IPSoft(options(served.url, **extra), environ={"WRONG": "nope"}, retry=FAST_RETRY)
            with pytest.raises(ConfigError, match="refused the credentials"):
                self.read_all(connection, connection.resource("customers"))
        assert 2 == self.calls(served)  # a refusal is not retried

    def test_user_and_password_sign_in(self, served: Served) -> None:
        connection = IPSoft(options(served.url, api_key=None, username="demo", password="${IPSOFT_PASSWORD}"),
                            environ=ENVIRON)
        assert len(DOC["customers"]) == len(self.read_all(connection, connection.resource("customers"))[0])

    def test_options_need_a_way_to_sign_in(self) -> None:
        with pytest.raises(ValueError, match="api_key, or username and password"):
            IPSoftOptions(endpoint="https://erp.example.com/soap", username="demo")

    def test_a_lost_answer_to_create_order_is_an_unknown_outcome_after_one_call(self, connection: IPSoft,
                                                                                 served: Served) -> None:
        resource = connection.resource("orders")
        assert resource.encode is not None
        native = resource.encode(sample_order("LNB-2001"), SelfRefs(connection))
        for lost in ({"status": 503}, {"status": 500, "bare": True}, {"reset": True}):
            httpx.post(f"{served.url}/_sandbox/reset-calls")
            self.fault(served, after=True, path_contains="CreateOrder", **lost)
            with pytest.raises(OutcomeUnknown):
                resource.create(connection.client, native)
            calls = httpx.get(f"{served.url}/_sandbox/calls").json()["by_route"]
            assert {f"POST {SERVICE_PATH}/CreateOrder": 1} == calls, lost
        found = resource.find(connection.client, {"number": "LNB-2001"})
        assert found is not None and not isinstance(found, NativeRecord)  # three stored: ambiguous, never picked

    def test_a_lost_answer_to_a_read_is_retried(self, connection: IPSoft, served: Served) -> None:
        self.fault(served, after=True, path_contains="ListCustomers", status=503)
        records, _ = self.read_all(connection, connection.resource("customers"))
        assert len(DOC["customers"]) == len(records)

    def test_a_fenced_run_sends_no_order_but_still_reads(self, connection: IPSoft, served: Served) -> None:
        resource = connection.resource("orders")
        assert resource.encode is not None
        native = resource.encode(sample_order("LNB-3001"), SelfRefs(connection))

        def fence() -> None:
            raise LeaseLost("the lease was taken over")

        token = http_layer.write_fence.set(fence)
        try:
            with pytest.raises(LeaseLost):
                resource.create(connection.client, native)
            assert resource.find(connection.client, {"number": "LNB-3001"}) is None
        finally:
            http_layer.write_fence.reset(token)
        assert not served.sandbox.orders

    def test_get_reads_by_id(self, connection: IPSoft) -> None:
        numbers = [CUSTOMER["CustomerNumber"], "C-GONE"]
        got = connection.resource("customers").get(connection.client, numbers)
        assert isinstance(got[0], NativeRecord) and got[1] is None
        assert CUSTOMER["Name"] == got[0].data["Name"]

    def test_customers_are_found_by_email_or_vat_number(self, connection: IPSoft) -> None:
        customers = connection.resource("customers")
        by_buyer = customers.find(connection.client, {"email": CUSTOMER["Buyers"][0]["Email"]})
        by_vat = customers.find(connection.client, {"vat_number": CUSTOMER["VatNumber"]})
        assert isinstance(by_buyer, NativeRecord) and isinstance(by_vat, NativeRecord)
        assert CUSTOMER["CustomerNumber"] == by_buyer.id == by_vat.id

    def test_the_wsdl_is_read_from_the_service_through_the_http_layer(self, served: Served) -> None:
        connection = IPSoft(options(served.url, wsdl=f"{served.url}{SERVICE_PATH}?wsdl"), environ=ENVIRON,
                            retry=FAST_RETRY)
        self.fault(served, status=503, path_contains=SERVICE_PATH, times=1)  # the WSDL read is retried too
        records, _ = self.read_all(connection, connection.resource("products"))
        calls = httpx.get(f"{served.url}/_sandbox/calls").json()["by_route"]
        assert len(DOC["products"]) == len(records)
        assert 2 == calls[f"GET {SERVICE_PATH}"] and 1 == calls["GET /soap/ipsoft.xsd"]

    def test_an_unreadable_wsdl_is_a_config_error(self, tmp_path: Any) -> None:
        missing = tmp_path / "nowhere.wsdl"
        connection = IPSoft(options("http://127.0.0.1:9", wsdl=str(missing)), environ=ENVIRON)
        with pytest.raises(ConfigError, match="cannot read the IP-Soft WSDL"):
            next(iter(connection.resource("products").pages(connection.client, None)))


@pytest.fixture
def lone() -> Iterator[Served]:
    forget_budgets()
    with Served(create_app(seed=DOC)) as served:
        yield served


def test_a_cursor_without_a_time_zone_is_refused(lone: Served) -> None:
    connection = IPSoft(options(lone.url), environ=ENVIRON)
    with pytest.raises(RecordError, match="no time zone"):
        next(iter(connection.resource("customers").pages(connection.client, "2024-03-01T08:00:00")))
