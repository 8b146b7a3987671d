"""The mutation root: every mutation the sandbox serves by name, and the customer mutations.

``customerCreate``/``customerUpdate`` after
https://shopify.dev/docs/api/admin-graphql/2026-07/mutations/customerCreate: an e-mail address or
phone number already taken by another customer, or an invalid address, is a userError (these
userErrors carry no code); a customer needs a name, phone number or e-mail address.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from graphql import GraphQLResolveInfo

from tradewind.sandboxes.shopify.common import Record, View, gid, parse_gid, user_error
from tradewind.sandboxes.shopify.fulfillment_create import FulfillmentMutations
from tradewind.sandboxes.shopify.inventory import InventoryMutations
from tradewind.sandboxes.shopify.order_mark_as_paid import OrderPaymentMutations
from tradewind.sandboxes.shopify.products import ProductMutations
from tradewind.sandboxes.shopify.refund_create import RefundMutations
from tradewind.sandboxes.shopify.views import Views
from tradewind.sandboxes.shopify.webhooks import topic_name
from tradewind.sandboxes.shopify.writes import Writer

if TYPE_CHECKING:
    from tradewind.sandboxes.shopify.sandbox import ShopifySandbox

_ADDRESS_KEYS = {
    "address1": "address1",
    "address2": "address2",
    "city": "city",
    "company": "company",
    "countryCode": "country_code",
    "firstName": "first_name",
    "lastName": "last_name",
    "phone": "phone",
    "provinceCode": "province_code",
    "zip": "zip",
}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def mutation_resolvers(sandbox: ShopifySandbox, views: Views) -> dict[str, Callable[..., View]]:
    """Mutation fields by name, as the default resolver reads them from the root value."""
    products = ProductMutations(sandbox, views)
    customers = CustomerMutations(sandbox, views)
    return {
        "productSet": products.product_set,
        "productCreate": products.product_create,
        "productUpdate": products.product_update,
        "productVariantsBulkCreate": products.variants_bulk_create,
        "productVariantsBulkUpdate": products.variants_bulk_update,
        "inventorySetQuantities": InventoryMutations(sandbox, views).inventory_set_quantities,
        "customerCreate": customers.customer_create,
        "customerUpdate": customers.customer_update,
        "fulfillmentCreate": FulfillmentMutations(sandbox, views).fulfillment_create,
        "refundCreate": RefundMutations(sandbox, views).refund_create,
        "orderMarkAsPaid": OrderPaymentMutations(sandbox, views).order_mark_as_paid,
        "webhookSubscriptionCreate": lambda info, **kw: webhook_subscription_create(sandbox, info, **kw),
    }


def webhook_subscription_create(sandbox: ShopifySandbox, info: GraphQLResolveInfo, topic: str,
                                webhookSubscription: Mapping[str, Any]) -> View:
    """https://shopify.dev/docs/api/admin-graphql/2026-07/mutations/webhookSubscriptionCreate: an
    HTTP(S) ``uri`` is needed (the sandbox delivers JSON only); see :mod:`.webhooks`."""
    uri = webhookSubscription.get("uri") or ""
    if not uri.startswith(("https://", "http://")):
        return {"webhookSubscription": None, "userErrors": [user_error(["webhookSubscription", "uri"],
                                                                       "Address is invalid")]}
    if webhookSubscription.get("format", "JSON") != "JSON":
        return {"webhookSubscription": None, "userErrors": [user_error(["webhookSubscription", "format"],
                                                                       "Format is not supported by the sandbox")]}
    with sandbox.lock:
        number, now = sandbox.store.next_id(), sandbox.now()
    version = info.context.get("version") or "2026-07"
    found = sandbox.webhooks.subscribe(number, topic_name(topic), uri, now, version)
    view = {"id": gid("WebhookSubscription", found.id), "topic": topic, "uri": found.uri, "format": "JSON",
            "createdAt": found.created_at, "updatedAt": found.created_at}
    return {"webhookSubscription": view, "userErrors": []}


class CustomerMutations(Writer):
    """customerCreate and customerUpdate."""

    def customer_create(self, info: GraphQLResolveInfo, input: Mapping[str, Any]) -> View:
        errors = self._check_customer(input, None)
        if not any(input.get(k) for k in ("email", "phone", "firstName", "lastName")):
            errors.append(user_error(None, "A name, phone number, or email address must be present"))
        if errors:
            return {"customer": None, "userErrors": errors}
        record = self.sb.seed_customer({"state": "disabled"})
        self._apply_customer(record, input)
        return {"customer": self.views.customer(record), "userErrors": []}

    def customer_update(self, info: GraphQLResolveInfo, input: Mapping[str, Any]) -> View:
        record = self.store.customers.get(parse_gid(input.get("id"), "Customer") or 0)
        if record is None:
            return {"customer": None, "userErrors": [user_error(["id"], "Customer does not exist")]}
        errors = self._check_customer(input, record)
        if errors:
            return {"customer": None, "userErrors": errors}
        self._apply_customer(record, input)
        return {"customer": self.views.customer(record), "userErrors": []}

    def _check_customer(self, data: Mapping[str, Any], record: Record | None) -> list[Any]:
        errors = []
        own = record["id"] if record is not None else None
        email = data.get("email")
        if email and not _EMAIL.match(email):
            errors.append(user_error(["email"], "Email is invalid"))
        elif email and any(c["id"] != own for c in self.store.find("customers", "email", email)):
            errors.append(user_error(["email"], "Email has already been taken"))
        phone = data.get("phone")
        if phone and any(c["id"] != own and c["phone"] == phone for c in self.store.find("customers", "phone", phone)):
            errors.append(user_error(["phone"], "Phone has already been taken"))
        return errors

    def _apply_customer(self, record: Record, data: Mapping[str, Any]) -> None:
        for source, target in (
            ("email", "email"),
            ("firstName", "first_name"),
            ("lastName", "last_name"),
            ("phone", "phone"),
            ("note", "note"),
            ("taxExempt", "tax_exempt"),
        ):
            if source in data:
                record[target] = data[source]
        if data.get("tags") is not None:
            record["tags"] = list(data["tags"])
        if data.get("addresses") is not None:
            addresses = [{_ADDRESS_KEYS[k]: v for k, v in a.items() if k in _ADDRESS_KEYS} for a in data["addresses"]]
            record["addresses"] = [self.sb.address(a | {"default": i == 0}) for i, a in enumerate(addresses)]
        record["updated_at"] = self.sb.now()
        self.store.put("customers", record)

