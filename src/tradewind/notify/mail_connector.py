"""The ``mail`` connector: a write-only target whose ``invoices`` resource mails each invoice to its customer.

A flow ``from: erp.invoices, to: mail.invoices, write: create`` gives every invoice mail the run loop's
promises: it is sent once (the engine's binding, invoice number → Message-ID, is the send log), every mail
is a visible transfer, a failure keeps its reason and is retried or replayed, and a changed invoice is not
mailed again (``write: create``). It lives in ``notify/`` because it renders with
:mod:`tradewind.notify.invoices` and sends with :mod:`tradewind.notify.mail`, which the engine may not
import; it is registered through the ``tradewind.connectors`` entry point like any third-party connector.

A sent mail cannot be looked up, so the resource is declared unsearchable (``Resource.searchable``): the
engine writes a new invoice without a look-up, and never sends again one whose fate is unknown — the
server went away after taking the message (``OutcomeUnknown`` from :func:`~tradewind.notify.mail.deliver`),
or the run stopped between the intent and the result. That invoice fails with :meth:`InvoiceMails.unsettled`'s
reason until a person has checked the mailbox and, if it did not arrive, forgotten its binding and replayed
it. A mail the server refused before taking it (unreachable, login, a recipient refused) leaves no intent
and is simply sent on the record's retry.

SMTP settings are the project's: the ``notify:`` block's ``smtp_*`` and ``starttls`` (taken as this
connection's defaults when the project is loaded) with ``TRADEWIND_NOTIFY_SMTP_HOST``, ``_SMTP_PORT``,
``_SMTP_USER``, ``_SMTP_PASSWORD`` and ``_STARTTLS`` over them, as for alerts; a connection may name its
own ``smtp_*`` instead. The password is only ever a ``${ENV}`` reference or the environment's.
"""

from __future__ import annotations

import os
import smtplib
from collections.abc import Iterator, Mapping, Sequence
from datetime import date
from decimal import Decimal
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from pathlib import Path
from typing import Any

from pydantic import ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from tradewind.connectors.base import (
    Check,
    ConnectionOptions,
    Connector,
    Found,
    NativeRecord,
    Page,
    Refs,
    Resource,
    SecretRef,
)
from tradewind.engine.project.schema import NotifySpec
from tradewind.errors import ConfigError, RecordError, TradewindError
from tradewind.model import Customer, Invoice, InvoiceLine, Money
from tradewind.notify import mail
from tradewind.notify.invoices import DEFAULT_SUBJECT, InvoiceTemplate
from tradewind.notify.settings import PREFIX, MailSettings

_FROM_NOTIFY = {"smtp_host": "smtp_host", "smtp_port": "smtp_port", "smtp_user": "smtp_user",
                "smtp_password": "smtp_password", "starttls": "starttls"}
"""This connection's option ← the ``notify:`` block's key it defaults to."""


def _address(value: str, what: str) -> str:
    _, address = parseaddr(value)
    if "@" not in address or " " in address.strip():
        raise ValueError(f"{value!r} is not an e-mail address ({what})")
    return value.strip()


def _compiles(template: Path | None, subject: str) -> None:
    try:
        InvoiceTemplate(template, subject)
    except ConfigError as error:
        raise ValueError(error.message) from None


