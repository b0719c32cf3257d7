from __future__ import annotations

import pytest

from shopcart import Catalog, load_catalog

CATALOG_LINES = [
    "# sku,name,price[,untaxed]",
    "APL,Apple,0.50",
    "BRD,Bread,3.25,untaxed",
    "",
    "CHS,Cheese,7.99",
]


@pytest.fixture
def catalog() -> Catalog:
    return load_catalog(CATALOG_LINES)
