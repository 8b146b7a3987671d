"""Match-or-create: which ERP debtor an order's customer is, and what to create when there is none.

The connector looks the key up in the ERP (it does the I/O); these functions decide:

* the match key, by ``match_field``: e-mail compared without case (the default), VAT number (compact,
  upper case), the ERP customer reference the shop carries (``Customer.reference``, trimmed: ERPs pad
  codes), or the customer number (``Customer.references[number_reference]``);
* a guest (no customer account in the shop) creates a debtor or books on ``default_debtor``;
* no ERP debtor found: create one, or block the order (``missing_reference: block``, as B2B portals
  require: "Customers without a valid … customer reference will block the order export");
* the debtor's shape: a company with the person as its contact when there is a company name, else a
  person (the APIcenter brief's rule).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from stdnum.eu import vat
from stdnum.exceptions import ValidationError

from tradewind.model import Customer, CustomerKind
from tradewind.model.address import Contact
from tradewind.rules.settings import BookingRules, GuestPolicy, MatchField, MissingReference


class CustomerAction(StrEnum):
    MATCH = "match"
    CREATE = "create"
    DEFAULT = "default"
    BLOCK = "block"


@dataclass(frozen=True)
class Debtor:
    """The debtor to create: a company (with ``contact``) or a person."""

    kind: CustomerKind
    name: str
    contact: Contact | None


@dataclass(frozen=True)
class CustomerDecision:
    action: CustomerAction
    reason: str
    erp_id: str | None = None
    debtor: Debtor | None = None


def match_key(customer: Customer, rules: BookingRules) -> str | None:
    """The value to look the customer up by in the ERP, normalised for comparison (None: it has none)."""
    field = rules.match_field
    if field is MatchField.EMAIL:
        return customer.email.strip().casefold() if customer.email else None
    if field is MatchField.VAT_NUMBER:
        return _vat_key(customer.vat_number)
    if field is MatchField.REFERENCE:
        return (customer.reference or "").strip() or None
    return (customer.references.get(rules.number_reference) or "").strip() or None


def same_key(a: str | None, b: str | None, field: MatchField) -> bool:
    """Whether two stored values are one key (e-mail without case, VAT numbers compact)."""
    if a is None or b is None:
        return False
    if field is MatchField.EMAIL:
        return a.strip().casefold() == b.strip().casefold()
    if field is MatchField.VAT_NUMBER:
        return _vat_key(a) == _vat_key(b) is not None
    return a.strip() == b.strip()


def _vat_key(number: str | None) -> str | None:
    if not number:
        return None
    try:
        return str(vat.compact(number)).upper()
    except ValidationError:
        return None


def decide_customer(customer: Customer, found: Sequence[str], rules: BookingRules, *,
                    guest: bool = False) -> CustomerDecision:
    """Match, create, use the default debtor, or block, given the ERP ids ``found`` for the key."""
    key, field = match_key(customer, rules), rules.match_field.value
    if guest and rules.guest_orders is GuestPolicy.DEFAULT_DEBTOR:
        return CustomerDecision(CustomerAction.DEFAULT, "guest order on the default debtor",
                                erp_id=rules.default_debtor)
    if key is not None and len(found) == 1:
        return CustomerDecision(CustomerAction.MATCH, f"matched on {field} {key}", erp_id=found[0])
    if len(found) > 1:
        return CustomerDecision(CustomerAction.BLOCK, f"{len(found)} ERP customers have {field} {key}; "
                                                      f"which one is meant is not guessed")
    if rules.missing_reference is MissingReference.BLOCK and not guest:
        missing = "has no" if key is None else f"has {field} {key}, which the ERP does not know, so no valid"
        return CustomerDecision(CustomerAction.BLOCK, f"customer {customer.name} {missing} ERP reference "
                                                      f"(missing_reference: block)")
    why = "guest order" if guest else f"no ERP customer with {field} {key}" if key else f"no {field} to match on"
    return CustomerDecision(CustomerAction.CREATE, why, debtor=debtor_of(customer))


def debtor_of(customer: Customer) -> Debtor:
    """A company debtor with the person as contact when there is a company name, else a person."""
    company = customer.billing_address.company if customer.billing_address else None
    if customer.type is CustomerKind.COMPANY:
        company = company or customer.name
    person = customer.contacts[0] if customer.contacts else _person(customer)
    if company:
        return Debtor(CustomerKind.COMPANY, company, person)
    return Debtor(CustomerKind.PERSON, customer.name, None)


def _person(customer: Customer) -> Contact | None:
    if customer.type is CustomerKind.COMPANY:
        return None
    first, _, last = customer.name.strip().partition(" ")
    return Contact(first_name=first if last else None, last_name=last or first, email=customer.email,
                   phone=customer.phone)
