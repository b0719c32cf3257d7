from __future__ import annotations

from shopcart import ZERO, Cart, Catalog, Money, discount, tax, total


def test_no_discount_below_threshold(catalog: Catalog) -> None:
    cart = Cart(catalog)
    cart.add("APL", 9)
    assert discount(cart) == ZERO


def test_discount_at_exactly_threshold(catalog: Catalog) -> None:
    cart = Cart(catalog)
    cart.add("APL", 10)
    assert discount(cart) == Money(25)


def test_tax_only_on_taxable(catalog: Catalog) -> None:
    cart = Cart(catalog)
    cart.add("BRD")
    cart.add("CHS")
    assert tax(cart, 10) == Money(80)


def test_total(catalog: Catalog) -> None:
    cart = Cart(catalog)
    cart.add("APL", 10)
    cart.add("BRD")
    # 5.00 + 3.25 = 8.25; discount 5% = 0.41; tax 10% of 5.00 = 0.50
    assert total(cart, 10) == Money(834)
