from __future__ import annotations

from typing import Any

from tradewind.model import Address, Customer, CustomerKind
from tradewind.rules.customers import CustomerAction, decide_customer, match_key, same_key
from tradewind.rules.settings import BookingRules, MatchField


def person(**values: Any) -> Customer:
    base: dict[str, Any] = {"name": "Anna de Vries", "email": "Anna.de.Vries@Example.com"}
    base.update(values)
    return Customer(**base)


def test_email_is_matched_without_case() -> None:
    rules = BookingRules()
    assert "anna.de.vries@example.com" == match_key(person(), rules)
    assert same_key("ANNA.DE.VRIES@example.com", "anna.de.vries@EXAMPLE.com", MatchField.EMAIL)
    decision = decide_customer(person(), ["acc-1"], rules)
    assert (CustomerAction.MATCH, "acc-1") == (decision.action, decision.erp_id)


def test_vat_number_reference_and_number_keys() -> None:
    customer = person(vat_number="NL004495445B01", reference="  4711 ", references={"customer_number": "C-9"})
    assert "NL004495445B01" == match_key(customer, BookingRules(match_field="vat_number"))
    assert same_key("nl 0044.95445.B01", "NL004495445B01", MatchField.VAT_NUMBER)
    assert "4711" == match_key(customer, BookingRules(match_field="reference"))
    assert same_key("              4711", "4711", MatchField.REFERENCE)  # Exact pads codes to 18
    assert "C-9" == match_key(customer, BookingRules(match_field="number"))


def test_company_debtor_with_the_person_as_contact_or_a_person_debtor() -> None:
    company = person(billing_address=Address(company="Bakkerij De Vries BV", country="NL"))
    decision = decide_customer(company, [], BookingRules())
    assert decision.action is CustomerAction.CREATE and decision.debtor is not None
    assert (CustomerKind.COMPANY, "Bakkerij De Vries BV") == (decision.debtor.kind, decision.debtor.name)
    assert decision.debtor.contact is not None
    assert ("Anna", "de Vries") == (decision.debtor.contact.first_name, decision.debtor.contact.last_name)
    alone = decide_customer(person(), [], BookingRules()).debtor
    assert alone is not None and (CustomerKind.PERSON, "Anna de Vries", None) == (alone.kind, alone.name,
                                                                                  alone.contact)


def test_guest_orders_create_or_go_to_the_default_debtor() -> None:
    assert CustomerAction.CREATE is decide_customer(person(), [], BookingRules(), guest=True).action
    rules = BookingRules(guest_orders="default_debtor", default_debtor="999")
    decision = decide_customer(person(), [], rules, guest=True)
    assert (CustomerAction.DEFAULT, "999") == (decision.action, decision.erp_id)


def test_no_valid_erp_reference_blocks_when_configured() -> None:
    rules = BookingRules(match_field="reference", missing_reference="block")
    none = decide_customer(person(), [], rules)
    assert CustomerAction.BLOCK is none.action and "Anna de Vries has no ERP reference" in none.reason
    unknown = decide_customer(person(reference="4711"), [], rules)
    assert CustomerAction.BLOCK is unknown.action and "reference 4711, which the ERP does not know" in unknown.reason
    assert CustomerAction.MATCH is decide_customer(person(reference="4711"), ["acc-7"], rules).action
    assert CustomerAction.CREATE is decide_customer(person(), [], BookingRules(match_field="reference")).action


def test_two_erp_customers_for_one_key_are_not_guessed() -> None:
    decision = decide_customer(person(), ["acc-1", "acc-2"], BookingRules())
    assert CustomerAction.BLOCK is decision.action and "2 ERP customers" in decision.reason
