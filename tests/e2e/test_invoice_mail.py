"""The invoice mail as a flow: ``from: erp.invoices, to: mail.invoices``, over both sandboxes on loopback and
a real SMTP server (aiosmtpd), on SQLite and PostgreSQL.

The tea-and-mug order (tests/e2e/test_booking.py) is booked by the orders flow as a direct invoice, which
Exact processes at once: invoice 26000001, 25.55 in all (21.91 net, 3.64 VAT). The invoice_mail flow mails
it once to the customer with the user's template, lines and totals to the cent; a second run sends nothing.
An invoice whose customer has no address fails alone; a template naming an unknown value fails naming its
line; a server that drops the connection after taking the message leaves the invoice failed with an unknown
outcome — never sent again until a person forgets its binding and replays it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.e2e.slice import ENVIRON, World
from tests.e2e.test_booking import tea_and_mug
from tests.e2e.test_booking_types import booking_world  # noqa: F401  (the fixture)
from tests.notify.test_alerts import Inbox
from tests.notify.test_invoices import Dropping, Refusing, serve  # noqa: F401  (the fixture)
from tradewind.engine.binder import Binder, Intent, Pair
from tradewind.engine.check import check_connection
from tradewind.engine.project import load_project, validate
from tradewind.engine.services import Services
from tradewind.sandboxes.exact_online.schema import ACCOUNTS

TEMPLATE = """\
Dear {{ customer.name }},
{% for l in lines %}{{ l.sku }} {{ l.quantity.normalize() }} {{ l.net_amount|money }} VAT {{ l.tax|money }}
{% endfor %}Net {{ invoice.subtotal|money }}, VAT {{ invoice.tax_total|money }}, total {{ invoice.total|money }}
Order {{ invoice.order_number }}, invoice {{ invoice.number }} of {{ invoice.issued_on.isoformat() }}
"""
BODY = """\
Dear Anna de Vries,
TEA-01 2 EUR 9.08 VAT EUR 0.82
MUG-01 1 EUR 10.74 VAT EUR 2.26
SHIP 1 EUR 4.09 VAT EUR 0.86
DISC 1 EUR -0.91 VAT EUR -0.08
DISC 1 EUR -1.07 VAT EUR -0.22
RND 1 EUR -0.02 VAT EUR 0.00
Net EUR 21.91, VAT EUR 3.64, total EUR 25.55
Order #1001, invoice 26000001 of 2026-05-12
"""
FLOW = """\
  invoice_mail:
    from: erp.invoices
    to: mail.invoices
    write: create
    after: [orders]
