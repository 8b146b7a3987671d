"""The files connector over SFTP against the shared contract: the same suite as Shopify, Exact and
IP-Soft, with the seed laid out as files in the server's folder and an outage as dropped connections.

Two contract tests do not apply, and the class says so: SFTP has no rate limit to wait out, and a
file target holds no look-up of what it wrote (it writes whole files through ``write_many``);
instead, what is written is read back through the same resource here.
"""

from __future__ import annotations

import warnings
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar

from tests.connectors.files.harness import SftpHarness
from tradewind.connectors.base import Write
from tradewind.connectors.files import Files
from tradewind.connectors.files.options import FilesOptions
from tradewind.connectors.testing import ConnectorContract, SelfRefs
from tradewind.model import Customer, Entity, Money, Order, OrderLine, Price, Product, StockLevel, Variant

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import asyncssh

ENVIRON = {"FILES_SFTP_PASSWORD": "sandbox-password"}
SERVER_KEY = asyncssh.generate_private_key("ssh-ed25519")
READABLE = ("products", "prices", "stock", "customers", "orders")

HEADERS = {
    "products": "key,title,variants.sku,variants.price",
    "prices": "sku,price_list,amount",
    "stock": "sku,location,on_hand,available",
    "customers": "reference,name,email,phone",
    "orders": "number,created_at,customer.name,customer.email,lines.sku,lines.quantity,lines.unit_price,total",
}
FILES = {  # per resource, files of rows (consecutive rows of one key are one product's variants or order's lines)
    "products": {"products-1.csv": ["P-1,Shirt,P-1-S,10.00", "P-1,Shirt,P-1-M,10.00", "P-2,Pants,P-2,20.00",
                                    "P-3,Hat,P-3,5.00"],
                 "products-2.csv": ["P-4,Cap,P-4,7.50", "P-5,Scarf,P-5,12.00"]},
    "prices": {"prices-1.csv": ["P-2,default,20.00", "P-2,b2b,16.00", "P-3,default,5.00", "P-4,default,7.50"]},
    "stock": {"stock-1.csv": ["P-2,main,4,4", "P-3,main,0,0", "P-4,main,12,10"],
              "stock-2.csv": ["P-4,outlet,1,1", "P-5,main,3,3"]},
    "customers": {"customers-1.csv": ["C-1,Ann Smit,ann@example.com,+31 20 0000001",
                                      "C-2,Bo de Vries,bo@example.com,", "C-3,Cas Jansen,cas@example.com,"]},
    "orders": {"orders-1.csv": ["#1001,2026-05-01T09:00:00Z,Ann Smit,ann@example.com,P-2,1,20.00,27.50",
                                "#1001,2026-05-01T09:00:00Z,Ann Smit,ann@example.com,P-4,1,7.50,27.50",
                                "#1002,2026-05-02T10:30:00Z,Bo de Vries,bo@example.com,P-3,2,5.00,10.00"]},
}
CHANGES = {  # a later file bringing one record anew: (its row, its source id)
    "products": ("P-2,Pants (new),P-2,21.00", "P-2"),
    "prices": ("P-3,default,5.50", "P-3,default"),
    "stock": ("P-3,main,6,6", "P-3,main"),
    "customers": ("C-2,Bo de Vries,bo@example.com,+31 20 0000002", "bo@example.com"),
    "orders": ("#1002,2026-05-02T10:30:00Z,Bo de Vries,bo@example.com,P-3,3,5.00,15.00", "#1002"),
}


def csv_file(resource: str, rows: list[str]) -> str:
    return "\n".join([HEADERS[resource], *rows]) + "\n"


def eur(amount: str) -> Money:
    return Money.of(amount, "EUR")


