"""Store records as the GraphQL objects of Shopify's Admin API (what the default resolver reads).

Each view is a dict of field values; fields with arguments or costly children are callables, so
they run only when a query selects them. Field names, enums and formats are those of the
2026-07 reference (https://shopify.dev/docs/api/admin-graphql/2026-07): ``Product``,
``ProductVariant``, ``InventoryItem``/``InventoryLevel`` with named quantities
(https://shopify.dev/docs/apps/build/orders-fulfillment/inventory-management-apps/manage-quantities-states),
``Customer``, ``Order`` with ``MoneyBag`` amounts.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from graphql import GraphQLError

from tradewind.sandboxes.shopify.common import (
    INVENTORY_NAMES,
    Presented,
    Record,
    View,
    gid,
    money_bag,
    parse_gid,
    presented,
    variant_title,
)
from tradewind.sandboxes.shopify.fulfillments import FulfillmentViews
from tradewind.sandboxes.shopify.paging import connection
from tradewind.sandboxes.shopify.payments import can_mark_as_paid, outstanding
from tradewind.sandboxes.shopify.refunds import RefundViews
from tradewind.sandboxes.shopify.store import Store

if TYPE_CHECKING:
    from tradewind.sandboxes.shopify.sandbox import ShopifySandbox


class Views:
    """Turn store records into dicts the default resolver reads; callables take arguments."""

    def __init__(self, sandbox: ShopifySandbox) -> None:
        self.sb = sandbox

    @property
    def store(self) -> Store:
        return self.sb.store

    def shop(self) -> View:
        shop = self.store.shop
        return {
            "name": shop["name"],
            "email": shop["email"],
            "myshopifyDomain": shop["myshopify_domain"],
            "currencyCode": shop["currency"],
            "taxesIncluded": bool(shop.get("taxes_included", True)),
        }

    def product(self, p: Record) -> View:
        variants = self.store.product_variants(p["id"])
        return {
            "id": gid("Product", p["id"]),
            "title": p["title"],
            "handle": p["handle"],
            "descriptionHtml": p["body_html"],
            "vendor": p["vendor"],
            "productType": p["product_type"],
            "status": p["status"].upper(),
            "tags": p["tags"],
            "createdAt": p["created_at"],
            "updatedAt": p["updated_at"],
            "totalInventory": sum(self.store.available(v["inventory_item_id"]) for v in variants),
            "options": lambda info, first=None: [self.option(o, variants) for o in p["options"][:first]],
            "variants": lambda info, **a: connection(
                a, self.store.product_variants(p["id"]), VARIANT_SORTS[a["sortKey"]], self.variant
            ),
            "variantsCount": {"count": len(variants), "precision": "EXACT"},
        }

    def option(self, option: Record, variants: list[Record]) -> View:
        slot = f"option{option['position']}"
        used = {v.get(slot) for v in variants}
        values = [
            {"id": gid("ProductOptionValue", option["id"] * 100 + i), "name": value, "hasVariants": value in used}
            for i, value in enumerate(option["values"])
        ]
        return {
            "id": gid("ProductOption", option["id"]),
            "name": option["name"],
            "position": option["position"],
            "values": option["values"],
            "optionValues": values,
        }

    def variant(self, v: Record) -> View:
        product = self.store.products[v["product_id"]]
        item = self.store.items[v["inventory_item_id"]]
        return {
            "id": gid("ProductVariant", v["id"]),
            "title": variant_title(v),
            "sku": v["sku"],
            "barcode": v["barcode"],
            "price": v["price"],
            "compareAtPrice": v["compare_at_price"],
            "position": v["position"],
            "taxable": v["taxable"],
            "selectedOptions": [
                {"name": o["name"], "value": v.get(f"option{o['position']}")} for o in product["options"]
            ],
            "inventoryItem": lambda info: self.item(item),
            "inventoryQuantity": self.store.available(item["id"]),
            "product": lambda info: self.product(product),
            "createdAt": v["created_at"],
            "updatedAt": v["updated_at"],
        }

    def item(self, item: Record) -> View:
        variant = self.store.variant_of_item(item["id"]) or {}
        return {
            "id": gid("InventoryItem", item["id"]),
            "sku": variant.get("sku"),
            "tracked": item["tracked"],
            "variant": lambda info: self.variant(variant),
            "createdAt": item["created_at"],
            "updatedAt": item["updated_at"],
            "inventoryLevel": lambda info, locationId: self._level_at(item["id"], locationId),
            "inventoryLevels": lambda info, **a: connection(a, self.store.item_levels(item["id"]), by_id, self.level),
        }

    def _level_at(self, item_id: int, location_gid: str) -> View | None:
        level = self.store.levels.get((item_id, parse_gid(location_gid, "Location") or 0))
        return self.level(level) if level else None

    def level(self, lvl: Record) -> View:
        item_id, location_id = lvl["inventory_item_id"], lvl["location_id"]
        return {
            "id": f"{gid('InventoryLevel', lvl['id'])}?inventory_item_id={item_id}",
            "item": lambda info: self.item(self.store.items[item_id]),
            "location": lambda info: self.location(self.store.locations[location_id]),
            "quantities": lambda info, names: [self._quantity(lvl, name) for name in names],
            "createdAt": lvl["created_at"],
            "updatedAt": lvl["updated_at"],
        }

    def _quantity(self, lvl: Record, name: str) -> View:
        if name not in INVENTORY_NAMES:
            raise GraphQLError(
                f"'{name}' is not a valid inventory quantity name. Valid names: {', '.join(INVENTORY_NAMES)}."
            )
        quantity_id = f"{gid('InventoryQuantity', lvl['id'])}?inventory_item_id={lvl['inventory_item_id']}&name={name}"
        return {"id": quantity_id, "name": name, "quantity": int(lvl.get(name, 0)), "updatedAt": lvl["updated_at"]}

    def location(self, loc: Record) -> View:
        return {
            "id": gid("Location", loc["id"]),
            "name": loc["name"],
            "isActive": loc["active"],
            "inventoryLevels": lambda info, **a: connection(
                a, self.store.location_levels(loc["id"]), by_id, self.level
            ),
        }

    def customer(self, c: Record) -> View:
        default = next((a for a in c["addresses"] if a["default"]), None)
        name = " ".join(part for part in (c["first_name"], c["last_name"]) if part)
        return {
            "id": gid("Customer", c["id"]),
            "email": c["email"],
            "defaultEmailAddress": {"emailAddress": c["email"]} if c["email"] else None,
            "firstName": c["first_name"],
            "lastName": c["last_name"],
            "displayName": name or c["email"] or c["phone"] or "",
            "phone": c["phone"],
            "defaultPhoneNumber": {"phoneNumber": c["phone"]} if c["phone"] else None,
            "note": c["note"],
            "taxExempt": c["tax_exempt"],
            "tags": c["tags"],
            "state": c["state"].upper(),
            "defaultAddress": address_view(default),
            "addresses": lambda info, first=None: [address_view(a) for a in c["addresses"][:first]],
            "addressesV2": lambda info, **a: connection(a, c["addresses"], by_id, lambda r: address_view(r) or {}),
            "createdAt": c["created_at"],
            "updatedAt": c["updated_at"],
        }

    def order(self, o: Record) -> View:
        cur = presented(o)
        customer = self.store.customers.get(o["customer_id"] or 0)
        return {
            "id": gid("Order", o["id"]),
            "name": o["name"],
            "email": o["email"],
            "phone": o["phone"],
            "note": o["note"],
            "tags": o["tags"],
            "createdAt": o["created_at"],
            "updatedAt": o["updated_at"],
            "processedAt": o["processed_at"],
            "cancelledAt": o["cancelled_at"],
            "closed": o["closed_at"] is not None,
            "fullyPaid": o["financial_status"] == "paid",
            "displayFinancialStatus": str(o["financial_status"]).upper() if o["financial_status"] else None,
            "canMarkAsPaid": lambda info: can_mark_as_paid(o),
            "totalOutstandingSet": lambda info: money_bag(str(outstanding(o)), cur),
            "displayFulfillmentStatus": _FULFILLMENT.get(o["fulfillment_status"], "UNFULFILLED"),
            "currencyCode": o["currency"],
            "presentmentCurrencyCode": o.get("presentment_currency") or o["currency"],
            "taxesIncluded": o["taxes_included"],
            "totalPriceSet": money_bag(o["total_price"], cur),
            "subtotalPriceSet": money_bag(o["subtotal_price"], cur),
            "totalTaxSet": money_bag(o["total_tax"], cur),
            "totalShippingPriceSet": money_bag(o["total_shipping_price"], cur),
            "totalDiscountsSet": money_bag(o["total_discounts"], cur),
            "customer": lambda info: self.customer(customer) if customer else None,
            "billingAddress": address_view(o.get("billing_address")),
            "shippingAddress": address_view(o.get("shipping_address")),
            "lineItems": lambda info, **a: connection(a, o["line_items"], by_id, lambda li: self.line_item(li, cur)),
            "shippingLines": lambda info, **a: connection(
                a, o["shipping_lines"], by_id, lambda s: _shipping_view(s, cur)
            ),
            "taxLines": [_tax_view(t, cur) for t in o["tax_lines"]],
            "discountCodes": [d["code"] for d in o["discount_codes"]],
            "paymentGatewayNames": o["payment_gateway_names"],
            "transactions": lambda info, first=None: [_transaction_view(t, cur) for t in o["transactions"][:first]],
            **FulfillmentViews(self.sb, self).of_order(o),
            **RefundViews(self.sb, self).of_order(o),
            "customAttributes": [{"key": a["name"], "value": a.get("value")} for a in o["note_attributes"]],
            "purchasingEntity": lambda info: self.purchasing_entity(o, customer),
            "paymentTerms": _terms_view(o.get("payment_terms")),
        }

    def purchasing_entity(self, o: Record, customer: Record | None) -> View | None:
        """A B2B order's company and location (``PurchasingCompany``), else its customer (D2C)."""
        company = o.get("company")
        if company:
            return {"__typename": "PurchasingCompany", "company": {
                "id": gid("Company", company["id"]), "name": company["name"]}, "location": {
                "id": gid("CompanyLocation", company["location_id"]), "name": company["location_name"],
                "taxSettings": {"taxExempt": bool(company.get("tax_exempt")),
                                "taxRegistrationId": company.get("tax_registration_id")}}}
        return {"__typename": "Customer", **self.customer(customer)} if customer else None

    def line_item(self, li: Record, cur: str | Presented) -> View:
        variant = self.store.variants.get(li["variant_id"] or 0)
        product = self.store.products.get(li["product_id"] or 0)
        price, discount = Decimal(str(li["price"])), Decimal(str(li["total_discount"]))
        unit = (price - discount / max(int(li["quantity"]), 1)).quantize(Decimal("0.01"))
        return {
            "id": gid("LineItem", li["id"]),
            "sku": li["sku"],
            "title": li["title"],
            "name": li["name"],
            "variantTitle": li["variant_title"],
            "vendor": li["vendor"],
            "quantity": li["quantity"],
            "requiresShipping": li["requires_shipping"],
            "taxable": li["taxable"],
            "variant": lambda info: self.variant(variant) if variant else None,
            "product": lambda info: self.product(product) if product else None,
            "originalUnitPriceSet": money_bag(price, cur),
            "discountedUnitPriceSet": money_bag(unit, cur),
            "totalDiscountSet": money_bag(discount, cur),
            "taxLines": lambda info, first=None: [_tax_view(t, cur) for t in li["tax_lines"][:first]],
        }


