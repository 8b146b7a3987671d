"""The invoice mail's text and its hand-over to a real SMTP server (aiosmtpd on loopback): the template's
content to the cent, template mistakes named by line, and what :func:`deliver` tells apart — refused before
the message (nothing sent) and lost after it (may have been sent). The flow that sends each invoice once is
``tests/e2e/test_invoice_mail.py``."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from tests.notify.test_alerts import Inbox, _free_port, smtp  # noqa: F401  (the fixture)
from tradewind.errors import ConfigError, OutcomeUnknown, RecordError, RejectedByTarget, TransientError
from tradewind.model import Customer, Invoice, InvoiceLine, InvoiceStatus, Money
from tradewind.notify.invoices import InvoiceTemplate
from tradewind.notify.mail import deliver
from tradewind.notify.mail_connector import Mail, MailOptions
from tradewind.notify.settings import MailSettings


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


def test_the_default_mail_names_the_invoice_lines_and_totals_to_the_cent() -> None:
    subject, body = InvoiceTemplate().render(invoice(), "shop@example.com")
    assert "Invoice F2026-0042" == subject
    assert "Dear Anna de Vries," in body
    assert "invoice F2026-0042 of 2026-03-30" in body and "order #1001" in body
    assert "     2 x Shirt, blue" in body and "EUR 36.00  VAT 21%" in body
    assert "     1 x Book" in body and "EUR 10.00  VAT 9%" in body
    assert "Subtotal (excl. VAT)" in body and "EUR 51.00" in body
    assert "EUR 9.51" in body and "Total" in body and "EUR 60.51" in body
    assert "Please pay EUR 60.51 by 2026-04-13, quoting F2026-0042." in body


def test_a_credit_note_is_told_as_one() -> None:
    credit = invoice("26000002", is_credit_note=True, lines=[InvoiceLine(
        sku="SHIRT", description="Shirt, blue", quantity=Decimal(-1), unit_price=eur("20.0000"), vat_rate=Decimal(21),
        net_amount=eur("-18.00"))], subtotal=eur("-18.00"), tax_total=eur("-3.78"), total=eur("-21.78"))
    subject, body = InvoiceTemplate().render(credit, "shop@example.com")
    assert "Credit note 26000002" == subject
    assert "Here is credit note 26000002 of 2026-03-30 for your order #1001." in body
    assert "We credit you EUR 21.78." in body and "Please pay" not in body


def test_the_users_own_template_and_subject(tmp_path: Path) -> None:
    template = tmp_path / "factuur.txt.j2"
    template.write_text("Beste {{ customer.name }},\n{% for l in lines %}{{ l.sku }} {{ l.net_amount|money }}\n"
                        "{% endfor %}Totaal {{ invoice.total|money }}, btw {{ invoice.tax_total.amount }}\n",
                        encoding="utf-8")
    subject, body = InvoiceTemplate(template, "Factuur {{ invoice.number }} van Voorbeeld BV").render(
        invoice(status=InvoiceStatus.PAID), "shop@example.com")
    assert "Factuur F2026-0042 van Voorbeeld BV" == subject
    assert "Beste Anna de Vries,\nSHIRT EUR 36.00\nBOOK EUR 10.00\nSHIP EUR 5.00\nTotaal EUR 60.51, btw 9.51\n" == body


def test_template_mistakes_are_named_by_line(tmp_path: Path) -> None:
    unknown = tmp_path / "bad.txt.j2"
    unknown.write_text("Hello\n{{ invoice.numbr }}\n", encoding="utf-8")
    broken = tmp_path / "broken.txt.j2"
    broken.write_text("Hello\n\n{% for line in lines %}{{ line.sku }}\n", encoding="utf-8")
    with pytest.raises(RecordError, match=r"bad\.txt\.j2 line 2: .*numbr") as failed:
        InvoiceTemplate(unknown).render(invoice(), "shop@example.com")
    assert ("template", "F2026-0042") == (failed.value.field, failed.value.record)
    with pytest.raises(ConfigError, match=r"broken\.txt\.j2 line 3: .*'endfor'"):
        InvoiceTemplate(broken)
    with pytest.raises(ConfigError, match="does not exist"):
        InvoiceTemplate(tmp_path / "missing.j2")


def test_options_refuse_a_broken_template_and_bad_addresses(tmp_path: Path) -> None:
    broken = tmp_path / "broken.txt.j2"
    broken.write_text("{% if invoice.number %}\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"broken\.txt\.j2 line 1"):
        MailOptions.model_validate({"from": "shop@example.com", "template": str(broken)})
    with pytest.raises(ValueError, match="not an e-mail address"):
        MailOptions.model_validate({"from": "shop", "bcc": ["archive@example.com"]})
    options = MailOptions.model_validate({"from": "Voorbeeld BV <shop@example.com>"})
    assert "Voorbeeld BV <shop@example.com>" == options.sender


def _message(to: str = "anna@example.com") -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "Shop <shop@example.com>", to, "Invoice 1"
    message.set_content("Dear Anna,\n")
    return message


def _settings(port: int) -> MailSettings:
    return MailSettings(recipients=(), host="127.0.0.1", port=port, sender="shop@example.com")


def test_deliver_hands_the_message_to_every_envelope_recipient(smtp: tuple[Inbox, int]) -> None:  # noqa: F811
    inbox, port = smtp
    deliver(_settings(port), _message(), ["anna@example.com", "archive@example.com"])
    [message] = inbox.messages
    assert ("anna@example.com", None) == (message["To"], message["Bcc"])  # the archive is in the envelope only


class Refusing(Inbox):
    """Refuses one recipient (550), as a server does for an address it does not know."""

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address.startswith("nobody@"):
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"


class Dropping(Inbox):
    """Takes the message, then drops the connection before answering: the sender cannot know."""

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        await super().handle_DATA(server, session, envelope)
        server.transport.abort()
        return "250 OK"


@pytest.fixture
def serve() -> Iterator[Any]:
    started: list[Controller] = []

    def start(handler: Inbox) -> int:
        controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
        controller.start()
        started.append(controller)
        return int(controller.port)

    yield start
    for controller in started:
        controller.stop()


def test_deliver_tells_nothing_sent_from_maybe_sent(serve: Any) -> None:
    refusing, dropping = Refusing(), Dropping()
    with pytest.raises(RejectedByTarget, match=r"refused the recipient nobody@example\.com: 550"):
        deliver(_settings(serve(refusing)), _message("nobody@example.com"), ["nobody@example.com"])
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        free = closed.getsockname()[1]
    with pytest.raises(TransientError, match="cannot be reached") as unreachable:
        deliver(_settings(free), _message(), ["anna@example.com"])
    assert not isinstance(unreachable.value, OutcomeUnknown)
    with pytest.raises(OutcomeUnknown, match="may have been sent"):
        deliver(_settings(serve(dropping)), _message(), ["anna@example.com"])
    assert ([], 1) == (refusing.messages, len(dropping.messages))


def test_the_connector_checks_its_template_and_server(smtp: tuple[Inbox, int], tmp_path: Path) -> None:  # noqa: F811
    inbox, port = smtp
    template = tmp_path / "bad.txt.j2"
    template.write_text("{{ invoice.numbr }}\n", encoding="utf-8")
    environ = {"TRADEWIND_NOTIFY_SMTP_HOST": "127.0.0.1", "TRADEWIND_NOTIFY_SMTP_PORT": str(port)}
    good = Mail(MailOptions.model_validate({"from": "shop@example.com"}), environ=environ)
    bad = Mail(MailOptions.model_validate({"from": "shop@example.com", "template": str(template)}),
               environ={**environ, "TRADEWIND_NOTIFY_SMTP_PORT": "1"})
    assert [("template", "ok"), ("smtp", "ok")] == [(c.name, c.status) for c in good.checks()]
    checked = list(bad.checks())
    assert [("template", "fail"), ("smtp", "fail")] == [(c.name, c.status) for c in checked]
    assert "bad.txt.j2 line 1" in checked[0].reason
    assert [] == inbox.messages
