"""The invoice mail against a real SMTP server (aiosmtpd on loopback), its send log in a real store
(SQLite and PostgreSQL): the template's content arrives to the cent, and no invoice is mailed twice."""

from __future__ import annotations

import smtplib
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.notify.test_alerts import Inbox, smtp  # noqa: F401  (the fixture)
from tradewind.engine.binder import Binder
from tradewind.errors import ConfigError, RecordError
from tradewind.model import Customer, Invoice, InvoiceLine, InvoiceStatus, Money
from tradewind.notify.invoices import InvoiceMailer, InvoiceMailOptions, Outcome
from tradewind.notify.settings import MailSettings
from tradewind.store.db import Store


def eur(amount: str) -> Money:
    return Money.of(amount, "EUR")


def invoice(number: str = "F2026-0042", **values: Any) -> Invoice:
    base: dict[str, Any] = {
        "number": number, "order_number": "#1001", "issued_on": date(2026, 3, 30), "due_on": date(2026, 4, 13),
        "currency": "EUR", "customer": Customer(name="Anna de Vries", email="anna@example.com"),
        "lines": [
            InvoiceLine(sku="SHIRT", description="Shirt, blue", quantity=Decimal(2), unit_price=eur("20.0000"),
                        vat_rate=Decimal(21), net_amount=eur("36.00")),
            InvoiceLine(sku="BOOK", description="Book", quantity=Decimal(1), unit_price=eur("10.0000"),
                        vat_rate=Decimal(9), net_amount=eur("10.00")),
            InvoiceLine(sku="SHIP", description="PostNL", quantity=Decimal(1), unit_price=eur("5.00"),
                        vat_rate=Decimal(21), net_amount=eur("5.00")),
        ],
        "subtotal": eur("51.00"), "tax_total": eur("9.51"), "total": eur("60.51")}
    base.update(values)
    return Invoice(**base)


def mailer(store: Store, port: int, **options: Any) -> InvoiceMailer:
    settings = MailSettings(recipients=(), host="127.0.0.1", port=port, sender="shop@example.com")
    return InvoiceMailer(store, settings, InvoiceMailOptions(**options), connection="erp")


def test_the_default_mail_names_the_invoice_lines_and_totals_to_the_cent(store: Store,
                                                                       smtp: tuple[Inbox, int]) -> None:  # noqa: F811
    inbox, port = smtp
    sent = mailer(store, port, bcc=["archive@example.com"]).send(invoice())
    assert Outcome.SENT == sent.outcome
    [message] = inbox.messages
    assert ("Invoice F2026-0042", "anna@example.com, archive@example.com", "shop@example.com") == (
        message["Subject"], message["To"], message["From"])
    assert sent.message_id == message["Message-ID"]
    body = message.get_content()
    assert "Dear Anna de Vries," in body
    assert "invoice F2026-0042 of 2026-03-30" in body and "order #1001" in body
    assert "     2 x Shirt, blue" in body and "EUR 36.00  VAT 21%" in body
    assert "     1 x Book" in body and "EUR 10.00  VAT 9%" in body
    assert "Subtotal (excl. VAT)" in body and "EUR 51.00" in body
    assert "EUR 9.51" in body and "Total" in body and "EUR 60.51" in body
    assert "Please pay EUR 60.51 by 2026-04-13, quoting F2026-0042." in body


def test_the_users_own_template_and_subject(store: Store, smtp: tuple[Inbox, int], tmp_path: Path) -> None:  # noqa: F811
    inbox, port = smtp
    template = tmp_path / "factuur.txt.j2"
    template.write_text("Beste {{ customer.name }},\n{% for l in lines %}{{ l.sku }} {{ l.net_amount|money }}\n"
                        "{% endfor %}Totaal {{ invoice.total|money }}, btw {{ invoice.tax_total.amount }}\n",
                        encoding="utf-8")
    mailer(store, port, template=template, subject="Factuur {{ invoice.number }} van Voorbeeld BV").send(
        invoice(status=InvoiceStatus.PAID))
    [message] = inbox.messages
    assert "Factuur F2026-0042 van Voorbeeld BV" == message["Subject"]
    assert "Beste Anna de Vries,\nSHIRT EUR 36.00\nBOOK EUR 10.00\nSHIP EUR 5.00\nTotaal EUR 60.51, btw 9.51\n" \
        == message.get_content().replace("\r\n", "\n")


def test_no_invoice_is_mailed_twice(store: Store, smtp: tuple[Inbox, int]) -> None:  # noqa: F811
    inbox, port = smtp
    first = mailer(store, port).send(invoice())
    again = mailer(store, port).send(invoice(total=eur("60.51")))  # another process, same store: same send log
    other = mailer(store, port).send(invoice("F2026-0043"))
    assert (Outcome.SENT, Outcome.ALREADY_SENT, Outcome.SENT) == (first.outcome, again.outcome, other.outcome)
    assert first.message_id == again.message_id
    assert ["Invoice F2026-0042", "Invoice F2026-0043"] == [m["Subject"] for m in inbox.messages]
    [logged] = Binder(store).search(connection="mail", entity="invoice", text="F2026-0042")
    assert ("erp", "F2026-0042", first.message_id, "bound") == (
        logged.source_connection, logged.source_id, logged.target_id, logged.state)


def test_a_mail_whose_fate_is_unknown_is_not_sent_again(store: Store, smtp: tuple[Inbox, int]) -> None:  # noqa: F811
    inbox, port = smtp

    def lost(*args: Any, **kwargs: Any) -> None:
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")

    broken = mailer(store, port)
    broken.send_mail = lost
    with pytest.raises(RecordError, match="may or may not have been sent"):
        broken.send(invoice())
    assert Outcome.UNSETTLED == mailer(store, port).send(invoice()).outcome
    assert [] == inbox.messages


def test_a_refused_mail_leaves_no_trace_and_is_sent_next_time(store: Store, smtp: tuple[Inbox, int]) -> None:  # noqa: F811
    inbox, port = smtp
    with pytest.raises(RecordError, match="refused"):
        mailer(store, 1).send(invoice())  # nothing listens on port 1: connection refused
    assert Outcome.SENT == mailer(store, port).send(invoice()).outcome
    assert 1 == len(inbox.messages)


def test_template_mistakes_and_missing_addresses_are_named(store: Store, smtp: tuple[Inbox, int],  # noqa: F811
                                                           tmp_path: Path) -> None:
    inbox, port = smtp
    template = tmp_path / "bad.txt.j2"
    template.write_text("Hello\n{{ invoice.numbr }}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"bad\.txt\.j2 line 2"):
        mailer(store, port, template=template).send(invoice())
    with pytest.raises(ConfigError, match="does not exist"):
        mailer(store, port, template=tmp_path / "missing.j2")
    with pytest.raises(RecordError, match="no e-mail address"):
        mailer(store, port).send(invoice(customer=Customer(name="Guest")))
    assert [] == inbox.messages
    assert Outcome.SENT == mailer(store, port).send(invoice()).outcome  # the failed render left no send-log entry
