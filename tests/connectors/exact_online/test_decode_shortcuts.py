"""What the decode's shortcuts must keep: the stock level placed and counted as ``rules.stock`` says,
the GS1 check digit as python-stdnum computes it, refusals never remembered by the caches."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError
from stdnum import ean

from tradewind.connectors.exact_online import ExactOnline, ExactOnlineOptions, codec
from tradewind.model import Money
from tradewind.model.identifiers import _check_digit

ENVIRON = {"EXACT_SECRET": "demo-secret", "EXACT_REFRESH": "demo-refresh"}
ROW = {"ID": "s", "ItemCode": "MUG-1", "WarehouseCode": " 2 ", "CurrentStock": Decimal("5"),
       "ReservedStock": Decimal("2"), "PlannedStockIn": Decimal("10")}


def stock_decode(**extra: Any) -> Any:
    options = ExactOnlineOptions(base_url="http://127.0.0.1:9", division=123456, client_id="demo-client",
                                 client_secret="${EXACT_SECRET}", refresh_token="${EXACT_REFRESH}", **extra)
    return ExactOnline(options, environ=ENVIRON).resource("stock").decode


@pytest.mark.parametrize(("extra", "location", "available"), [
    ({"stock_warehouses": ["2"]}, "2", Decimal("3")),
    ({"stock_warehouses": {"2": "shop"}}, "shop", Decimal("3")),
    ({"stock_warehouses": ["1", "2"], "stock_sum_into": "all"}, "all", Decimal("3")),
    ({"stock_warehouses": ["2"], "stock_quantity": "on_hand"}, "2", Decimal("5")),
])
def test_a_stock_row_is_placed_and_counted_as_the_rules_say(extra: dict[str, Any], location: str,
                                                            available: Decimal) -> None:
    level = stock_decode(**extra)(ROW)
    assert (location, available) == (level.location, level.available)
    assert {"sku", "location", "on_hand", "reserved", "incoming", "available"} == level.model_fields_set


def test_a_summed_row_keeps_its_location_and_each_decode_is_its_own_level() -> None:
    decode = stock_decode(stock_warehouses={"2": "shop"})
    summed = decode({**ROW, "WarehouseCode": "elsewhere", "Summed": True})
    assert "elsewhere" == summed.location
    assert decode(ROW) is not decode(ROW)


def test_a_resource_bound_again_places_by_its_new_options() -> None:
    first = ExactOnline(ExactOnlineOptions(base_url="http://127.0.0.1:9", division=1, client_id="c",
                                           client_secret="${EXACT_SECRET}", refresh_token="${EXACT_REFRESH}",
                                           stock_warehouses={"2": "one"}), environ=ENVIRON)
    second = ExactOnline(ExactOnlineOptions(base_url="http://127.0.0.1:9", division=1, client_id="c",
                                            client_secret="${EXACT_SECRET}", refresh_token="${EXACT_REFRESH}",
                                            stock_warehouses={"2": "two"}), environ=ENVIRON)
    bound = first.resource("stock")
    assert "one" == bound.decode(ROW).location
    assert "two" == bound.bind(second).decode(ROW).location


def test_the_check_digit_is_stdnums() -> None:
    rng = random.Random(7)
    for _ in range(20_000):
        body = "".join(rng.choice("0123456789") for _ in range(rng.choice((7, 11, 12, 13))))
        assert ean.calc_check_digit(body) == _check_digit(body), body


def test_a_refused_currency_is_refused_every_time() -> None:
    for _ in range(2):
        with pytest.raises(ValidationError, match="ISO 4217"):
            Money.of("1", "EURO")
    assert "EUR" == Money.of("1", " eur ").currency == Money.of("1", "EUR").currency


def test_price_dates_read_as_days_and_a_refusal_every_time() -> None:
    row = {"ID": "p", "ItemCode": "MUG-1", "Price": Decimal("9.95"), "Currency": "EUR"}
    for _ in range(2):
        price = codec.price_in({**row, "StartDate": "/Date(1704067200000)/", "EndDate": ""})
        assert (date(2024, 1, 1), None) == (price.valid_from, price.valid_until)
        with pytest.raises(ValueError, match="Invalid isoformat"):
            codec.price_in({**row, "StartDate": "tomorrow"})
    moment = codec.price_in({**row, "StartDate": datetime(2024, 3, 1, 23, 30, tzinfo=UTC)})
    assert date(2024, 3, 1) == moment.valid_from


def test_sizes_keep_their_own_amounts_as_spelled() -> None:
    items = [{"Code": f"TSH-{size}", "Description": f"Shirt {size}", "StandardSalesPrice": price,
              "CostPriceStandard": Decimal("4.2"), "CostPriceCurrency": currency}
             for size, price, currency in (("S", Decimal("10.0"), "EUR"), ("M", Decimal("10.00"), "EUR"),
                                           ("L", Decimal("10.0"), "USD"), ("XL", 10.0, "EUR"))]
    product = codec.product_in({"Code": "TSH", "Items": items})
    held = {v.sku: (str(v.price.amount), v.cost_price.currency) for v in product.variants if v.price and v.cost_price}
    assert {"TSH-S": ("10.0", "EUR"), "TSH-M": ("10.00", "EUR"), "TSH-L": ("10.0", "USD"),
            "TSH-XL": ("10.0", "EUR")} == held