"""


def _world(booking_world: Callable[[str], World], port: int, template: Path, *,  # noqa: F811
           load: bool = True) -> World:
    world = booking_world("booking_type: direct_invoice, journal: '70'")
    text = world.project_path.read_text()
    mail = (f"  mail:\n    connector: mail\n    from: \"Voorbeeld BV <shop@example.com>\"\n"
            f"    template: {template}\n    subject: \"Invoice {{{{ invoice.number }}}}\"\n"
            f"    bcc: [archive@example.com]\n")
    text = text.replace("connections:\n", "connections:\n" + mail, 1) + FLOW
    world.project_path.write_text(text + f"notify:\n  smtp_host: 127.0.0.1\n  smtp_port: {port}\n")
    if load:
        world.services = Services.open(load_project(world.project_path, environ=ENVIRON), world.services.store)
    return world


def _template(tmp_path: Path, text: str = TEMPLATE) -> Path:
    path = tmp_path / "mail" / "invoice.txt.j2"
    path.parent.mkdir(exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _booked(world: World, *orders: dict[str, Any]) -> None:
    for order in orders:
        world.shop.sandbox.add_order(order)
    assert len(orders) == world.run("orders").counts.get("created", 0)


def _reasons(world: World, run: Any) -> list[str]:
    return [t.reason or "" for t in world.services.transfers(run.run_id) if t.outcome in ("failed", "unknown")]


def test_an_invoice_is_mailed_once_with_the_templates_content(booking_world: Any, serve: Any,  # noqa: F811
                                                              tmp_path: Path) -> None:
    inbox = Inbox()
    world = _world(booking_world, serve(inbox), _template(tmp_path))
    _booked(world, tea_and_mug(created_at="2026-05-12T10:00:00Z"))

    first = world.run("invoice_mail")
    again = world.run("invoice_mail")

    assert (1, 0, 0) == (first.counts.get("created", 0), again.counts.get("created", 0), again.counts.get("failed", 0))
    [message] = inbox.messages
    assert ("Invoice 26000001", "anna@example.com", "Voorbeeld BV <shop@example.com>", None) == (
        message["Subject"], message["To"], message["From"], message["Bcc"])
    assert BODY == message.get_content().replace("\r\n", "\n")
    assert [("template", "ok"), ("smtp", "ok")] == [(f.check, f.status) for f in check_connection(world.services,
                                                                                                  "mail")]
    assert 1 == len(inbox.messages)  # the check sent nothing
    [sent] = [b for b in world.services.bindings(entity="invoice") if b.target_connection == "mail"]
    assert ("26000001" in (sent.natural_key or ""), message["Message-ID"], "bound") == (True, sent.target_id,
                                                                                        sent.state)


def test_an_invoice_without_an_address_fails_alone(booking_world: Any, serve: Any, tmp_path: Path) -> None:  # noqa: F811
    inbox = Inbox()
    world = _world(booking_world, serve(inbox), _template(tmp_path))
    _booked(world, tea_and_mug(created_at="2026-05-12T10:00:00Z"),
            tea_and_mug(created_at="2026-05-12T11:00:00Z", email="bob@example.com"))
    state = world.exact.sandbox
    with state.lock:
        bob = next(a for a in state.tables[ACCOUNTS.name].values() if a.get("Email") == "bob@example.com")
        bob["Email"] = None  # the address was removed in Exact since the order was booked

    run = world.run("invoice_mail")

    assert (1, 1) == (run.counts.get("created", 0), run.counts.get("failed", 0))
    assert ["anna@example.com"] == [m["To"] for m in inbox.messages]
    [failed] = [t for t in world.services.transfers(run.run_id) if t.outcome == "failed"]
    assert ("customer.email", "number=26000002") == (failed.field, failed.natural_key)
    assert (failed.reason or "").startswith("invoice 26000002 has no e-mail address to mail it to: its customer")


def test_a_template_naming_an_unknown_value_fails_naming_its_line(booking_world: Any, serve: Any,  # noqa: F811
                                                                  tmp_path: Path) -> None:
    inbox = Inbox()
    world = _world(booking_world, serve(inbox), _template(tmp_path, "Dear {{ customer.name }},\n{{ invoice.numbr }}\n"))
    _booked(world, tea_and_mug(created_at="2026-05-12T10:00:00Z"))

    run = world.run("invoice_mail")

    assert (0, 1, []) == (run.counts.get("created", 0), run.counts.get("failed", 0), inbox.messages)
    [reason] = _reasons(world, run)
    assert "invoice mail template invoice.txt.j2 line 2" in reason and "numbr" in reason


def test_a_template_that_does_not_compile_is_refused_by_validate(booking_world: Any, serve: Any,  # noqa: F811
                                                                 tmp_path: Path) -> None:
    broken = _template(tmp_path, "Dear\n{% for l in lines %}{{ l.sku }}\n")
    world = _world(booking_world, serve(Inbox()), broken, load=False)
    [problem] = validate(world.project_path, environ=ENVIRON)
    line = next(n for n, text in enumerate(world.project_path.read_text().splitlines(), 1) if "template:" in text)
    assert problem.where.startswith(f"{world.project_path}:{line}:"), problem
    assert f"invoice mail template {broken} line 2: Unexpected end of template" in problem.message


class DroppingOnce(Dropping):
    """Drops the connection after the first message only; takes every later one."""

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.messages:
            return await Inbox.handle_DATA(self, server, session, envelope)
        return await super().handle_DATA(server, session, envelope)


def test_a_mail_whose_fate_is_unknown_is_not_sent_again_until_replayed(booking_world: Any, serve: Any,  # noqa: F811
                                                                       tmp_path: Path) -> None:
    inbox = DroppingOnce()
    world = _world(booking_world, serve(inbox), _template(tmp_path))
    _booked(world, tea_and_mug(created_at="2026-05-12T10:00:00Z"))

    lost = world.run("invoice_mail")
    later = world.run("invoice_mail")
    retried = world.services.replay("invoice_mail", ["26000001"])

    assert (0, 1, 0, 1) == (lost.counts.get("created", 0), lost.counts.get("failed", 0),
                            later.counts.get("created", 0), len(inbox.messages))
    assert retried.result is not None and 0 == retried.result.counts.get("created", 0)
    [reason] = _reasons(world, lost)
    assert reason.startswith("invoice 26000001 may have been mailed") and "tradewind bindings forget" in reason
    [binding] = [b for b in world.services.bindings(entity="invoice") if b.target_connection == "mail"]
    assert "unknown" == binding.state

    assert world.services.forget_binding(binding.id)  # checked: it did not arrive; send it on purpose
    resent = world.services.replay("invoice_mail", ["26000001"])

    assert resent.result is not None and 1 == resent.result.counts.get("created", 0)
    assert 2 == len(inbox.messages)


class RefusingOnce(Refusing):
    """Refuses the customer's address the first time (a full mailbox, 452), then takes it."""

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if not getattr(self, "refused", False):
            self.refused = True
            return "452 4.2.2 mailbox full"
        envelope.rcpt_tos.append(address)
        return "250 OK"


def test_a_mail_refused_before_it_was_taken_is_sent_on_its_retry(booking_world: Any, serve: Any,  # noqa: F811
                                                                  tmp_path: Path) -> None:
    inbox = RefusingOnce()
    world = _world(booking_world, serve(inbox), _template(tmp_path))
    _booked(world, tea_and_mug(created_at="2026-05-12T10:00:00Z"))

    refused = world.run("invoice_mail")
    assert (1, []) == (refused.counts.get("failed", 0), inbox.messages)
    retried = world.services.replay("invoice_mail", ["26000001"])

    [reason] = _reasons(world, refused)
    assert "refused the recipient anna@example.com: 452" in reason
    assert retried.result is not None and 1 == retried.result.counts.get("created", 0)
    assert 1 == len(inbox.messages)


def test_a_run_stopped_while_sending_leaves_the_invoice_in_doubt(booking_world: Any, serve: Any,  # noqa: F811
                                                                  tmp_path: Path) -> None:
    """The intent was kept and the process died before the result: the mail may have gone; not sent by guess."""
    inbox = Inbox()
    world = _world(booking_world, serve(inbox), _template(tmp_path))
    _booked(world, tea_and_mug(created_at="2026-05-12T10:00:00Z"))
    [invoice_id] = [str(k) for k in world.exact.sandbox.tables["SalesInvoices"]]
    binder = Binder(world.services.store)
    with world.services.store.begin() as conn:
        binder.pend(conn, Pair("erp", "invoice", "mail"), [Intent(invoice_id, "number=26000001", "invoice_mail")])

    run = world.run("invoice_mail")

    assert (0, 1, []) == (run.counts.get("created", 0), run.counts.get("failed", 0), inbox.messages)
    [reason] = _reasons(world, run)
    assert reason.startswith("invoice 26000001 may have been mailed")
