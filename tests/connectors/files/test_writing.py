"""Writing files: atomic (a hidden temporary name, then a rename), fenced, one file per batch, XML
round trip, and pick lists from the Shopify sandbox's orders onto the SFTP server."""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.connectors.files.conftest import OpenFiles
from tradewind.connectors.base import Write
from tradewind.connectors.http import write_fence
from tradewind.engine.project import load_project
from tradewind.engine.services import Services
from tradewind.errors import LeaseLost
from tradewind.model import Order, Product
from tradewind.sandboxes import shopify  # the package; its __init__ re-exports create_app
from tradewind.sandboxes._serve import Served
from tradewind.sandboxes.sftp import SftpSandbox
from tradewind.sandboxes.shopify_data import random_order
from tradewind.store.db import Store


def order(number: str, *lines: tuple[str, int]) -> Order:
    return Order.model_validate({
        "number": number, "created_at": datetime(2026, 5, 1, 9, tzinfo=UTC), "currency": "EUR",
        "customer": {"name": "Ann Smit", "email": "ann@example.com"}, "total": {"amount": "30", "currency": "EUR"},
        "shipping_address": {"name": "Ann Smit", "line1": "Kade 1", "postcode": "1011 AA", "city": "Amsterdam",
                             "country": "NL"},
        "lines": [{"sku": sku, "quantity": qty, "title": f"Article {sku}",
                   "unit_price": {"amount": "10.00", "currency": "EUR"}} for sku, qty in lines]})


@contextmanager
def fence(called: Any) -> Iterator[None]:
    token = write_fence.set(called)
    try:
        yield
    finally:
        write_fence.reset(token)


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_a_file_appears_complete_under_its_name_only_after_its_temporary_copy(drop: tuple[Path, OpenFiles]) -> None:
    root, open_files = drop
    files = open_files(pick_lists={"folder": "out", "output": "picks-{uid}.csv"})
    res = files.resource("pick_lists")
    natives = [res.encode(order("#1001", ("A-1", 2), ("A-2", 1)), None), res.encode(order("#1002", ("B-1", 5)), None)]
    seen: list[list[str]] = []
    with fence(lambda: seen.append(listing(root / "out"))):
        results = res.write_many(files.client, [Write(native=n, key=f"number=#{i}") for i, n in enumerate(natives)])
    final = listing(root / "out")
    assert 1 == len(final) and final[0].startswith("picks-") and final[0].endswith(".csv")
    assert [] == seen[0] and 1 == len(seen[-1]), seen  # the fence is asked before each step; last, the rename
    temp = seen[-1][0]
    assert temp.startswith(f".{final[0]}.") and temp.endswith(".part")
    rows = list(csv.DictReader(io.StringIO((root / "out" / final[0]).read_text())))
    assert [("#1001", "A-1", "2"), ("#1001", "A-2", "1"), ("#1002", "B-1", "5")] == \
        [(r["number"], r["lines.sku"], r["lines.quantity"]) for r in rows]
    assert {"Kade 1"} == {r["shipping_address.line1"] for r in rows}
    assert all(r.record is not None and r.record.id.startswith(f"out/{final[0]}#") for r in results)


def test_a_run_that_lost_its_lease_writes_no_file(drop: tuple[Path, OpenFiles]) -> None:
    root, open_files = drop
    files = open_files(pick_lists={"folder": "out"})
    res = files.resource("pick_lists")

    def lost() -> None:
        raise LeaseLost("another run took the flow over")

    with fence(lost), pytest.raises(LeaseLost):
        res.write_many(files.client, [Write(native=res.encode(order("#1", ("A", 1)), None), key="number=#1")])
    assert [] == listing(root / "out")


def test_orders_written_as_xml_read_back_the_same(drop: tuple[Path, OpenFiles]) -> None:
    _, open_files = drop
    layout = {"folder": "x", "xml": {"record": "Order", "lines": "Lines/Line", "root": "Orders"},
              "fields": {"@number": "number", "Date": "created_at", "Customer/Name": "customer.name",
                         "Total": "total", "Sku": "lines.sku", "Qty": "lines.quantity", "Price": "lines.unit_price"}}
    files = open_files(format="xml", orders=layout)
    res = files.resource("orders")
    originals = [order("#7", ("A-1", 2), ("A-2", 1)), order("#8", ("C-3", 4))]
    res.write_many(files.client, [Write(native=res.encode(o, None), key=o.number) for o in originals])
    back = [res.decode(r.data) for page in res.pages(files.client, None) for r in page.records]
    assert [(o.number, [(li.sku, li.quantity) for li in o.lines]) for o in originals] == \
        [(o.number, [(li.sku, li.quantity) for li in o.lines]) for o in back]
    assert originals[0].customer.name == back[0].customer.name


def test_products_write_one_row_per_variant(drop: tuple[Path, OpenFiles]) -> None:
    root, open_files = drop
    files = open_files(products={"folder": "cat", "csv": {"delimiter": ";"}, "encoding": "cp1252"})
    res = files.resource("products")
    product = Product.model_validate({"key": "TEE", "title": "Tée", "variants": [
        {"sku": "TEE-S", "price": {"amount": "9.95", "currency": "EUR"}}, {"sku": "TEE-M"}]})
    res.write_many(files.client, [Write(native=res.encode(product, None), key="key=TEE")])
    text = next((root / "cat").iterdir()).read_bytes().decode("cp1252")
    assert "key;title;variants.sku;variants.ean;variants.price\r\nTEE;Tée;TEE-S;;9.95\r\nTEE;Tée;TEE-M;;\r\n" == text


def test_pick_lists_from_shopify_orders_land_on_the_sftp_server(
        tmp_path: Path, sqlite_store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "sftp"
    root.mkdir()
    with Served(shopify.create_app(bucket_size=None)) as shop, SftpSandbox(root) as sftp:
        rng = random.Random(3)
        placed = [shop.sandbox.add_order(random_order({"A-1": "10.00", "B-2": "4.50", "C-3": "7.25"}, rng=rng))
                  for _ in range(3)]
        monkeypatch.setenv("T_SHOPIFY_TOKEN", "shpat_demo")
        monkeypatch.setenv("T_SFTP_PASSWORD", sftp.password)
        project = tmp_path / "tradewind.yaml"
        project.write_text(f"""connections:
  shop: {{connector: shopify, shop: demo.myshopify.com, base_url: "{shop.url}", token: "${{T_SHOPIFY_TOKEN}}"}}
  warehouse:
    connector: files
    location: "{sftp.url}"
    password: "${{T_SFTP_PASSWORD}}"
    host_key: "{sftp.host_key}"
    resources:
      pick_lists: {{folder: picking, output: "picklist-{{now:%Y%m%d}}-{{uid}}.csv", csv: {{delimiter: ";"}}}}
flows:
  pick_lists:
    from: shop.orders
    to: warehouse.pick_lists
    write: create
""")
        services = Services.open(load_project(project), sqlite_store)
        first = services.run_flow("pick_lists")
        second = services.run_flow("pick_lists")
    written = sorted((root / "picking").iterdir())
    assert 1 == len(written) and written[0].name.startswith("picklist-")
    rows = list(csv.DictReader(io.StringIO(written[0].read_text()), delimiter=";"))
    expected = sorted((o["name"], li["sku"], str(li["quantity"])) for o in placed for li in o["line_items"])
    assert expected == sorted((r["number"], r["lines.sku"], r["lines.quantity"]) for r in rows)
    assert all(r["shipping_address.line1"] and r["shipping_address.city"] for r in rows)
    assert 3 == first.counts["created"] and 0 == second.counts.get("created", 0)
