"""A cart: lines of products with quantities."""

from __future__ import annotations

from dataclasses import dataclass, field

from shopcart.catalog import Catalog, Product
from shopcart.money import ZERO, Money


@dataclass
class Line:
    product: Product
    quantity: int

    @property
    def total(self) -> Money:
        return self.product.price.times(self.quantity)


@dataclass
class Cart:
    catalog: Catalog
    lines: dict[str, Line] = field(default_factory=dict)

    def add(self, sku: str, quantity: int = 1) -> None:
        if quantity <= 0:
            raise ValueError("quantity must be positive")
        product = self.catalog.require(sku)
        line = self.lines.get(sku)
        if line is None:
            self.lines[sku] = Line(product, quantity)
        else:
            line.quantity += quantity

    def remove(self, sku: str, quantity: int = 1) -> None:
        line = self.lines[sku]
        line.quantity -= quantity
        if line.quantity <= 0:
            del self.lines[sku]

    def item_count(self) -> int:
        return sum(line.quantity for line in self.lines.values())

    def subtotal(self) -> Money:
        amount = ZERO
        for line in self.lines.values():
            amount = amount + line.total
        return amount

    def taxable_subtotal(self) -> Money:
        amount = ZERO
        for line in self.lines.values():
            if line.product.taxable:
                amount = amount + line.total
        return amount
