"""IP-Soft codec and fault translation: pure functions, no service."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from lxml import etree
from zeep.exceptions import Fault

from tradewind.connectors.ip_soft import codec
from tradewind.connectors.ip_soft.client import NAMESPACE, fault_error, plain, records_in
from tradewind.errors import ConfigError, RecordError, RejectedByTarget, TransientError
from tradewind.model import Address, Customer, Discount, Entity, Money, Order, OrderLine, OrderStage, ShippingLine

CUSTOMER_ROW = {
    "CustomerNumber": "C10002", "Name": "Boutique C002 ", "CustomerGroup": "WHOLESALE", "Currency": "EUR",
    "Email": "orders@boutique002.example", "VatNumber": "NL004495445B01", "Language": "NL", "Blocked": False,
    "BillingAddress": {"Name": "Boutique C002", "Street": "Hoofdstraat", "HouseNumber": "3", "PostalCode": "3511 AA",
                       "City": "Utrecht", "CountryCode": "NL"},
    "Buyers": {"Buyer": [{"FirstName": "Sam", "LastName": "Buyer", "Email": "buyer@boutique002.example",
                          "Role": "Buyer"}]},
    "ModifiedAt": "2024-03-01T08:02:00Z"}
PRODUCT_ROW = {
    "ProductCode": "M0001-BLA", "Description": "Shirt 1 Black", "Brand": "Atelier", "Category": "Shirts",
    "Collection": "SS24", "Colour": "Black", "Composition": "100% cotton", "VatRate": "21", "Active": True,
    "Variants": {"Variant": [{"Sku": "M0001-BLA-S", "Ean13": "8712345678906", "Size": "S", "Active": True},
                             {"Sku": "M0001-BLA-M", "Size": "M", "Active": False}]},
    "ModifiedAt": "2024-03-01T08:01:30Z"}


class Refs:
    def __init__(self, known: Mapping[str, str]) -> None:
        self.known = known
        self.asked: list[Mapping[str, str | None]] = []

    def __call__(self, entity: str, keys: Mapping[str, str | None], payload: Entity | None = None) -> str:
        self.asked.append(keys)
        reference = keys.get("reference")
        if reference and reference in self.known:
            return self.known[reference]
        raise RecordError(f"customer with reference {reference!r} is unknown in erp")


def eur(amount: str) -> Money:
    return Money.of(amount, "EUR")


def order(reference: str | None = "C10002") -> Order:
    return Order(number="LNB-77", created_at=datetime(2024, 5, 1, 12, 30, tzinfo=UTC), currency="EUR",
                 customer=Customer(name="Boutique C002", reference=reference),
                 lines=[OrderLine(sku="M0001-BLA-S", title="Shirt S", quantity=Decimal(10), unit_price=eur("19.95"),
                                  vat_rate=Decimal(21)),
                        OrderLine(sku="M0001-BLA-M", quantity=Decimal(2), unit_price=eur("19.95"),
                                  discount=eur("2.00"))],
                 discounts=[Discount(code="FAIR", amount=eur("5.00"))],
                 shipping_lines=[ShippingLine(title="Pallet", price=eur("25.00"))],
                 shipping_address=Address(company="Boutique C002", line1="Hoofdstraat", house_number="3",
                                          postcode="3511 AA", city="Utrecht", country="NL"),
                 note="Deliver before noon", total=eur("257.40"))


def test_a_customer_comes_with_its_billing_address_buyers_and_group() -> None:
    customer = codec.customer_in(CUSTOMER_ROW)
    assert ("C10002", "Boutique C002", "company") == (customer.reference, customer.name, customer.type)
    assert {"customer_group": "WHOLESALE"} == customer.references
    assert customer.billing_address is not None and "Utrecht" == customer.billing_address.city
    assert [("Sam", "buyer@boutique002.example", "Buyer")] == [(c.first_name, c.email, c.role)
                                                                for c in customer.contacts]


def test_a_product_has_category_colour_composition_and_sizes_with_ean13() -> None:
    product = codec.product_in(PRODUCT_ROW)
    assert ("M0001-BLA", "Shirts", Decimal(21)) == (product.key, product.product_type, product.vat_rate)
    assert {"category": "Shirts", "colour": "Black", "composition": "100% cotton",
            "collection": "SS24"} == product.attributes
    assert [("M0001-BLA-S", "8712345678906", {"colour": "Black", "size": "S"}, True),
            ("M0001-BLA-M", None, {"colour": "Black", "size": "M"}, False)] == [
        (v.sku, v.ean, v.options, v.active) for v in product.variants]


def test_a_price_and_a_stock_level() -> None:
    price = codec.price_in({"EntryId": "R/1", "PriceList": "RETAIL-EUR", "Currency": "EUR", "Sku": "A-1",
                            "UnitPrice": "48.40", "IncludesVat": True, "MinQuantity": "6", "ValidFrom": "2024-01-01"})
    assert (eur("48.40"), True, Decimal(6), "RETAIL-EUR") == (price.amount, price.includes_vat, price.min_quantity,
                                                              price.price_list)
    stock = codec.stock_in({"Sku": "A-1", "Warehouse": "MAIN", "OnHand": "12", "Reserved": "2",
                            "AvailableToSell": "10"})
    assert ("MAIN", Decimal(12), Decimal(10), Decimal(0)) == (stock.location, stock.on_hand, stock.available,
                                                             stock.incoming)
    assert "MAIN/A-1" == codec.stock_id({"Sku": "A-1", "Warehouse": "MAIN"})


def test_an_order_round_trips_through_its_native_form() -> None:
    refs = Refs({"C10002": "C10002"})
    native = codec.order_out(order(), refs)
    assert {"reference": "C10002", "email": None, "vat_number": None} == refs.asked[0]
    assert ("LNB-77", "C10002", "2024-05-01T12:30:00Z", "25.00", "5.00", "257.40") == (
        native["ExternalReference"], native["CustomerNumber"], native["OrderDate"], native["ShippingCost"],
        native["OrderDiscount"], native["TotalAmount"])
    assert {"Name": "Boutique C002", "Street": "Hoofdstraat", "HouseNumber": "3", "PostalCode": "3511 AA",
            "City": "Utrecht", "CountryCode": "NL"} == native["DeliveryAddress"]
    stored = {**native, "OrderNumber": "SO50001", "Status": "Confirmed", "ModifiedAt": "2024-05-01T12:31:00Z",
              "Lines": native["Lines"]}
    back = codec.order_in(stored)
    original = order()
    assert (original.number, original.lines, original.total, original.discount_total, original.created_at,
            original.note) == (back.number, back.lines, back.total, back.discount_total, back.created_at, back.note)
    assert [eur("25.00")] == [s.price for s in back.shipping_lines]
    assert (OrderStage.CONFIRMED, "C10002") == (back.stage, back.customer.reference)


def test_an_order_without_a_valid_customer_reference_is_blocked_naming_it() -> None:
    for reference, said in (("C-404", "customer reference 'C-404' is not a valid IP-Soft customer"),
                            (None, "customer 'Boutique C002' has no customer reference")):
        with pytest.raises(RecordError) as caught:
            codec.order_out(order(reference), Refs({"C10002": "C10002"}))
        assert said in caught.value.message
        assert ("customer.reference", "LNB-77") == (caught.value.field, caught.value.record)


def _fault(code: str, message: str = "it went wrong", detail_code: str | None = None,
           field: str | None = None) -> Fault:
    detail = None
    if detail_code:
        detail = etree.Element("detail")
        service = etree.SubElement(detail, f"{{{NAMESPACE}}}ServiceFault")
        etree.SubElement(service, f"{{{NAMESPACE}}}Code").text = detail_code
        if field:
            etree.SubElement(service, f"{{{NAMESPACE}}}Field").text = field
    return Fault(message=message, code=code, detail=detail)


@pytest.mark.parametrize(("fault", "error"), [
    (_fault("soap:Client", "Unknown customer 'X'", "UNKNOWN_CUSTOMER", "CustomerNumber"), RejectedByTarget),
    (_fault("soap:Client.Validation"), RejectedByTarget),
    (_fault("soap:Server", "database locked"), TransientError),
    (_fault("soap:Client.Authentication"), ConfigError),
    (_fault("soap:Client", "no", "AUTHENTICATION_FAILED"), ConfigError),
    (_fault("soap:VersionMismatch"), ConfigError),
])
def test_faults_become_errors_of_the_tree(fault: Fault, error: type[Exception]) -> None:
    translated = fault_error(fault)
    assert type(translated) is error
    if isinstance(translated, RejectedByTarget) and fault.detail is not None:
        assert ("Unknown customer 'X'", "CustomerNumber") == (translated.message, translated.field)


def test_answers_become_plain_data() -> None:
    answer = {"Customer": [{"ModifiedAt": datetime(2024, 3, 1, 9, tzinfo=UTC), "Price": Decimal("1.50"),
                            "Blank": None}], "NextPageToken": None}
    assert {"Customer": [{"ModifiedAt": "2024-03-01T09:00:00Z", "Price": "1.50"}]} == plain(answer)
    assert [{"a": 1}] == records_in([{"a": 1}], "Customer") == records_in({"Customer": {"a": 1}}, "Customer")
    assert [] == records_in(None, "Customer") == records_in({"Customer": None}, "Customer")
