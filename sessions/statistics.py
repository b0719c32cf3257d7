"""The statistics a comparison reports, as plain functions over arrays.

Matching the published analysis: success-only medians, a seeded 10,000-resample bootstrap
CI of the median, two-sided Mann-Whitney U (exact for small samples without ties, as
scipy's own rule, and the method used is reported) and Cliff's delta with the usual
magnitude thresholds.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

BOOTSTRAP_RESAMPLES = 10_000
BOOTSTRAP_SEED = 20261122
EXACT_BELOW = 8


def cliffs_delta(x: Sequence[float], y: Sequence[float]) -> float:
    """P(X > Y) - P(X < Y) over all pairs; 0 when either side is empty."""
    a, b = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if not len(a) or not len(b):
        return math.nan
    diff = a[:, None] - b[None, :]
    return float((np.sum(diff > 0) - np.sum(diff < 0)) / diff.size)


def cliffs_magnitude(delta: float) -> str:
    if math.isnan(delta):
        return "n/a"
    size = abs(delta)
    if size < 0.147:
        return "negligible"
    if size < 0.33:
        return "small"
    if size < 0.474:
        return "medium"
    return "large"


@dataclass(frozen=True)
class MannWhitney:
    u: float
    p: float
    method: str


def mann_whitney(x: Sequence[float], y: Sequence[float]) -> MannWhitney:
    """Two-sided U of x against y; exact when a sample is under 8 and nothing ties."""
    if len(x) < 1 or len(y) < 1:
        return MannWhitney(math.nan, math.nan, "n/a")
    tied = len(set(x) | set(y)) < len(x) + len(y)
    method = "exact" if min(len(x), len(y)) < EXACT_BELOW and not tied else "asymptotic"
    result = stats.mannwhitneyu(x, y, alternative="two-sided", method=method)
    return MannWhitney(float(result.statistic), float(result.pvalue), method)


def bootstrap_median_ci(
    values: Sequence[float],
    resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = BOOTSTRAP_SEED,
    level: float = 0.95,
) -> tuple[float, float]:
    """Percentile bootstrap CI of the median, all resamples drawn in one array."""
    data = np.asarray(values, dtype=float)
    if not len(data):
        return math.nan, math.nan
    rng = np.random.default_rng(seed)
    draws = data[rng.integers(0, len(data), size=(resamples, len(data)))]
    medians = np.median(draws, axis=1)
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(medians, [tail, 100 - tail])
    return float(low), float(high)
