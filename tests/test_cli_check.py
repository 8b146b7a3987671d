"""``tradewind check`` against the sandboxes over loopback: sign-in, VAT codes for the rates the
booking uses (a division without a code warns naming rate and country), configured items and
warehouses (missing ones fail, exit 1), a refused sign-in fails the connection."""

from __future__ import annotations

from typing import Any

import pytest
from typer.testing import CliRunner

from tests.e2e.slice import World
from tradewind.cli import app
from tradewind.engine.check import Finding, check_project
from tradewind.engine.project import load_project
from tradewind.engine.services import Services
from tradewind.sandboxes.project import sandbox_project
from tradewind.store.db import Store

runner = CliRunner()
BOOKING = {"time_zone": "Europe/Amsterdam", "vat_codes": [{"code": "0", "rate": 0},
                                                          {"code": "5", "rate": 0, "kind": "reverse_charge"}]}


pytestmark = pytest.mark.usefixtures("wide_console")


@pytest.fixture
def world(cli_world: World) -> World:
    return cli_world


def rewrite(world: World, store: Store, **exact_options: Any) -> Services:
    """The world's project with these options on the Exact connection."""
    world.project_path.write_text(sandbox_project(world.exact.url, world.shop.url, prefix="E2E",
                                                  exact_options=exact_options))
    return Services.open(load_project(world.project_path), store)


def by_check(findings: list[Finding]) -> dict[tuple[str, str], tuple[str, str]]:
    return {(f.connection, f.check): (f.status, f.reason) for f in findings}


def test_the_sandbox_project_passes_with_every_check_listed(world: World) -> None:
    result = runner.invoke(app, ["check"])
    assert 0 == result.exit_code, result.output
    rows = [line.split("│") for line in result.output.splitlines() if line.count("│") == 5]
    table = {(r[1].strip(), r[2].strip()): (r[3].strip(), r[4].strip()) for r in rows}
    assert ("ok", "signed in as Sandbox User; division 123456") == table[("erp", "authentication")]
    assert ("ok", "item 'SHIP' exists") == table[("erp", "shipping_item")]
    assert ("ok", "item 'DISC' exists") == table[("erp", "discount_item")]
    assert ("ok", "warehouse '1' exists") == table[("erp", "stock_warehouses[0]")]
    assert ("ok", "shop Demo Shop") == table[("shop", "authentication")]
    assert "ok" == table[("shop", "locations")][0]
    assert "warn" == table[("shop", "taxes_included")][0]  # the demo project says net, the sandbox shop gross
    assert "8 ok, 1 warning(s), 0 failure(s)" in result.output


def test_a_division_without_a_code_for_a_rate_warns_naming_rate_and_country(world: World,
                                                                          sqlite_store: Store) -> None:
    services = rewrite(world, sqlite_store, booking=BOOKING)
    division = world.exact.sandbox
    for row in division.tables["VATCodes"].values():
        if row["Code"] == "1":  # 9%, the Dutch reduced rate
            row["IsBlocked"] = True
    found = by_check(check_project(services))
    status, reason = found[("erp", "VAT codes NL (domestic)")]
    assert "warn" == status
    assert reason.startswith("no domestic VAT code for 9% in NL")
    assert ("ok", "every NL rate has a domestic code") not in found.values()
    status, reason = found[("erp", "VAT codes (OSS)")]
    assert "warn" == status and "no OSS VAT codes at all" in reason and "AT 20%, 13%, 10%" in reason
    assert "warn" == found[("erp", "VAT codes (export)")][0]
    assert not any(status == "fail" for status, _ in found.values())
    result = runner.invoke(app, ["check", "erp"])
    assert 0 == result.exit_code, result.output
    assert "no domestic VAT code for 9% in NL" in result.output and "│ shop" not in result.output


def test_oss_codes_named_per_country_leave_only_the_missing_countries(world: World, sqlite_store: Store) -> None:
    codes = [*BOOKING["vat_codes"], {"code": "E0", "rate": 0, "kind": "export"}]
    codes += [{"code": f"DE{rate}", "rate": rate, "kind": "oss", "country": "DE"} for rate in (19, 7)]
    services = rewrite(world, sqlite_store, booking={**BOOKING, "vat_codes": codes})
    found = by_check(check_project(services))
    assert ("ok", "every NL rate has a domestic code") == found[("erp", "VAT codes NL")]
    assert ("erp", "VAT codes DE (oss)") not in found
    assert ("warn", "no oss VAT code for 20%, 13%, 10% in AT") == found[("erp", "VAT codes AT (oss)")]
    assert ("warn", "no oss VAT code for 21%, 12%, 6% in BE") == found[("erp", "VAT codes BE (oss)")]
    assert ("erp", "VAT codes (export)") not in found
    off = rewrite(world, sqlite_store, booking={**BOOKING, "oss": False, "vat_codes": codes})
    assert not [f for f in check_project(off) if "oss" in f.check.lower()]


