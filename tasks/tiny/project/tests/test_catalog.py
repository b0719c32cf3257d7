from __future__ import annotations

import pytest

from shopcart import Catalog, Money, Product


def test_load_skips_comments_and_blanks(catalog: Catalog) -> None:
    assert len(catalog) == 3


def test_untaxed_flag(catalog: Catalog) -> None:
    bread = catalog.require("BRD")
    assert bread.taxable is False
    assert bread.price == Money(325)


def test_get_missing_returns_none(catalog: Catalog) -> None:
    assert catalog.get("NOPE") is None


def test_require_missing_raises(catalog: Catalog) -> None:
    with pytest.raises(KeyError):
        catalog.require("NOPE")


def test_duplicate_sku_rejected(catalog: Catalog) -> None:
    with pytest.raises(ValueError, match="duplicate"):
        catalog.add(Product("APL", "Another apple", Money(1)))
