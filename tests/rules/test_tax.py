from decimal import Decimal

from tradewind.model import Money
from tradewind.rules.tax import UNIT, gross_from_net, net_from_gross, rate_of, vat_of_net


def eur(amount: str) -> Money:
    return Money.of(amount, "EUR")


def test_net_from_gross_rounds_half_up_to_cents() -> None:
    assert eur("10.00") == net_from_gross(eur("12.10"), Decimal("21"))
    assert eur("9.17") == net_from_gross(eur("10.00"), Decimal("9"))  # 9.1743 → 9.17
    assert eur("0.42") == net_from_gross(eur("0.505"), Decimal("21"))  # 0.41735... → 0.42


def test_unit_prices_keep_four_decimals() -> None:
    assert eur("16.5207") == net_from_gross(eur("19.99"), Decimal("21"), quantum=UNIT)


def test_gross_and_vat_of_net() -> None:
    assert eur("12.10") == gross_from_net(eur("10.00"), Decimal("21"))
    assert eur("0.83") == vat_of_net(eur("9.17"), Decimal("9"))  # 0.8253 → 0.83
    assert eur("0.01") == vat_of_net(eur("0.05"), Decimal("21"))  # 0.0105 → 0.01
    assert eur("0.11") == vat_of_net(eur("0.50"), Decimal("21"))  # 0.105 → 0.11 (half up)


def test_rate_of_snaps_to_known_rates() -> None:
    assert Decimal("21") == rate_of(eur("2.10"), eur("10.00"))
    assert Decimal("21") == rate_of(eur("0.11"), eur("0.50"), candidates=[Decimal("9"), Decimal("21")])
    assert Decimal("22") == rate_of(eur("0.11"), eur("0.50"))  # without candidates the quotient decides
    assert Decimal("5.5") == rate_of(eur("0.55"), eur("10.00"))
    assert Decimal("0") == rate_of(eur("0.00"), eur("0.00"))
    assert "20" == str(rate_of(eur("2.00"), eur("10.00")))
