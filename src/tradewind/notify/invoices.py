"""The invoice e-mail to the customer: the user's own Jinja2 template, sent once per invoice.

The send log is the binder's ledger (``engine/binder.py``), so it is durable, shared by every process
on the store, and visible (with "forget" to send again) where every other binding is: each invoice
mailed is a binding from the ERP connection's invoice to the ``mail`` target, with the Message-ID as
its target id. The order of steps is the run loop's: the intent is kept (``pend``) before the mail
is handed to the SMTP server and the result right after (``bind``), so

* an invoice already bound is never mailed again (:attr:`Outcome.ALREADY_SENT`);
* a mail whose fate is unknown (the server went away after the message was handed over) stays
  ``unknown`` and is not sent again by guess (:attr:`Outcome.UNSETTLED`): a customer gets one invoice
  mail or, after someone forgets the binding, a second one on purpose — never two by accident;
* a mail the server refused before taking it leaves no trace, and is tried again next time.

Templates see ``invoice`` (:class:`~tradewind.model.Invoice`), ``customer``, ``lines``, ``sender``
and the ``money`` filter (``EUR 60.51``); the default is ``templates/invoice.txt.j2`` beside this
module. A template that names an unknown value fails the mail with the template's line, never
sends half a mail.
"""

from __future__ import annotations

import smtplib
import traceback
from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import Decimal
from email.utils import make_msgid
from enum import StrEnum
from pathlib import Path

import jinja2
import structlog
from jinja2.sandbox import SandboxedEnvironment
from pydantic import BaseModel, ConfigDict, Field

from tradewind.engine.binder import Binder, Intent, Pair, Result
from tradewind.errors import ConfigError, RecordError
from tradewind.model import Invoice, Money, content_hash
from tradewind.notify import mail
from tradewind.notify.settings import MailSettings
from tradewind.store.db import Store

log = structlog.get_logger("tradewind.notify")

MAIL_TARGET = "mail"
"""The target connection name of invoice mails in the send log (bindings)."""
DEFAULT_TEMPLATE = "invoice.txt.j2"
SendMail = Callable[..., None]
"""``mail.send``'s shape: (settings, subject, body, *, message_id)."""
_NOT_SENT = (ConnectionRefusedError, smtplib.SMTPConnectError, smtplib.SMTPRecipientsRefused,
             smtplib.SMTPSenderRefused, smtplib.SMTPHeloError, smtplib.SMTPAuthenticationError)
"""Refusals before the message was handed over: nothing reached the customer, so it may be sent again."""


class InvoiceMailOptions(BaseModel):
    """The ``invoice_mail`` options of an invoices flow."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    template: Path | None = Field(default=None, description="Your Jinja2 template for the mail's body (a path); "
                                                             "default: tradewind's plain-text invoice mail")
    subject: str = Field(default="Invoice {{ invoice.number }}", description="The subject, itself a template")
    sender: str | None = Field(default=None, description="From address; default: the SMTP settings' sender")
    bcc: list[str] = Field(default_factory=list, description="Also sent to these addresses (your own archive)")


class Outcome(StrEnum):
    SENT = "sent"
    ALREADY_SENT = "already_sent"
    UNSETTLED = "unsettled"


@dataclass(frozen=True)
class Mailed:
    """What became of one invoice's mail."""

    invoice: str
    outcome: Outcome
    recipient: str
    message_id: str | None = None


def _money(value: Money | Decimal | None) -> str:
    if value is None:
        return ""
    if isinstance(value, Money):
        return f"{value.currency} {value.amount.quantize(Decimal('0.01'))}"
    return str(value.quantize(Decimal("0.01")))


def environment(options: InvoiceMailOptions) -> jinja2.Environment:
    """The user's template directory first, then tradewind's own templates; sandboxed, strict."""
    loaders: list[jinja2.BaseLoader] = [jinja2.PackageLoader("tradewind.notify", "templates")]
    if options.template is not None:
        if not options.template.is_file():
            raise ConfigError(f"invoice mail template {options.template} does not exist",
                              hint="give the path of a Jinja2 file, relative to where tradewind runs")
        loaders.insert(0, jinja2.FileSystemLoader(options.template.parent))
    env = SandboxedEnvironment(loader=jinja2.ChoiceLoader(loaders), autoescape=False, keep_trailing_newline=True,
                               undefined=jinja2.StrictUndefined)
    env.filters["money"] = _money
    return env


