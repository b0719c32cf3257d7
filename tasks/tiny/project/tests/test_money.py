from __future__ import annotations

from shopcart import ZERO, Money


def test_parse_plain() -> None:
    assert Money.parse("12.34") == Money(1234)


def test_parse_dollar_sign_and_short_fraction() -> None:
    assert Money.parse("$3.5") == Money(350)


def test_parse_negative() -> None:
    assert Money.parse("-0.50") == Money(-50)


def test_add_and_subtract() -> None:
    assert Money(150) + Money(75) - Money(25) == Money(200)


def test_times() -> None:
    assert Money(199).times(3) == Money(597)


def test_percent_rounds_half_up() -> None:
    assert Money(250).percent(5) == Money(13)


def test_format() -> None:
    assert Money(123456).format() == "$1234.56"
    assert Money(-5).format() == "-$0.05"
    assert ZERO.format() == "$0.00"
