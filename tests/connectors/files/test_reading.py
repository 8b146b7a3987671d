"""Reading CSV and XML files, locally and over SFTP: encodings, delimiters, bad rows, pages, cursor."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.connectors.files.conftest import OpenFiles, put
from tradewind.connectors.base import Page
from tradewind.errors import RecordError

PRODUCTS = {"folder": "in", "pattern": "*.csv", "csv": {"delimiter": ";"}, "decimal": ",", "encoding": "cp1252",
            "fields": {"Artikel": "variants.sku", "Omschrijving": "title", "Prijs": "variants.price"}}


def read(files: Any, resource: str, since: str | None = None) -> list[Page]:
    return list(files.resource(resource).pages(files.client, since))


def decoded(files: Any, resource: str, pages: list[Page]) -> dict[str, Any]:
    """Each record's entity, or the message of its RecordError."""
    res = files.resource(resource)
    out: dict[str, Any] = {}
    for page in pages:
        for record in page.records:
            try:
                out[record.id] = res.decode(record.data)
            except RecordError as error:
                out[record.id] = error.message
    return out


def test_csv_in_cp1252_with_semicolons_and_decimal_commas(drop: tuple[Path, OpenFiles]) -> None:
    root, open_files = drop
    put(root, "in/products-1.csv",
        "Artikel;Omschrijving;Prijs\r\nA-1;Crème brûlée set;12,50\r\nA-2;\"Mok; groot\";3\r\n", encoding="cp1252")
    files = open_files(products=PRODUCTS)
    found = decoded(files, "products", read(files, "products"))
    assert ["A-1", "A-2"] == list(found)
    assert "Crème brûlée set" == found["A-1"].title
    assert Decimal("12.50") == found["A-1"].variants[0].price.amount
    assert "Mok; groot" == found["A-2"].title


def test_csv_without_header_names_its_columns(drop: tuple[Path, OpenFiles]) -> None:
    root, open_files = drop
    put(root, "stock.txt", "A-1\tmain\t7\nA-2\tmain\t0\n")
    files = open_files(stock={"pattern": "*.txt", "csv": {"delimiter": "\t", "header": False,
                                                          "columns": ["sku", "location", "on_hand"]}})
    found = decoded(files, "stock", read(files, "stock"))
    assert {"A-1,main": Decimal(7), "A-2,main": Decimal(0)} == {k: v.on_hand for k, v in found.items()}


def test_a_bad_row_fails_alone_naming_file_and_line(drop: tuple[Path, OpenFiles]) -> None:
    root, open_files = drop
    put(root, "in/products-2.csv", "Artikel;Omschrijving;Prijs\nA-1;Shirt;10\nA-2;Pants\nA-3;Hat;abc\nA-4;Cap;5\n"
        "A-1;Shirt again;11\n", encoding="cp1252")
    files = open_files(products=PRODUCTS)
    found = decoded(files, "products", read(files, "products"))
    assert "products-2.csv line 3: 2 fields where the header has 3" == found["products-2.csv:3"]
    assert "products-2.csv line 4, column Prijs: cannot read 'abc' as a decimal amount" == found["A-3"]
    assert found["products-2.csv:6"].startswith("products-2.csv line 6: repeats A-1 of line 2")
    assert ["Shirt", "Cap"] == [found["A-1"].title, found["A-4"].title]


def test_a_file_is_several_pages_and_only_its_last_carries_cursor_and_callback(drop: tuple[Path, OpenFiles]) -> None:
    root, open_files = drop
    put(root, "in/a.csv", "Artikel;Omschrijving;Prijs\n" + "".join(f"S-{i};T {i};1\n" for i in range(5)))
    put(root, "in/b.csv", "Artikel;Omschrijving;Prijs\nS-9;T 9;1\n")
    files = open_files(products={**PRODUCTS, "page_size": 2, "encoding": None})
    pages = read(files, "products")
    assert [2, 2, 1, 1] == [len(p.records) for p in pages]
    assert [None, None, "a.csv", "b.csv"] == [p.cursor for p in pages]
    assert [False, False, True, True] == [p.durable is not None for p in pages]
    assert ["b.csv"] == [p.cursor for p in read(files, "products", since="a.csv")]


