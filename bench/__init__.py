"""Benchmarks: each prints its figures and their ratio to the target (ratio < 1 is met)."""
