"""Shopify Customer nodes and MailingAddresses ⇄ customers and addresses."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tradewind.connectors.base import Refs
from tradewind.connectors.shopify.codec_common import blank, fields_named
from tradewind.model import Address, Contact, Customer, CustomerKind


def address_in(node: Mapping[str, Any] | None) -> Address | None:
    """A MailingAddress; Shopify keeps the house number inside ``address1``."""
    if not node:
        return None
    name = blank(node.get("name")) or " ".join(p for p in (node.get("firstName"), node.get("lastName")) if p) or None
    return Address(
        name=name, company=blank(node.get("company")), line1=blank(node.get("address1")),
        line2=blank(node.get("address2")), postcode=blank(node.get("zip")), city=blank(node.get("city")),
        region=blank(node.get("provinceCode")) or blank(node.get("province")),
        country=blank(node.get("countryCodeV2")), phone=blank(node.get("phone")),
    )


def split_name(name: str | None) -> tuple[str | None, str | None]:
    """First and last name from a full name (the first word, the rest)."""
    parts = (name or "").split(None, 1)
    if not parts:
        return None, None
    return (parts[0], parts[1]) if len(parts) == 2 else (None, parts[0])


def address_out(address: Address, *, company: str | None = None) -> dict[str, Any]:
    """A MailingAddressInput; the house number joins ``address1`` as Shopify expects."""
    first, last = split_name(address.name)
    line1 = " ".join(p for p in (address.line1, address.house_number) if p) or None
    return _without_none({
        "firstName": first, "lastName": last, "company": address.company or company, "address1": line1,
        "address2": address.line2, "zip": address.postcode, "city": address.city, "countryCode": address.country,
        "provinceCode": address.region, "phone": address.phone,
    })


def _without_none(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def email_of(node: Mapping[str, Any] | None) -> str | None:
    return blank(((node or {}).get("defaultEmailAddress") or {}).get("emailAddress"))


def phone_of(node: Mapping[str, Any] | None) -> str | None:
    """``defaultPhoneNumber.phoneNumber``, or ``phone`` (deprecated in 2026-07) of an older answer."""
    node = node or {}
    return blank((node.get("defaultPhoneNumber") or {}).get("phoneNumber")) or blank(node.get("phone"))


def _addresses_of(node: Mapping[str, Any]) -> list[Any]:
    """``addressesV2.nodes``, or ``addresses`` (deprecated in 2026-07) of an older answer."""
    connection = node.get("addressesV2")
    if isinstance(connection, Mapping):
        return list(connection.get("nodes") or [])
    return list(node.get("addresses") or [])


def customer_in(node: Mapping[str, Any]) -> Customer:
    """A Customer node; a company on the default address makes a company with the person as contact."""
    email = email_of(node)
    default = node.get("defaultAddress")
    billing = address_in(default)
    others = [a for a in _addresses_of(node) if a and a != default]
    person = Contact(first_name=blank(node.get("firstName")), last_name=blank(node.get("lastName")),
                     email=email, phone=phone_of(node)) if email or node.get("lastName") else None
    company = billing.company if billing else None
    name = company or blank(node.get("displayName")) or (person.full_name if person else None) or email or "?"
    with fields_named(email or node.get("id")):
        return Customer(
            type=CustomerKind.COMPANY if company else CustomerKind.PERSON, name=name, email=email,
            phone=phone_of(node), tax_exempt=bool(node.get("taxExempt")),
            contacts=[person] if company and person else [], billing_address=billing,
            shipping_address=address_in(others[0]) if others else None,
        )


def customer_out(customer: Customer, refs: Refs) -> dict[str, Any]:
    """A CustomerInput; a company's first contact gives the person's name, the company its address."""
    contact = customer.contacts[0] if customer.contacts else None
    if customer.type is CustomerKind.COMPANY:
        first, last = (contact.first_name, contact.last_name) if contact else (None, customer.name)
    else:
        first, last = split_name(customer.name)
    company = customer.name if customer.type is CustomerKind.COMPANY else None
    addresses = [address_out(a, company=company) for a in (customer.billing_address, customer.shipping_address) if a]
    if len(addresses) == 2 and addresses[0] == addresses[1]:
        addresses.pop()
    if not addresses and company:
        addresses = [{"company": company}]
    return _without_none({
        "email": customer.email, "firstName": first, "lastName": last, "phone": customer.phone,
        "taxExempt": customer.tax_exempt, "addresses": addresses,
    })