_FULFILLMENT = {
    None: "UNFULFILLED",
    "fulfilled": "FULFILLED",
    "partial": "PARTIALLY_FULFILLED",
    "restocked": "RESTOCKED",
    "in_progress": "IN_PROGRESS",
    "on_hold": "ON_HOLD",
    "scheduled": "SCHEDULED",
}


def by_id(record: Record) -> int:
    """Sort key for ``ID`` order: connection() already breaks ties by id."""
    return 0


VARIANT_SORTS: dict[str, Callable[[Record], Any]] = {
    "ID": by_id,
    "POSITION": lambda v: v["position"],
    "SKU": lambda v: v["sku"] or "",
    "TITLE": lambda v: variant_title(v).casefold(),
}


def address_view(a: Record | None) -> View | None:
    if not a:
        return None
    name = " ".join(part for part in (a.get("first_name"), a.get("last_name")) if part)
    return {
        "id": gid("MailingAddress", a["id"]),
        "address1": a.get("address1"),
        "address2": a.get("address2"),
        "city": a.get("city"),
        "company": a.get("company"),
        "country": a.get("country"),
        "countryCodeV2": a.get("country_code"),
        "firstName": a.get("first_name"),
        "lastName": a.get("last_name"),
        "name": name or None,
        "phone": a.get("phone"),
        "province": a.get("province"),
        "provinceCode": a.get("province_code"),
        "zip": a.get("zip"),
    }