class MailOptions(ConnectionOptions):
    """Mails invoices to customers (flow `to: mail.invoices`) with your template, over the project's SMTP server."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    sender: str = Field(alias="from", examples=["Voorbeeld BV <shop@example.com>"],
                        description="The From address of the mails (your shop's)")
    template: Path | None = Field(
        default=None, examples=["mail/invoice.txt.j2"],
        description="Your Jinja2 template of the invoice mail's body, a path relative to the project file; it "
                    "sees invoice (invoice.is_credit_note for a credit note), customer, lines, sender and the money "
                    "filter. Default: tradewind's plain-text invoice mail")
    subject: str = Field(default=DEFAULT_SUBJECT, examples=["Invoice {{ invoice.number }}"],
                         description="The subject, itself a template (default: 'Invoice 26000001', or 'Credit note "
                                     "…' for a credit note)")
    bcc: list[str] = Field(default_factory=list, examples=[["archive@example.com"]],
                           description="Also sent to these addresses, unseen by the customer (your own archive)")
    reply_to: str | None = Field(default=None, examples=["accounts@example.com"],
                                 description="Where the customer's replies go (default: the From address)")
    smtp_host: str | None = Field(default=None, examples=["smtp.example.com"],
                                  description="SMTP server (default: notify.smtp_host, else localhost); "
                                              "TRADEWIND_NOTIFY_SMTP_HOST wins over both")
    smtp_port: int | None = Field(default=None, ge=1, le=65535, examples=[587],
                                  description="SMTP port (default: notify.smtp_port, else 25); "
                                              "TRADEWIND_NOTIFY_SMTP_PORT wins")
    smtp_user: str | None = Field(default=None, examples=["shop"],
                                  description="SMTP login (default: notify.smtp_user); TRADEWIND_NOTIFY_SMTP_USER wins")
    smtp_password: SecretRef | None = Field(
        default=None, examples=["${SMTP_PASSWORD}"],
        description="SMTP password as a ${ENV} reference (default: notify.smtp_password); "
                    "TRADEWIND_NOTIFY_SMTP_PASSWORD wins")
    starttls: bool | None = Field(default=None, examples=[True],
                                  description="Upgrade the connection with STARTTLS (default: notify.starttls); "
                                              "TRADEWIND_NOTIFY_STARTTLS wins")

    @field_validator("sender", "reply_to")
    @classmethod
    def _one_address(cls, value: str | None) -> str | None:
        return None if value is None else _address(value, "a mail address")

    @field_validator("bcc")
    @classmethod
    def _addresses(cls, value: list[str]) -> list[str]:
        return [_address(v, "bcc") for v in value]

    @field_validator("template")
    @classmethod
    def _template_compiles(cls, value: Path | None, info: ValidationInfo) -> Path | None:
        """Found beside the project file (the project is one folder under version control), then compiled."""
        if value is None:
            return None
        here = (info.context or {}).get("project_dir")
        if here is not None and not value.is_absolute():
            value = Path(here) / value
        _compiles(value, DEFAULT_SUBJECT)
        return value

    @field_validator("subject")
    @classmethod
    def _subject_compiles(cls, value: str) -> str:
        _compiles(None, value)
        return value

    @classmethod
    def from_project(cls, project: Mapping[str, Any]) -> dict[str, Any]:
        """The SMTP server of the project's ``notify:`` block, as this connection's defaults."""
        block = project.get("notify")
        if not isinstance(block, Mapping):
            return {}
        try:
            spec = NotifySpec.model_validate(block)
        except ValidationError:
            return {}  # the notify block's own check reports it
        return {option: getattr(spec, key) for option, key in _FROM_NOTIFY.items() if key in spec.model_fields_set}


class MailClient:
    """Builds each message and hands it to the SMTP server (:func:`tradewind.notify.mail.deliver`)."""

    def __init__(self, settings: MailSettings) -> None:
        self.settings = settings

    def send(self, native: Mapping[str, Any]) -> tuple[str, str]:
        """(Message-ID, the server's answer) of the mail ``native`` describes."""
        message = EmailMessage()
        message["From"] = native["from"]
        message["To"] = native["to"]
        if native.get("reply_to"):
            message["Reply-To"] = native["reply_to"]
        message["Subject"] = native["subject"]
        message["Date"] = formatdate(usegmt=True)
        message_id = make_msgid(domain=parseaddr(native["from"])[1].rpartition("@")[2] or "tradewind")
        message["Message-ID"] = message_id
        message.set_content(native["body"])
        answer = mail.deliver(self.settings, message, [native["to"], *native.get("bcc", [])])
        return message_id, answer


def _not_read(data: dict[str, Any]) -> Invoice:
    raise ConfigError("mail.invoices is a target: mails are sent, not read")


def _unbound(invoice: Invoice, refs: Refs) -> dict[str, Any]:
    raise ConfigError("mail.invoices renders with its connection's template: bind it to a connection first")


class InvoiceMails(Resource[Invoice]):
    """Invoices mailed to their customers: one mail per invoice, keyed by the invoice's number."""

    template: InvoiceTemplate | None = None
    options: MailOptions | None = None

    def bind(self, connection: Connector) -> InvoiceMails:
        bound = super().bind(connection)
        assert isinstance(bound, InvoiceMails) and isinstance(connection.options, MailOptions)
        bound.options = connection.options
        bound.template = InvoiceTemplate(connection.options.template, connection.options.subject)
        bound.encode = bound._encode
        return bound

    def _encode(self, invoice: Invoice, refs: Refs) -> dict[str, Any]:
        """The mail of ``invoice``: addresses, subject and body (what the content hash covers)."""
        assert self.template is not None and self.options is not None
        if not invoice.customer.email:
            raise RecordError(f"invoice {invoice.number} has no e-mail address to mail it to: its customer "
                              f"{invoice.customer.name!r} has none in the source (on the invoice's contact person or "
                              "account)", field="customer.email", record=invoice.number)
        subject, body = self.template.render(invoice, parseaddr(self.options.sender)[1] or self.options.sender)
        return {"from": self.options.sender, "to": str(invoice.customer.email), "bcc": list(self.options.bcc),
                "reply_to": self.options.reply_to, "subject": subject, "body": body}

    def pages(self, client: Any, since: str | None) -> Iterator[Page]:
        raise ConfigError("mail.invoices is a target: mails are sent, not read")

    def find(self, client: Any, keys: Mapping[str, str]) -> Found:
        raise ConfigError("a sent mail cannot be looked up (mail.invoices is not searchable)")

    def find_many(self, client: Any, keys: Sequence[Mapping[str, str]]) -> list[Found]:
        return [self.find(client, one) for one in keys]

    def create(self, client: MailClient, native: dict[str, Any]) -> NativeRecord:
        message_id, answer = client.send(native)
        return NativeRecord(id=message_id, data={"message_id": message_id, "to": native["to"], "server": answer})

    def unsettled(self, natural_key: str) -> str:
        number = natural_key.partition("=")[2] or natural_key
        return (f"invoice {number} may have been mailed: the mail server went away after the message was handed "
                "over (or the run stopped while sending), and a sent mail cannot be looked up. It is not sent again "
                "by guess: check the customer's mailbox or your bcc archive; to send it, forget its binding "
                f"(tradewind bindings --search {number}; tradewind bindings forget <id>) and replay it "
                f"(tradewind replay <flow> {number})")


class Mail(Connector):
    """E-mail over SMTP: invoices mailed to customers with your own template."""

    name = "mail"
    label = "E-mail (SMTP)"
    Options = MailOptions

    invoices = InvoiceMails(
        Invoice, native_key="message_id", natural_keys=["number"], cursor=None, can=["create"], decode=_not_read,
        encode=_unbound, searchable=False,
        description="Invoices and credit notes mailed to their customer's address with your template, once per "
                    "invoice number (write: create); the Message-ID is the target id")

    @property
    def opts(self) -> MailOptions:
        assert isinstance(self.options, MailOptions)
        return self.options

    def _env(self, name: str) -> str | None:
        environ = os.environ if self.environ is None else self.environ
        return environ.get(PREFIX + name) or None

    def server(self) -> tuple[str, int]:
        """(host, port): the environment over this connection's options over the defaults."""
        port = self._env("SMTP_PORT")
        try:
            return self._env("SMTP_HOST") or self.opts.smtp_host or "localhost", int(port or self.opts.smtp_port or 25)
        except ValueError:
            raise ConfigError(f"{PREFIX}SMTP_PORT must be a number") from None

    def smtp(self) -> MailSettings:
        """The SMTP settings a send uses (the password resolved now, never logged)."""
        host, port = self.server()
        starttls = self._env("STARTTLS")
        password = self._env("SMTP_PASSWORD")
        if password is None and self.opts.smtp_password is not None:
            password = self.secret(self.opts.smtp_password)
        return MailSettings(recipients=(), host=host, port=port, sender=self.opts.sender,
                            starttls=starttls.lower() in ("1", "true", "yes") if starttls else bool(self.opts.starttls),
                            username=self._env("SMTP_USER") or self.opts.smtp_user, password=password)

    def account_key(self) -> str:
        host, port = self.server()
        return f"mail:{host}:{port}"

    @property
    def client(self) -> MailClient:
        if "_client" not in self.__dict__:
            self.__dict__["_client"] = MailClient(self.smtp())
        client: MailClient = self.__dict__["_client"]
        return client

    def checks(self) -> Iterator[Check]:
        """The template renders a sample invoice; the SMTP server answers (and takes the login)."""
        yield _template_check(self.opts)
        yield _server_check(self.smtp())


def _sample() -> Invoice:
    eur = "EUR"
    return Invoice(number="26000001", order_number="#1001", issued_on=date(2026, 5, 12), due_on=date(2026, 5, 26),
                   currency=eur, customer=Customer(name="Anna de Vries", email="anna@example.com"),
                   lines=[InvoiceLine(sku="TEA-01", description="Rooibos tea", quantity=Decimal(2),
                                      unit_price=Money.of("4.5413", eur), vat_rate=Decimal(9), vat_code="1",
                                      tax=Money.of("0.82", eur), net_amount=Money.of("9.08", eur))],
                   subtotal=Money.of("9.08", eur), tax_total=Money.of("0.82", eur), total=Money.of("9.90", eur))


def _template_check(options: MailOptions) -> Check:
    name = str(options.template) if options.template else "tradewind's default"
    try:
        InvoiceTemplate(options.template, options.subject).render(_sample(), options.sender)
    except TradewindError as error:
        return Check("template", "fail", str(error))
    return Check("template", "ok", f"{name} renders a sample invoice")


def _server_check(settings: MailSettings) -> Check:
    """Connect, greet, STARTTLS and log in as a send would; send nothing."""
    try:
        with smtplib.SMTP(settings.host, settings.port, timeout=mail.TIMEOUT) as client:
            mail.greet(client, settings)
            code, _ = client.noop()
    except (OSError, smtplib.SMTPException) as error:
        return Check("smtp", "fail", f"{settings.host}:{settings.port} cannot be used: {type(error).__name__}: {error}")
    if code != 250:
        return Check("smtp", "warn", f"{settings.host}:{settings.port} answered NOOP with {code}")
    return Check("smtp", "ok", f"{settings.host}:{settings.port} answers"
                 + (" and takes the login" if settings.username and settings.password else ""))
