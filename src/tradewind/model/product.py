"""Products with variants: what a catalogue sync moves."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

from tradewind.model.entity import Entity
from tradewind.model.identifiers import GTIN, SKU
from tradewind.model.money import Amount, Money


class Image(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str
    alt: str | None = None
    position: int = 0


class Variant(BaseModel):
    """One sellable article: a size/colour of a product, keyed by SKU."""

    model_config = ConfigDict(extra="forbid")

    sku: SKU
    ean: GTIN | None = None
    title: str | None = None
    options: dict[str, str] = Field(default_factory=dict, description="e.g. {'size': 'M', 'colour': 'red'}")
    price: Money | None = None
    compare_at_price: Money | None = None
    cost_price: Money | None = None
    weight_grams: Amount | None = None
    active: bool = True


class Product(Entity):
    """A product as the shop shows it, with one or more variants."""

    kind: ClassVar[str] = "product"

    key: str = Field(description="The product's own code (model code, handle); variants carry SKUs")
    title: str
    description: str | None = None
    vendor: str | None = None
    product_type: str | None = None
    tags: list[str] = Field(default_factory=list)
    attributes: dict[str, str | bool | int | Decimal | None] = Field(default_factory=dict)
    images: list[Image] = Field(default_factory=list)
    variants: list[Variant] = Field(min_length=1)
    vat_rate: Amount | None = Field(default=None, description="Sales VAT rate in percent, e.g. 21")
    prices_include_vat: bool | None = Field(default=None, description="Whether the variants' prices are gross; "
                                            "None when the source does not say (they are written as they are)")
    active: bool = True

    @model_validator(mode="after")
    def _unique_skus(self) -> Product:
        seen: set[str] = set()
        for variant in self.variants:
            if variant.sku in seen:
                raise ValueError(f"SKU {variant.sku!r} appears twice in product {self.key!r}")
            seen.add(variant.sku)
        return self

    @property
    def option_names(self) -> list[str]:
        """Option names in first-seen order (Shopify wants them ordered)."""
        names: list[str] = []
        for variant in self.variants:
            names.extend(name for name in variant.options if name not in names)
        return names