def _tax_view(tax: Record, cur: str | Presented) -> View:
    rate = float(tax["rate"])
    return {
        "title": tax["title"],
        "rate": rate,
        "ratePercentage": round(rate * 100, 4),
        "priceSet": money_bag(tax["price"], cur),
    }


def _shipping_view(line: Record, cur: str | Presented) -> View:
    return {
        "id": gid("ShippingLine", line["id"]),
        "title": line["title"],
        "code": line["code"],
        "source": line["source"],
        "originalPriceSet": money_bag(line["price"], cur),
        "discountedPriceSet": money_bag(line["discounted_price"], cur),
        "taxLines": [_tax_view(t, cur) for t in line["tax_lines"]],
    }


def _terms_view(terms: Record | None) -> View | None:
    """REST ``payment_terms`` as the GraphQL ``PaymentTerms`` (name, NET/FIXED/…, days)."""
    if not terms:
        return None
    return {"id": gid("PaymentTerms", terms["id"]), "paymentTermsName": terms["payment_terms_name"],
            "paymentTermsType": str(terms["payment_terms_type"]).upper(), "dueInDays": terms.get("due_in_days")}


def _transaction_view(t: Record, cur: str | Presented) -> View:
    return {
        "id": gid("OrderTransaction", t["id"]),
        "kind": str(t["kind"]).upper(),
        "status": str(t["status"]).upper(),
        "gateway": t["gateway"],
        "amountSet": money_bag(t["amount"], cur),
        "createdAt": t["created_at"],
        "processedAt": t["created_at"],
        "test": bool(t["test"]),
    }