def _template_line(error: Exception, name: str) -> int | None:
    """The template's line an error was raised at (Jinja2 puts the template's frames in the traceback)."""
    frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename.endswith(name)]
    return frames[-1].lineno if frames else None


class InvoiceMailer:
    """Mails invoices of ``connection`` (the ERP connection they come from) to their customers."""

    def __init__(self, store: Store, settings: MailSettings, options: InvoiceMailOptions, *, connection: str,
                 send: SendMail = mail.send) -> None:
        self.binder = Binder(store)
        self.settings, self.options, self.send_mail = settings, options, send
        self.pair = Pair(source=connection, entity="invoice", target=MAIL_TARGET)
        self.env = environment(options)
        self.template = options.template.name if options.template else DEFAULT_TEMPLATE

    def render(self, invoice: Invoice) -> tuple[str, str]:
        """(subject, body) of ``invoice``'s mail; a template error is a ConfigError naming file and line."""
        context = {"invoice": invoice, "customer": invoice.customer, "lines": invoice.lines,
                   "sender": self.options.sender or self.settings.sender}
        try:
            body = self.env.get_template(self.template).render(context)
            subject = self.env.from_string(self.options.subject).render(context)
        except jinja2.TemplateError as error:
            line = getattr(error, "lineno", None) or _template_line(error, self.template)
            raise ConfigError(f"invoice mail template {self.template}{f' line {line}' if line else ''}: {error}",
                              hint="the template sees invoice, customer, lines, sender and the money filter"
                              ) from None
        return " ".join(subject.split()), body

    def send(self, invoice: Invoice) -> Mailed:
        """Mail ``invoice`` to its customer unless the send log holds it (see the module docstring)."""
        recipient = invoice.customer.email
        if not recipient:
            raise RecordError("the invoice's customer has no e-mail address", field="customer.email",
                              record=invoice.number)
        known = self.binder.lookup(self.pair, [invoice.number]).get(invoice.number)
        if known is not None:
            outcome = Outcome.UNSETTLED if known.pending else Outcome.ALREADY_SENT
            return Mailed(invoice.number, outcome, recipient, known.target_id)
        subject, body = self.render(invoice)
        message_id = make_msgid(domain=self.settings.sender.rpartition("@")[2] or "tradewind")
        with self.binder.store.begin() as conn:
            self.binder.pend(conn, self.pair, [Intent(invoice.number, f"number={invoice.number}", "invoice_mail",
                                                      target_id=message_id)])
        self._hand_over(invoice, recipient, subject, body, message_id)
        digest = content_hash({"to": recipient, "subject": subject, "body": body})
        with self.binder.store.begin() as conn:
            self.binder.bind(conn, self.pair, [Result(invoice.number, message_id, f"number={invoice.number}", digest,
                                                      "invoice_mail")])
        log.info("invoice_mail_sent", invoice=invoice.number, message_id=message_id)
        return Mailed(invoice.number, Outcome.SENT, recipient, message_id)

    def _hand_over(self, invoice: Invoice, recipient: str, subject: str, body: str, message_id: str) -> None:
        settings = replace(self.settings, recipients=(recipient, *self.options.bcc),
                           sender=self.options.sender or self.settings.sender)
        try:
            self.send_mail(settings, subject, body, message_id=message_id)
        except _NOT_SENT as error:
            self._forget(invoice.number)
            log.error("invoice_mail_refused", invoice=invoice.number, error=type(error).__name__)
            raise RecordError(f"the mail server refused the invoice mail ({type(error).__name__})",
                              record=invoice.number) from None
        except (OSError, smtplib.SMTPException) as error:
            with self.binder.store.begin() as conn:
                self.binder.mark_unknown(conn, self.pair, [invoice.number])
            log.error("invoice_mail_unknown", invoice=invoice.number, error=type(error).__name__)
            raise RecordError(f"the invoice mail may or may not have been sent ({type(error).__name__}); it is "
                              "not sent again until its send-log entry is forgotten", record=invoice.number) from None

    def _forget(self, number: str) -> None:
        known = self.binder.lookup(self.pair, [number]).get(number)
        if known is not None:
            self.binder.forget(known.id)
