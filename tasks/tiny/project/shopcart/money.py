"""Money held as whole cents, so sums never drift the way floats do."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Money:
    cents: int

    @classmethod
    def parse(cls, text: str) -> Money:
        """Read '12.34', '$12.34' or '-0.50'."""
        cleaned = text.strip().lstrip("$")
        negative = cleaned.startswith("-")
        whole, _, frac = cleaned.lstrip("-").partition(".")
        cents = int(whole or "0") * 100 + int((frac + "00")[:2])
        return cls(-cents if negative else cents)

    def __add__(self, other: Money) -> Money:
        return Money(self.cents + other.cents)

    def __sub__(self, other: Money) -> Money:
        return Money(self.cents - other.cents)

    def times(self, quantity: int) -> Money:
        return Money(self.cents * quantity)

    def percent(self, pct: int) -> Money:
        """pct percent of this amount, rounded half up to the cent."""
        return Money((self.cents * pct + 50) // 100)

    def format(self) -> str:
        sign = "-" if self.cents < 0 else ""
        whole, frac = divmod(abs(self.cents), 100)
        return f"{sign}${whole}.{frac:02d}"


ZERO = Money(0)
