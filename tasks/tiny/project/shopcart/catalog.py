"""Products and the catalog they are looked up in."""

from __future__ import annotations

from dataclasses import dataclass

from shopcart.money import Money


@dataclass(frozen=True)
class Product:
    sku: str
    name: str
    price: Money
    taxable: bool = True


class Catalog:
    def __init__(self) -> None:
        self._products: dict[str, Product] = {}

    def add(self, product: Product) -> None:
        if product.sku in self._products:
            raise ValueError(f"duplicate sku {product.sku}")
        self._products[product.sku] = product

    def get(self, sku: str) -> Product | None:
        return self._products.get(sku)

    def require(self, sku: str) -> Product:
        product = self.get(sku)
        if product is None:
            raise KeyError(sku)
        return product

    def __len__(self) -> int:
        return len(self._products)


def load_catalog(lines: list[str]) -> Catalog:
    """Read 'sku,name,price[,untaxed]' lines; blank lines and # comments are skipped."""
    catalog = Catalog()
    for raw in lines:
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        fields = [field.strip() for field in line.split(",")]
        taxable = not (len(fields) > 3 and fields[3] == "untaxed")
        catalog.add(Product(fields[0], fields[1], Money.parse(fields[2]), taxable))
    return catalog
