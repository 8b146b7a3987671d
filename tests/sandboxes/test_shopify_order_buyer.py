"""The Shopify sandbox serves an order's B2B purchasing company (its location's tax registration id) and its
checkout attributes as Admin API 2026-07 does, every document checked against Shopify's real schema."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import graphql
import httpx
import pytest

from tradewind.sandboxes._serve import Served
from tradewind.sandboxes.shopify import create_app

from .test_shopify_sandbox import API, REAL_SDL, TOKEN

QUERY = """
query Buyers {
  orders(first: 5, sortKey: ID) {
    nodes {
      name
      customAttributes { key value }
      paymentTerms { paymentTermsName paymentTermsType dueInDays }
      purchasingEntity {
        __typename
        ... on Customer { displayName }
        ... on PurchasingCompany {
          company { id name } location { id name taxSettings { taxExempt taxRegistrationId } }
        }
      }
    }
  }
}
"""

SEED = {
    "shop": {"name": "B2B Shop", "currency": "EUR"},
    "customers": [{"id": 700, "email": "jonas@weber.de", "first_name": "Jonas", "last_name": "Weber"}],
    "orders": [
        {"id": 900, "line_items": [{"sku": "MUG-01", "price": "12.99"}], "customer": {"id": 700},
         "company": {"id": 40, "location_id": 41, "name": "Weber GmbH", "location_name": "Berlin",
                     "tax_registration_id": "DE136695976"},
         "payment_terms": {"payment_terms_name": "Net 30", "payment_terms_type": "net", "due_in_days": 30}},
        {"id": 901, "line_items": [{"sku": "MUG-01", "price": "12.99"}], "customer": {"id": 700},
         "note_attributes": [{"name": "VAT number", "value": "DE136695977"}]},
        {"id": 902, "line_items": [{"sku": "MUG-01", "price": "12.99"}]},
    ],
}


@pytest.fixture(scope="module")
def orders() -> Iterator[list[dict[str, Any]]]:
    if not REAL_SDL.exists():
        pytest.skip(f"vendored Shopify SDL not found at {REAL_SDL}")
    errors = graphql.validate(graphql.build_schema(REAL_SDL.read_text(encoding="utf-8"), assume_valid=True),
                              graphql.parse(QUERY))
    assert [] == [e.message for e in errors]
    with Served(create_app(token=TOKEN, bucket_size=None, seed=SEED)) as served:
        answer = httpx.post(f"{served.url}{API}", json={"query": QUERY},
                            headers={"X-Shopify-Access-Token": TOKEN}).json()
    assert "errors" not in answer, answer["errors"]
    yield answer["data"]["orders"]["nodes"]


def test_a_b2b_order_shows_its_company_and_the_locations_tax_registration_id(orders: list[dict[str, Any]]) -> None:
    assert {"__typename": "PurchasingCompany",
            "company": {"id": "gid://shopify/Company/40", "name": "Weber GmbH"},
            "location": {"id": "gid://shopify/CompanyLocation/41", "name": "Berlin",
                         "taxSettings": {"taxExempt": False, "taxRegistrationId": "DE136695976"}}} == \
        orders[0]["purchasingEntity"]
    assert [] == orders[0]["customAttributes"]
    assert {"paymentTermsName": "Net 30", "paymentTermsType": "NET", "dueInDays": 30} == orders[0]["paymentTerms"]


def test_a_d2c_orders_purchaser_is_its_customer_and_attributes_are_key_value(orders: list[dict[str, Any]]) -> None:
    assert {"__typename": "Customer", "displayName": "Jonas Weber"} == orders[1]["purchasingEntity"]
    assert [{"key": "VAT number", "value": "DE136695977"}] == orders[1]["customAttributes"]


def test_a_guest_order_has_no_purchaser(orders: list[dict[str, Any]]) -> None:
    assert (None, [], None) == (orders[2]["purchasingEntity"], orders[2]["customAttributes"],
                                orders[2]["paymentTerms"])
