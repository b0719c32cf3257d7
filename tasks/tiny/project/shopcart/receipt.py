"""Plain-text receipts."""

from __future__ import annotations

from shopcart.cart import Cart
from shopcart.pricing import discount, tax, total


def render_receipt(cart: Cart, rate_percent: int) -> str:
    rows: list[str] = []
    for sku in sorted(cart.lines):
        line = cart.lines[sku]
        price = line.product.price.format()
        amount = line.total.format()
        rows.append(f"{line.product.name:<20}{line.quantity:>4} x {price:>9} {amount:>10}")
    rows.append(f"{'Subtotal':<35}{cart.subtotal().format():>10}")
    saved = discount(cart)
    if saved.cents:
        rows.append(f"{'Discount':<35}{'-' + saved.format():>10}")
    rows.append(f"{'Tax':<35}{tax(cart, rate_percent).format():>10}")
    rows.append(f"{'Total':<35}{total(cart, rate_percent).format():>10}")
    return "\n".join(rows)
