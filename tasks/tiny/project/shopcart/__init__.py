"""A small shopping-cart library: money, a product catalog, carts, pricing and receipts."""

from shopcart.cart import Cart, Line
from shopcart.catalog import Catalog, Product, load_catalog
from shopcart.money import ZERO, Money
from shopcart.pricing import discount, tax, total
from shopcart.receipt import render_receipt

__all__ = [
    "ZERO",
    "Cart",
    "Catalog",
    "Line",
    "Money",
    "Product",
    "discount",
    "load_catalog",
    "render_receipt",
    "tax",
    "total",
]
