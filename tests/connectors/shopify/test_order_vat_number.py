"""The buyer's VAT number, shipping method, payment gateway and delivery address of a Shopify order reach
the canonical order: from the B2B company location's tax registration id, else a checkout attribute."""

from __future__ import annotations

from typing import Any

import pytest

from tradewind.connectors.shopify import Shopify, codec
from tradewind.connectors.testing import FAST_RETRY
from tradewind.model import CustomerKind
from tradewind.sandboxes._serve import Served
from tradewind.sandboxes.shopify import create_app

from .test_codec import order_node
from .test_shopify import ENVIRON, TOKEN, options


def company(registration: str | None, name: str = "Weber GmbH") -> dict[str, Any]:
    return {"company": {"name": name},
            "location": {"name": "Berlin", "taxSettings": {"taxRegistrationId": registration}}}


def test_a_b2b_order_carries_its_company_locations_tax_registration_id() -> None:
    node = order_node(billingAddress={"name": "Jonas Weber", "countryCodeV2": "DE"},
                      purchasingEntity=company("DE 136 695 976"), customAttributes=[])
    order = codec.order_in(node)
    assert "DE136695976" == order.customer.vat_number  # valid: compact
    assert (CustomerKind.COMPANY, "Weber GmbH") == (order.customer.type, order.customer.name)


def test_the_company_location_wins_over_a_checkout_attribute() -> None:
    node = order_node(purchasingEntity=company("DE136695976"),
                      customAttributes=[{"key": "vat_number", "value": "NL004495445B01"}])
    assert "DE136695976" == codec.order_in(node).customer.vat_number


@pytest.mark.parametrize("key", ["vat_number", "VAT number", "VAT-ID", "BTW-nummer", "USt-IdNr."])
def test_a_checkout_attribute_named_like_a_vat_number_is_read(key: str) -> None:
    node = order_node(customAttributes=[{"key": "gift_message", "value": "Happy birthday"},
                                        {"key": key, "value": " DE136695976 "}],
                      purchasingEntity={"id": "gid://shopify/Customer/5"})  # a D2C order: the customer
    assert "DE136695976" == codec.order_in(node).customer.vat_number


def test_an_invalid_vat_number_is_kept_as_given_for_the_rules() -> None:
    node = order_node(customAttributes=[{"key": "vat_number", "value": "DE136695977"}])
    assert "DE136695977" == codec.order_in(node).customer.vat_number


def test_no_vat_number_anywhere_is_none() -> None:
    node = order_node(customAttributes=[{"key": "vat_number", "value": "  "}], purchasingEntity=None)
    assert codec.order_in(node).customer.vat_number is None
    assert codec.order_in(order_node()).customer.vat_number is None  # neither field asked for


def test_a_b2b_orders_payment_terms_reach_the_order() -> None:
    order = codec.order_in(order_node(paymentTerms={"paymentTermsName": "Net 30", "paymentTermsType": "NET",
                                                    "dueInDays": 30}))
    assert ("Net 30", 30) == (order.payment_terms, order.payment_due_days)
    assert (None, None) == (codec.order_in(order_node()).payment_terms, codec.order_in(order_node()).payment_due_days)


def test_shipping_method_payment_gateway_and_delivery_address_reach_the_order() -> None:
    address = {"name": "Jonas Weber", "address1": "Invalidenstr. 1", "zip": "10115", "city": "Berlin",
               "countryCodeV2": "DE"}
    order = codec.order_in(order_node(shippingAddress=address))
    assert [("Standard", "STD")] == [(s.title, s.code) for s in order.shipping_lines]
    assert ("STD", "ideal") == (order.shipping_method, order.payment_method)
    delivery = order.delivery_address
    assert delivery is not None
    assert ("Invalidenstr. 1", "10115", "Berlin", "DE") == (delivery.line1, delivery.postcode, delivery.city,
                                                             delivery.country)


def test_the_connector_reads_them_from_the_sandbox_over_http() -> None:
    """Through the real client and the sandbox: the query asks for the fields and the codec finds them."""
    seed = {"shop": {"name": "B2B Shop", "currency": "EUR"}, "orders": [
        {"id": 900, "name": "#1001", "updated_at": "2026-05-12T10:00:00Z", "email": "einkauf@weber.de",
         "line_items": [{"sku": "MUG-01", "price": "12.99"}],
         "shipping_lines": [{"title": "DHL Paket", "code": "DHL", "price": "4.95"}],
         "payment_gateway_names": ["mollie"],
         "company": {"name": "Weber GmbH", "location_name": "Berlin", "tax_registration_id": "DE136695976"},
         "payment_terms": {"payment_terms_name": "Net 30", "payment_terms_type": "net", "due_in_days": 30}},
        {"id": 901, "name": "#1002", "updated_at": "2026-05-12T11:00:00Z", "email": "jonas@example.de",
         "line_items": [{"sku": "MUG-01", "price": "12.99"}],
         "note_attributes": [{"name": "VAT number", "value": "DE136695977"}]}]}
    with Served(create_app(token=TOKEN, shop="test.myshopify.com", seed=seed, bucket_size=None)) as served:
        connection = Shopify(options(served.url), environ=ENVIRON, retry=FAST_RETRY)
        try:
            orders = connection.resource("orders")
            read = [orders.decode(r.data) for page in orders.pages(connection.client, None) for r in page.records]
        finally:
            connection.close()
    by_number = {o.number: o for o in read}
    b2b, typed = by_number["#1001"], by_number["#1002"]
    assert ("Weber GmbH", "DE136695976", "Net 30", 30) == (b2b.customer.name, b2b.customer.vat_number,
                                                           b2b.payment_terms, b2b.payment_due_days)
    assert ("DHL", "mollie") == (b2b.shipping_method, b2b.payment_method)
    assert ("DE136695977", None) == (typed.customer.vat_number, typed.payment_terms)
