"""One line per figure: value, target and their ratio (below 1.00 means the target is met)."""

from __future__ import annotations


def report(name: str, value: float, target: float, unit: str, *, at_least: bool = False) -> None:
    """`at_least`: the target is a minimum (a rate), so the ratio is target / value."""
    ratio = target / value if at_least else value / target
    print(f"{name:<36} {value:10.3f} {unit:<4} target {target:g} {unit:<4} ratio {ratio:5.2f}")
