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
    """Percentile bootstrap CI of the median over `resamples` seeded resamples.

    A resample's median is an order statistic of n positions drawn uniformly from the
    sorted data, and the k-th order statistic of n uniform draws is Beta(k, n - k + 1)
    distributed (the next one follows from it by a Beta(1, n - k) step). Drawing those
    directly gives each resample's median exactly in distribution, in O(resamples) rather
    than O(resamples x n): a cell of 800 trials takes milliseconds instead of a second.
    """
    if not len(values):
        return math.nan, math.nan
    medians = bootstrap_medians(values, resamples, seed)

    tail = (1 - level) / 2 * 100
    low, high = np.percentile(medians, [tail, 100 - tail])
    return float(low), float(high)


def bootstrap_medians(values: Sequence[float], resamples: int, seed: int) -> np.ndarray:
    """The median of each of `resamples` bootstrap resamples of non-empty `values`."""
    data = np.sort(np.asarray(values, dtype=float))
    n = len(data)
    rng = np.random.default_rng(seed)
    rank = (n + 1) // 2  # 1-based rank of the (lower) middle value
    lower = rng.beta(rank, n - rank + 1, size=resamples)
    if n % 2:
        medians = data[_position(lower, n)]
    else:
        upper = lower + (1 - lower) * rng.beta(1, n - rank, size=resamples)
        medians = (data[_position(lower, n)] + data[_position(upper, n)]) / 2
    return np.asarray(medians, dtype=float)


def _position(u: np.ndarray, n: int) -> np.ndarray:
    """The sorted-data index a uniform draw u in [0, 1) falls on."""
    return np.minimum((u * n).astype(np.intp), n - 1)
