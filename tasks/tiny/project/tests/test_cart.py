from __future__ import annotations

import pytest

from shopcart import Cart, Catalog, Money


def test_add_merges_lines(catalog: Catalog) -> None:
    cart = Cart(catalog)
    cart.add("APL", 2)
    cart.add("APL")
    assert cart.lines["APL"].quantity == 3
    assert cart.item_count() == 3


def test_add_rejects_non_positive(catalog: Catalog) -> None:
    with pytest.raises(ValueError):
        Cart(catalog).add("APL", 0)


def test_remove_drops_empty_line(catalog: Catalog) -> None:
    cart = Cart(catalog)
    cart.add("CHS", 2)
    cart.remove("CHS", 2)
    assert "CHS" not in cart.lines


def test_subtotal(catalog: Catalog) -> None:
    cart = Cart(catalog)
    cart.add("APL", 4)
    cart.add("CHS")
    assert cart.subtotal() == Money(999)


def test_taxable_subtotal_skips_untaxed(catalog: Catalog) -> None:
    cart = Cart(catalog)
    cart.add("BRD", 2)
    cart.add("APL", 2)
    assert cart.taxable_subtotal() == Money(100)
