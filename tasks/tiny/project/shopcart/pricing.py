"""Discounts, tax and the amount due."""

from __future__ import annotations

from shopcart.cart import Cart
from shopcart.money import ZERO, Money

BULK_THRESHOLD = 10
BULK_PERCENT = 5


def discount(cart: Cart) -> Money:
    """BULK_PERCENT off the subtotal once the cart holds BULK_THRESHOLD items or more."""
    if cart.item_count() >= BULK_THRESHOLD:
        return cart.subtotal().percent(BULK_PERCENT)
    return ZERO


def tax(cart: Cart, rate_percent: int) -> Money:
    return cart.taxable_subtotal().percent(rate_percent)


def total(cart: Cart, rate_percent: int) -> Money:
    return cart.subtotal() - discount(cart) + tax(cart, rate_percent)
