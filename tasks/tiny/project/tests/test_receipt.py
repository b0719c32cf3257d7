from __future__ import annotations

from shopcart import Cart, Catalog, render_receipt


def test_receipt_lists_lines_and_totals(catalog: Catalog) -> None:
    cart = Cart(catalog)
    cart.add("CHS")
    cart.add("APL", 2)
    text = render_receipt(cart, 10)
    lines = text.splitlines()
    assert lines[0].startswith("Apple")
    assert lines[1].startswith("Cheese")
    assert lines[-1].endswith("$9.89")
    assert "Discount" not in text


def test_receipt_shows_discount(catalog: Catalog) -> None:
    cart = Cart(catalog)
    cart.add("APL", 12)
    assert "-$0.30" in render_receipt(cart, 0)
