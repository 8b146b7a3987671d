"""Layer 1: the canonical entities every connector translates to and from. Pure: no I/O."""

from tradewind.model.address import Address, Contact
from tradewind.model.customer import Customer, CustomerKind
from tradewind.model.entity import Entity, UtcDateTime, content_hash
from tradewind.model.identifiers import GTIN, IBAN, SKU, CountryCode, VatNumber
from tradewind.model.invoice import Invoice, InvoiceLine, InvoiceStatus
from tradewind.model.money import Amount, Money, total
from tradewind.model.order import (
    Discount,
    FinancialStatus,
    FulfillmentStatus,
    Order,
    OrderLine,
    OrderStage,
    PaymentInfo,
    ShippingLine,
    TaxLine,
)
from tradewind.model.payment import Payment, PaymentKind
from tradewind.model.price import Price
from tradewind.model.product import Image, Product, Variant
from tradewind.model.refund import Refund, RefundAdjustment, RefundLine, RefundTransaction
from tradewind.model.shipment import Shipment, ShipmentLine
from tradewind.model.stock import StockLevel

ENTITIES: dict[str, type[Entity]] = {
    cls.kind: cls for cls in (Product, Price, StockLevel, Customer, Order, Shipment, Invoice, Payment, Refund)
}
"""Every canonical entity by its kind name, as project files and bindings name them."""

__all__ = [
    "ENTITIES",
    "GTIN",
    "IBAN",
    "SKU",
    "Address",
    "Amount",
    "Contact",
    "CountryCode",
    "Customer",
    "CustomerKind",
    "Discount",
    "Entity",
    "FinancialStatus",
    "FulfillmentStatus",
    "Image",
    "Invoice",
    "InvoiceLine",
    "InvoiceStatus",
    "Money",
    "Order",
    "OrderLine",
    "OrderStage",
    "Payment",
    "PaymentInfo",
    "PaymentKind",
    "Price",
    "Product",
    "Refund",
    "RefundAdjustment",
    "RefundLine",
    "RefundTransaction",
    "Shipment",
    "ShipmentLine",
    "ShippingLine",
    "StockLevel",
    "TaxLine",
    "UtcDateTime",
    "Variant",
    "VatNumber",
    "content_hash",
    "total",
]
