"""Pure parts of the Shopify connector: the codec, cost estimates, search values, error translation."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pytest

from tradewind.connectors.shopify import codec, queries
from tradewind.connectors.shopify.client import any_of, estimate_cost, since_query, throttle_wait, translate
from tradewind.errors import ConfigError, RateLimited, RecordError, TransientError
from tradewind.model import Address, Contact, Customer, CustomerKind, Money, Price, Product, StockLevel, Variant


def money(amount: str, currency: str = "EUR") -> dict[str, Any]:
    return {"shopMoney": {"amount": amount, "currencyCode": currency}}


def answer(status: int, body: Any = None, headers: dict[str, str] | None = None) -> httpx.Response:
    request = httpx.Request("POST", "https://demo.myshopify.com/admin/api/2026-07/graphql.json")
    return httpx.Response(status, json=body, headers=headers, request=request)


# -- products -----------------------------------------------------------------------------------

def variant_node(sku: str | None, **extra: Any) -> dict[str, Any]:
    return {"id": "gid://shopify/ProductVariant/1", "sku": sku, "barcode": None, "title": "Default Title",
            "price": "12.50", "compareAtPrice": None,
            "selectedOptions": [{"name": "Title", "value": "Default Title"}], **extra}


def product_node(*variants: dict[str, Any]) -> dict[str, Any]:
    return {"id": "gid://shopify/Product/1", "handle": "tote", "title": "Tote", "descriptionHtml": "",
            "vendor": "Acme", "productType": "", "status": "DRAFT", "tags": ["a"], "updatedAt": "2025-01-01T00:00:00Z",
            "variants": {"nodes": list(variants)}}


def test_slugify_makes_shopify_handles() -> None:
    assert "cafe-creme-200-g" == codec.slugify("Café Crème 200 g")
    assert "ab-12" == codec.slugify("--AB/12--")
    with pytest.raises(RecordError):
        codec.slugify("!!!")


def test_product_in_drops_the_default_option_and_reads_status() -> None:
    product = codec.product_in(product_node(variant_node("TOTE-1")))
    assert "tote" == product.key and not product.active and product.description is None
    assert {} == product.variants[0].options and Money.of("12.50", "EUR") == product.variants[0].price


def test_variant_without_sku_names_the_field() -> None:
    with pytest.raises(RecordError) as caught:
        codec.product_in(product_node(variant_node("A"), variant_node("")))
    assert "variants[1].sku" == caught.value.field and "tote" == caught.value.record


def test_invalid_barcode_names_the_field() -> None:
    with pytest.raises(RecordError) as caught:
        codec.product_in(product_node(variant_node("A", barcode="123")))
    assert caught.value.field and caught.value.field.startswith("variants[0].ean")


def test_product_out_is_a_product_set_input() -> None:
    product = Product(key="Wool Scarf", title="Scarf", variants=[
        Variant(sku="S-R", options={"Colour": "Red", "Size": "M"}, price=Money.of("30", "EUR")),
        Variant(sku="S-B", options={"Colour": "Blue", "Size": "M"}, compare_at_price=Money.of("40", "EUR")),
    ])
    native = codec.product_out(product, None)  # type: ignore[arg-type]
    assert "wool-scarf" == native["handle"] and "ACTIVE" == native["status"]
    assert not [key for key in native if key.startswith("_")]  # nothing but Shopify's own fields
    assert [{"name": "Red"}, {"name": "Blue"}] == native["productOptions"][0]["values"]
    assert [{"optionName": "Colour", "name": "Blue"}, {"optionName": "Size", "name": "M"}] == \
        native["variants"][1]["optionValues"]
    assert (None, "40") == (native["variants"][1]["price"], native["variants"][1]["compareAtPrice"])


def test_product_without_options_gets_shopifys_default_title() -> None:
    native = codec.product_out(Product(key="x", title="X", variants=[Variant(sku="X")]), None)  # type: ignore[arg-type]
    assert [{"optionName": "Title", "name": "Default Title"}] == native["variants"][0]["optionValues"]


def test_variant_missing_an_option_is_refused() -> None:
    product = Product(key="x", title="X", variants=[Variant(sku="A", options={"Size": "S"}), Variant(sku="B")])
    with pytest.raises(RecordError) as caught:
        codec.product_out(product, None)  # type: ignore[arg-type]
    assert "variants[1].options.Size" == caught.value.field


def test_product_prices_follow_the_settings_given() -> None:
    """The shop's currency and tax basis come in ``Settings``: net ERP prices become gross for a shop
    whose prices include tax; a product in another currency is refused naming the field."""
    product = Product(key="mug", title="Mug", prices_include_vat=False, vat_rate=Decimal(21), variants=[
        Variant(sku="M-1", price=Money.of("10", "EUR"), compare_at_price=Money.of("20", "EUR"))])
    gross = codec.product_out(product, None, codec.Settings(currency="EUR", taxes_included=True))  # type: ignore[arg-type]
    assert ("12.10", "24.20") == (gross["variants"][0]["price"], gross["variants"][0]["compareAtPrice"])
    net = codec.product_out(product, None, codec.Settings(currency="EUR", taxes_included=False))  # type: ignore[arg-type]
    assert "10" == net["variants"][0]["price"]
    with pytest.raises(RecordError, match="sells in USD") as caught:
        codec.product_out(product, None, codec.Settings(currency="USD"))  # type: ignore[arg-type]
    assert "variants.price" == caught.value.field
    decoded = codec.product_in(product_node(variant_node("T-1")), codec.Settings(currency="USD"))
    assert Money.of("12.50", "USD") == decoded.variants[0].price


# -- prices and stock ---------------------------------------------------------------------------

def test_price_is_converted_to_the_shops_tax_setting() -> None:
    net = codec.price_out(Price(sku="A", amount=Money.of("10", "EUR"), vat_rate=Decimal(21)), None)  # type: ignore[arg-type]
    assert "12.10" == codec.price_for_shop(net, taxes_included=True, currency="EUR")
    assert "10" == codec.price_for_shop(net, taxes_included=False, currency="EUR")
    gross = codec.price_out(Price(sku="A", amount=Money.of("12.10", "EUR"), includes_vat=True), None)  # type: ignore[arg-type]
    with pytest.raises(RecordError, match="vat_rate"):
        codec.price_for_shop(gross, taxes_included=False, currency="EUR")
    with pytest.raises(RecordError, match="sells in USD"):
        codec.price_for_shop(gross, taxes_included=True, currency="USD")


def test_stock_quantity_is_available_or_on_hand_minus_reserved() -> None:
    assert 7 == codec.stock_out(StockLevel(sku="A", on_hand=9, reserved=2), None)["quantity"]  # type: ignore[arg-type]
    assert 3 == codec.stock_out(StockLevel(sku="A", on_hand=9, available=3), None)["quantity"]  # type: ignore[arg-type]
    with pytest.raises(RecordError):
        codec.stock_out(StockLevel(sku="A", available=Decimal("1.5")), None)  # type: ignore[arg-type]
    quantities = [{"name": "available", "quantity": 4}, {"name": "on_hand", "quantity": 6},
                  {"name": "committed", "quantity": 2}]
    level = codec.stock_in({"sku": "A", "location": "UTR", "quantities": quantities})
    assert (Decimal(4), Decimal(6), Decimal(2), "UTR") == (
        level.available, level.on_hand, level.reserved, level.location)


# -- customers ----------------------------------------------------------------------------------

def test_company_on_the_default_address_makes_a_company() -> None:
    address = {"company": "Jansen BV", "address1": "Damrak 1", "zip": "1012 JS", "city": "Amsterdam",
               "countryCodeV2": "NL"}
    customer = codec.customer_in({"id": "gid://shopify/Customer/1", "firstName": "Piet", "lastName": "Jansen",
                                  "displayName": "Piet Jansen", "defaultEmailAddress": {"emailAddress": "p@x.nl"},
                                  "defaultAddress": address, "addresses": [address], "taxExempt": True})
    assert CustomerKind.COMPANY == customer.type and "Jansen BV" == customer.name and customer.tax_exempt
    assert "Piet" == customer.contacts[0].first_name and "NL" == customer.billing_address.country  # type: ignore[union-attr]


def test_customer_reads_2026_07_phone_and_addresses_and_the_deprecated_ones() -> None:
    home = {"address1": "Damrak 1", "city": "Amsterdam", "countryCodeV2": "NL"}
    work = {"address1": "Coolsingel 2", "city": "Rotterdam", "countryCodeV2": "NL"}
    base = {"id": "gid://shopify/Customer/2", "displayName": "Anna", "defaultEmailAddress": {"emailAddress": "a@x.nl"},
            "defaultAddress": home}
    current = codec.customer_in({**base, "defaultPhoneNumber": {"phoneNumber": "+31612345678"},
                                 "addressesV2": {"nodes": [home, work]}})
    older = codec.customer_in({**base, "phone": "+31612345678", "addresses": [home, work]})
    assert current == older
    assert "+31612345678" == current.phone and "Rotterdam" == current.shipping_address.city  # type: ignore[union-attr]


def test_customer_out_splits_names_and_keeps_the_company() -> None:
    company = Customer(type=CustomerKind.COMPANY, name="Jansen BV", email="p@x.nl",
                       contacts=[Contact(first_name="Piet", last_name="Jansen")],
                       billing_address=Address(line1="Damrak", house_number="1", country="NL"))
    native = codec.customer_out(company, None)  # type: ignore[arg-type]
    assert ("Piet", "Jansen") == (native["firstName"], native["lastName"])
    assert {"company": "Jansen BV", "address1": "Damrak 1", "countryCode": "NL"} == native["addresses"][0]
    person = codec.customer_out(Customer(name="Anna de Vries", email="a@x.nl"), None)  # type: ignore[arg-type]
    assert ("Anna", "de Vries", []) == (person["firstName"], person["lastName"], person["addresses"])


# -- orders -------------------------------------------------------------------------------------

def order_node(**extra: Any) -> dict[str, Any]:
    tax = [{"title": "BTW", "ratePercentage": 21.0, "priceSet": money("8.68")}]
    node = {
        "id": "gid://shopify/Order/1", "name": "#1001", "email": "a@x.nl", "phone": None, "note": "ring twice",
        "tags": ["vip"], "createdAt": "2025-01-02T10:00:00Z", "updatedAt": "2025-01-02T11:00:00Z",
        "cancelledAt": None, "currencyCode": "EUR", "taxesIncluded": True, "displayFinancialStatus": "PAID",
        "displayFulfillmentStatus": "PARTIALLY_FULFILLED", "discountCodes": ["WELCOME10"],
        "paymentGatewayNames": ["ideal"], "subtotalPriceSet": money("45.00"), "totalTaxSet": money("8.68"),
        "totalPriceSet": money("49.95"), "totalDiscountsSet": money("5.00"),
        "customer": {"firstName": "Anna", "lastName": "Smit", "displayName": "Anna Smit"},
        "billingAddress": {"name": "Anna Smit", "company": "Smit BV", "countryCodeV2": "NL"}, "shippingAddress": None,
        "lineItems": {"nodes": [{"sku": "A", "name": "Tee - M", "quantity": 2, "originalUnitPriceSet": money("25.00"),
                                 "totalDiscountSet": money("5.00"), "taxLines": tax}]},
        "shippingLines": {"nodes": [{"title": "Standard", "code": "STD", "originalPriceSet": money("4.95"),
                                     "taxLines": []}]},
        "transactions": [{"kind": "SALE", "status": "SUCCESS", "gateway": "ideal",
                          "processedAt": "2025-01-02T10:01:00Z", "amountSet": money("49.95")},
                         {"kind": "AUTHORIZATION", "status": "SUCCESS", "gateway": "x", "amountSet": money("1")}],
    }
    node.update(extra)
    return node


def test_order_in_reads_everything_the_order_carries() -> None:
    order = codec.order_in(order_node())
    assert ("#1001", "EUR", True, "paid", "partial") == (
        order.number, order.currency, order.prices_include_vat, order.financial_status, order.fulfillment_status)
    line = order.lines[0]
    assert ("A", Decimal(2), Decimal(21), Money.of("5", "EUR"), Money.of("8.68", "EUR")) == (
        line.sku, line.quantity, line.vat_rate, line.discount, line.tax)
    assert CustomerKind.COMPANY == order.customer.type and "Smit BV" == order.customer.name
    assert "Anna" == order.customer.contacts[0].first_name and "a@x.nl" == order.customer.email
    assert [("ideal", Money.of("49.95", "EUR"))] == [(p.method, p.amount) for p in order.payments]
    # the code's 5.00 already sits on the line: the order-level discount carries the code, not the money twice
    assert [("WELCOME10", Money.of("0", "EUR"))] == [(d.code, d.amount) for d in order.discounts]
    assert Money.of("4.95", "EUR") == order.shipping_lines[0].price and ["vip"] == order.tags


def test_order_line_without_sku_names_the_line() -> None:
    node = order_node()
    node["lineItems"]["nodes"].append({"sku": None, "name": "Gift wrap", "quantity": 1,
                                       "originalUnitPriceSet": money("1"), "totalDiscountSet": money("0"),
                                       "taxLines": []})
    with pytest.raises(RecordError) as caught:
        codec.order_in(node)
    assert ("lines[1].sku", "#1001") == (caught.value.field, caught.value.record)


def test_unpaid_order_names_its_gateway_without_money() -> None:
    node = order_node(transactions=[], displayFinancialStatus="PENDING", cancelledAt="2025-01-03T00:00:00Z")
    order = codec.order_in(node)
    assert [("ideal", Decimal(0))] == [(p.method, p.amount.amount) for p in order.payments]
    assert "cancelled" == order.stage and "pending" == order.financial_status


# -- client helpers -----------------------------------------------------------------------------

def test_cost_estimate_follows_shopifys_rules() -> None:
    assert 602 == estimate_cost(queries.PRODUCTS, {"first": 25})
    assert 1000 > estimate_cost(queries.ORDERS, {"first": queries.ORDERS_PAGE})
    assert 1000 > estimate_cost(queries.CUSTOMERS, {"first": queries.CUSTOMERS_PAGE})
    assert 10 < estimate_cost(queries.INVENTORY_SET) < 20


def test_search_values_are_quoted() -> None:
    assert 'sku:"A 1" OR sku:"B\\"2"' == any_of("sku", ["A 1", 'B"2'])
    assert "updated_at:>='2025-01-01T00:00:00Z'" == since_query("2025-01-01T00:00:00Z")
    assert since_query(None) is None


def test_throttled_answers_wait_for_the_requested_cost() -> None:
    cost = {"requestedQueryCost": 600, "actualQueryCost": None,
            "throttleStatus": {"maximumAvailable": 1000, "currentlyAvailable": 100, "restoreRate": 50}}
    body = {"errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}], "extensions": {"cost": cost}}
    error = translate(answer(200, body), body)
    assert isinstance(error, RateLimited) and error.retry_after == pytest.approx(10.05) == throttle_wait(cost)
    assert isinstance(translate(answer(429, body), body), RateLimited)
    too_big = {**cost, "requestedQueryCost": 1200}
    assert isinstance(translate(answer(200, {**body, "extensions": {"cost": too_big}}), {**body, "extensions": {
        "cost": too_big}}), ConfigError)


@pytest.mark.parametrize(("status", "body", "kind"), [
    (401, {"errors": "[API] Invalid API key or access token"}, ConfigError),
    (403, {"errors": "forbidden"}, ConfigError),
    (503, None, TransientError),
    (200, {"errors": [{"message": "boom", "extensions": {"code": "INTERNAL_SERVER_ERROR"}}]}, TransientError),
    (200, {"errors": [{"message": "no", "extensions": {"code": "ACCESS_DENIED"}}]}, ConfigError),
    (200, {"errors": [{"message": "Field 'x' doesn't exist on type 'Product'",
                       "extensions": {"code": "undefinedField"}}]}, ConfigError),
    (200, {"errors": [{"message": "Variable $input of type CustomerInput! was provided invalid value"}]}, RecordError),
])
def test_answers_become_the_right_error(status: int, body: Any, kind: type[Exception]) -> None:
    assert isinstance(translate(answer(status, body), body), kind)
    assert translate(answer(200, {"data": {}}), {"data": {}}) is None