def test_missing_items_and_warehouses_fail_and_exit_1(world: World, sqlite_store: Store) -> None:
    rewrite(world, sqlite_store, booking={**BOOKING, "rounding_item": "RND"}, warehouse="9")
    text = world.project_path.read_text()
    world.project_path.write_text(text.replace('stock_warehouses: ["1"]', 'stock_warehouses: ["1", "2", "7"]'))
    result = runner.invoke(app, ["check"])
    assert 1 == result.exit_code, result.output
    out = result.output
    assert "item 'RND' does not exist in the division; orders using it fail" in out
    assert "warehouse '9' does not exist in the division (codes: 1, 2)" in out
    assert "warehouse '7' does not exist" in out and "warehouse '2' exists" in out
    assert "3 failure(s)" in out


def test_a_refused_sign_in_fails_the_connection(world: World, sqlite_store: Store,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("E2E_SHOPIFY_TOKEN", "shpat_wrong")
    monkeypatch.setenv("E2E_EXACT_REFRESH_TOKEN", "not-the-token")
    services = Services.open(load_project(world.project_path), sqlite_store)
    found = check_project(services)
    assert [("erp", "authentication", "fail"), ("shop", "authentication", "fail")] == [
        (f.connection, f.check, f.status) for f in found]
    assert all(f.reason for f in found)


def test_unknown_connection_is_refused(world: World) -> None:
    result = runner.invoke(app, ["check", "nope"])
    assert 1 == result.exit_code and "no connection named 'nope'" in result.output


def test_shop_locations_named_in_the_options_must_be_active(world: World, sqlite_store: Store) -> None:
    text = world.project_path.read_text()
    named = '    taxes_included: false\n    locations: {"1": "Shop location", "2": "Nowhere"}'
    world.project_path.write_text(text.replace("    taxes_included: false", named))
    found = by_check(check_project(Services.open(load_project(world.project_path), sqlite_store)))
    assert ("ok", "location 'Shop location' is active") == found[("shop", "locations.1")]
    assert ("fail", "no active location 'Nowhere'; active: Shop location") == found[("shop", "locations.2")]


def test_methods_paid_at_once_warn_unless_invoices_are_processed_and_need_a_journal(world: World,
                                                                                     sqlite_store: Store) -> None:
    """Only a processed invoice has a receivable a payment can settle: a map with methods paid at once warns
    for every booking type but ``direct_invoice`` (docs/refunds-and-invoices.md); a paid method without a bank
    journal fails, as every order it pays would."""
    paid = {"methods": {"ideal": {"paid": True, "journal": "20", "condition": "IB"}, "banktransfer": {"days": 14},
                        "paypal": {"paid": True, "journal": "21", "condition": "PP"}}}
    for booking_type in ("sales_invoice", "sales_order", "sales_entry"):
        open_ = rewrite(world, sqlite_store, booking={**BOOKING, "booking_type": booking_type, "journal": "70",
                                                      "payments": paid})
        status, reason = by_check(check_project(open_, ["erp"]))[("erp", "booking.payments")]
        assert "warn" == status, (booking_type, reason)
        assert reason.startswith(f"ideal, paypal are paid at once, but booking_type {booking_type} ") and \
               "their payments are not registered" in reason and "booking_type: direct_invoice" in reason, reason
    direct = rewrite(world, sqlite_store, booking={**BOOKING, "booking_type": "direct_invoice", "journal": "70",
                                                   "payments": paid})
    assert ("ok", "ideal (bank journal 20), paypal (bank journal 21) are registered as paid when their direct "
                  "invoice is processed") == by_check(check_project(direct, ["erp"]))[("erp", "booking.payments")]
    no_journal = {"methods": {"ideal": {"paid": True, "condition": "IB"}}}
    lacking = rewrite(world, sqlite_store, booking={**BOOKING, "booking_type": "direct_invoice", "journal": "70",
                                                    "payments": no_journal})
    status, reason = by_check(check_project(lacking, ["erp"]))[("erp", "booking.payments")]
    assert "fail" == status and "booking.payments.methods.ideal.journal" in reason, reason
    terms_only = rewrite(world, sqlite_store, booking={**BOOKING, "booking_type": "sales_invoice", "journal": "70",
                                                       "payments": {"methods": {"banktransfer": {"days": 14}}}})
    assert ("erp", "booking.payments") not in by_check(check_project(terms_only, ["erp"]))
