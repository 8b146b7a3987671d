"""The stock tally in the store: per-SKU per-warehouse figures upserted, read back exactly."""

from __future__ import annotations

from decimal import Decimal

from tradewind.rules.stock import Part
from tradewind.store.db import Store
from tradewind.store.tally import StoreTally


def test_figures_are_upserted_per_warehouse_and_kept_exact(store: Store) -> None:
    tally = StoreTally(store)
    tally.put("exact_online:1@MAIN", [("BAG-01", Part("1", Decimal("7"), Decimal("2"))),
                                      ("BAG-01", Part("2", Decimal("5")))])
    tally.put("exact_online:1@MAIN", [("BAG-01", Part("2", Decimal("3.25")))])  # warehouse 2 again: replaced
    tally.put("exact_online:2@MAIN", [("BAG-01", Part("1", Decimal("99")))])  # another account: apart
    assert {"BAG-01": [Part("1", Decimal("7"), Decimal("2")), Part("2", Decimal("3.25"))]} == \
        StoreTally(store).parts("exact_online:1@MAIN", ["BAG-01", "CAP-02"])


def test_a_sku_longer_than_its_column_is_found_as_asked(store: Store) -> None:
    sku = "X" * 300
    StoreTally(store).put("s", [(sku, Part("1", Decimal("1")))])
    assert [sku] == list(StoreTally(store).parts("s", [sku]))