class TestFiles(ConnectorContract):
    connector = Files
    environ: ClassVar[dict[str, str]] = ENVIRON
    expected_counts: ClassVar[dict[str, int]] = {"products": 5, "prices": 4, "stock": 5, "customers": 3, "orders": 2}
    roundtrip_fields: ClassVar[dict[str, list[str]]] = {
        "products": ["key", "title", "variants"], "prices": ["sku", "price_list", "amount"],
        "stock": ["sku", "location", "on_hand", "available"], "customers": ["name", "email", "phone"],
        "orders": ["number", "created_at", "currency", "lines", "total"]}
    rate_limited = False
    finds_what_it_creates = False

    def harness(self) -> SftpHarness:
        return SftpHarness(self.seed(), password=ENVIRON["FILES_SFTP_PASSWORD"], server_key=SERVER_KEY)

    def options(self, base_url: str) -> FilesOptions:
        settings: dict[str, Any] = {name: {"folder": name, "page_size": 2} for name in READABLE}
        return FilesOptions(location=base_url, password="${FILES_SFTP_PASSWORD}",  # type: ignore[arg-type]
                            host_key=SERVER_KEY.export_public_key().decode().strip(),
                            resources={**settings, "pick_lists": {"folder": "picks"}})

    def seed(self) -> dict[str, str]:
        """Files laid in the server's folder: ``resource/name.csv`` → text."""
        return {f"{resource}/{name}": csv_file(resource, rows)
                for resource, files in FILES.items() for name, rows in files.items()}

    def samples(self) -> dict[str, Entity]:
        order = Order(number="#2001", created_at=datetime(2026, 6, 1, 8, tzinfo=UTC), currency="EUR",
                      customer=Customer(name="Ann Smit", email="ann@example.com"),
                      lines=[OrderLine(sku="P-2", quantity=Decimal(2), unit_price=eur("20.00")),
                             OrderLine(sku="P-5", quantity=Decimal(1), unit_price=eur("12.00"))],
                      total=eur("52.00"))
        return {
            "products": Product(key="P-9", title="Belt", variants=[Variant(sku="P-9-S", price=eur("15.00")),
                                                                   Variant(sku="P-9-L", price=eur("16.50"))]),
            "prices": Price(sku="P-9-S", price_list="b2b", amount=eur("12.25")),
            "stock": StockLevel(sku="P-9-S", location="main", on_hand=Decimal(8), available=Decimal(7)),
            "customers": Customer(name="Dirk Bakker", email="dirk@example.com", phone="+31 30 0000009"),
            "orders": order,
            "pick_lists": order,
        }

    def change(self, sandbox_state: Any, resource: str) -> str:
        """A file dropped after the cursor's (names sort so) brings one record anew."""
        row, source_id = CHANGES[resource]
        file = Path(sandbox_state.root) / resource / f"{resource}-9.csv"
        file.write_text(csv_file(resource, [row]), encoding="utf-8")
        return source_id

    def invalid(self, resource: str) -> dict[str, Any] | None:
        """A folder refuses no record: what a file cannot hold fails in encode, before any write."""
        return None

    # -- files specifics ---------------------------------------------------------------------

    def test_what_is_written_reads_back(self, connection: Files, served: SftpHarness) -> None:
        """In place of create-then-find: a batch written is one complete file, read back as written."""
        for name, entity in self.samples().items():
            resource = connection.resource(name)
            assert resource.encode is not None
            write = Write(native=resource.encode(entity, SelfRefs(connection)), key=name)
            [result] = resource.write_many(connection.client, [write])
            assert result.error is None and result.record is not None, name
            if name not in READABLE:
                continue
            _, cursor = self.read_all(connection, resource)
            assert cursor is not None and cursor == result.record.id.split("#")[0].rsplit("/", 1)[-1], name
            found = [r for r in self.read_all(connection, resource)[0] if r.id == ",".join(
                resource.natural_keys_of(entity).values())]
            decoded = [resource.decode(r.data) for r in found if r.data["file"] == cursor]
            assert 1 == len(decoded), f"{name}: the record written is not in its file once"
            for field in self.roundtrip_fields[name]:
                assert getattr(entity, field) == getattr(decoded[0], field), f"{name}.{field} lost in the round trip"
        [picks] = (Path(served.sandbox.root) / "picks").iterdir()
        assert 3 == len(picks.read_text().splitlines())  # header and one row per order line
