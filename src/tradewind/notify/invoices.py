"""The invoice e-mail's text: the user's own Jinja2 template (or tradewind's), rendered for one invoice.

Sending, once per invoice, is the invoice-mail flow's (``from: erp.invoices, to: mail.invoices``): the
``mail`` connector (:mod:`tradewind.notify.mail_connector`) renders with :class:`InvoiceTemplate` and hands
the message over with :func:`tradewind.notify.mail.deliver`, and the engine's bindings are the send log.

Templates see ``invoice`` (:class:`~tradewind.model.Invoice`; ``invoice.is_credit_note`` tells a credit
note), ``customer``, ``lines``, ``sender`` and the ``money`` filter (``EUR 60.51``); the default is
``templates/invoice.txt.j2`` beside this module. They run in Jinja2's sandbox with strict undefined:

* a template that does not compile (``{% for %}`` without its end) is a :class:`~tradewind.errors.ConfigError`
  naming the file and line, raised when the connection is checked or opened — before anything is sent;
* a template that names an unknown value (``{{ invoice.numbr }}``) fails the invoice's mail with a
  :class:`~tradewind.errors.RecordError` naming the file and line, never half a mail; the others go on.
"""

from __future__ import annotations

import traceback
from decimal import Decimal
from pathlib import Path

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from tradewind.errors import ConfigError, RecordError
from tradewind.model import Invoice, Money

DEFAULT_TEMPLATE = "invoice.txt.j2"
DEFAULT_SUBJECT = "{% if invoice.is_credit_note %}Credit note{% else %}Invoice{% endif %} {{ invoice.number }}"
HINT = "the template sees invoice, customer, lines, sender and the money filter"


def _money(value: Money | Decimal | None) -> str:
    if value is None:
        return ""
    if isinstance(value, Money):
        return f"{value.currency} {value.amount.quantize(Decimal('0.01'))}"
    return str(value.quantize(Decimal("0.01")))


def environment(template: Path | None) -> jinja2.Environment:
    """The user's template directory first, then tradewind's own templates; sandboxed, strict."""
    loaders: list[jinja2.BaseLoader] = [jinja2.PackageLoader("tradewind.notify", "templates")]
    if template is not None:
        if not template.is_file():
            raise ConfigError(f"invoice mail template {template} does not exist",
                              hint="give the path of a Jinja2 file, relative to where tradewind runs")
        loaders.insert(0, jinja2.FileSystemLoader(template.parent))
    env = SandboxedEnvironment(loader=jinja2.ChoiceLoader(loaders), autoescape=False, keep_trailing_newline=True,
                               undefined=jinja2.StrictUndefined)
    env.filters["money"] = _money
    return env


def _template_line(error: BaseException, name: str) -> int | None:
    """The template's line an error was raised at (Jinja2 puts the template's frames in the traceback)."""
    frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename.endswith(name)]
    return frames[-1].lineno if frames else None


class InvoiceTemplate:
    """A compiled body template and subject: compiled once per connection, rendered per invoice."""

    def __init__(self, template: Path | None = None, subject: str = DEFAULT_SUBJECT) -> None:
        self.name = template.name if template is not None else DEFAULT_TEMPLATE
        env = environment(template)
        try:
            self.body = env.get_template(self.name)
        except jinja2.TemplateSyntaxError as error:
            raise ConfigError(f"invoice mail template {template} line {error.lineno}: {error.message}",
                              hint=HINT) from None
        try:
            self.subject = env.from_string(subject)
        except jinja2.TemplateSyntaxError as error:
            raise ConfigError(f"invoice mail subject {subject!r}: {error.message}", hint=HINT) from None

    def render(self, invoice: Invoice, sender: str) -> tuple[str, str]:
        """(subject, body) of ``invoice``'s mail; a value the template cannot find fails this invoice,
        naming the template's line."""
        context = {"invoice": invoice, "customer": invoice.customer, "lines": invoice.lines, "sender": sender}
        where = self.name
        try:
            body = self.body.render(context)
            where = "subject"
            subject = self.subject.render(context)
        except jinja2.TemplateError as error:
            line = _template_line(error, self.name) if where == self.name else None
            place = "invoice mail subject" if where == "subject" else \
                f"invoice mail template {where}{f' line {line}' if line else ''}"
            raise RecordError(f"{place}: {error}; {HINT}", field="template", record=invoice.number) from None
        return " ".join(subject.split()), body