def test_xml_orders_with_lines_attributes_and_declared_encoding(drop: tuple[Path, OpenFiles]) -> None:
    root, open_files = drop
    xml = """<?xml version="1.0" encoding="ISO-8859-1"?>
<Orders>
  <Order number="1001">
    <Date>2026-05-01T10:00:00</Date>
    <Customer><Name>Zoë Müller</Name><Email>zoe@example.com</Email></Customer>
    <Total>25.00</Total>
    <Lines>
      <Line><SKU>A-1</SKU><Qty>2</Qty><Price>10.00</Price></Line>
      <Line><SKU>A-2</SKU><Qty>1</Qty><Price>5.00</Price></Line>
    </Lines>
  </Order>
  <Order number="1002"><Date>not a date</Date></Order>
</Orders>
"""
    put(root, "orders/o.xml", xml, encoding="iso-8859-1")
    files = open_files(format="xml", orders={
        "folder": "orders", "timezone": "Europe/Amsterdam",
        "xml": {"record": "Order", "lines": "Lines/Line"},
        "fields": {"@number": "number", "Date": "created_at", "Customer/Name": "customer.name",
                   "Customer/Email": "customer.email", "Total": "total", "SKU": "lines.sku",
                   "Qty": "lines.quantity", "Price": "lines.unit_price"}})
    found = decoded(files, "orders", read(files, "orders"))
    order = found["1001"]
    assert "Zoë Müller" == order.customer.name
    assert [("A-1", Decimal(2)), ("A-2", Decimal(1))] == [(line.sku, line.quantity) for line in order.lines]
    assert "2026-05-01T08:00:00+00:00" == order.created_at.isoformat()
    assert "o.xml line 12, column Date: Invalid isoformat string: 'not a date'" == found["1002"]


def test_malformed_xml_fails_from_its_line_and_hostile_entities_are_not_expanded(
        drop: tuple[Path, OpenFiles]) -> None:
    root, open_files = drop
    secret = root / "secret.txt"
    secret.write_text("TOP-SECRET")
    put(root, "p.xml", f"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY x SYSTEM "file://{secret}">]>
<Records>
  <Record><sku>A-1</sku><title>&x;</title></Record>
  <Record><sku>A-2</sku><title>ok</title>
</Records>
""")
    files = open_files(format="xml", products={"pattern": "p.xml", "failed": "failed",
                                               "fields": {"sku": "variants.sku", "title": "title"}})
    pages = read(files, "products")
    found = decoded(files, "products", pages)
    assert all("TOP-SECRET" not in str(value) for value in found.values())
    problems = [v for v in found.values() if isinstance(v, str)]
    assert 1 == len(problems) and problems[0].startswith("p.xml line 6: not well-formed XML")
    assert pages[-1].durable is not None
    pages[-1].durable()
    assert (root / "failed" / "p.xml").exists() and not (root / "p.xml").exists()


@pytest.mark.parametrize("order_by", ["name", "mtime"])
def test_files_are_read_in_a_stable_order(drop: tuple[Path, OpenFiles], order_by: str) -> None:
    root, open_files = drop
    import os
    for index, name in enumerate(["c.csv", "a.csv", "b.csv"]):
        file = put(root, name, "sku,location,on_hand\nX,main,1\n".replace("X", name[0]))
        os.utime(file, (1_700_000_000 + index, 1_700_000_000 + index))
    files = open_files(stock={"pattern": "*.csv", "order_by": order_by})
    names = [p.cursor.rsplit(" ", 1)[-1] for p in read(files, "stock") if p.cursor]
    assert (["a.csv", "b.csv", "c.csv"] if order_by == "name" else ["c.csv", "a.csv", "b.csv"]) == names
