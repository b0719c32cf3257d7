"""The statistics a comparison reports, as plain functions over lists, in plain Python.

Matching the published analysis: success-only medians, a percentile bootstrap CI of the
median (computed from the resampling distribution itself rather than from 10,000 seeded
resamples: the same interval without their noise, and without numpy, whose import took a
third of `compare`'s time on a paper's 40 rows), two-sided Mann-Whitney U (exact for
small samples without ties, as scipy's own rule, and the method used is reported) and
Cliff's delta with the usual magnitude thresholds.

The U test is computed here rather than by `scipy.stats.mannwhitneyu`: importing
scipy.stats takes 0.6-0.8 s, more than everything else `compare` does on a paper's 40
rows. It is the same test, step for step (average ranks, U of the first sample, the exact
null distribution or the normal one with tie and continuity corrections), and
tests/unit/test_statistics.py holds it to scipy's p-values on a few hundred samples.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

# scipy's rule: exact while one sample has at most 8 values and nothing ties.
EXACT_UP_TO = 8


def cliffs_delta(x: Sequence[float], y: Sequence[float]) -> float:
    """P(X > Y) - P(X < Y) over all pairs; NaN when either side is empty. Counted with
    a sorted copy of y, so two arms of thousands of trials take milliseconds."""
    if not len(x) or not len(y):
        return math.nan
    ordered = sorted(y)
    wins = sum(bisect_left(ordered, value) for value in x)
    losses = sum(len(ordered) - bisect_right(ordered, value) for value in x)
    return (wins - losses) / (len(x) * len(y))


# Fewer successful trials than this in either arm, and Cliff's delta of two against two
# is +-1.00 by chance alone: its size is not named.
MIN_TRIALS_FOR_SIZE = 3
TOO_FEW = "too few trials"


def cliffs_magnitude(
    delta: float, n_a: int = MIN_TRIALS_FOR_SIZE, n_b: int = MIN_TRIALS_FOR_SIZE
) -> str:
    if math.isnan(delta):
        return "n/a"
    if min(n_a, n_b) < MIN_TRIALS_FOR_SIZE:
        return TOO_FEW
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
    """Two-sided U of x against y; exact when a sample has at most 8 values and nothing ties."""
    if len(x) < 1 or len(y) < 1:
        return MannWhitney(math.nan, math.nan, "n/a")
    m, n = len(x), len(y)
    ranks = _average_ranks([*x, *y])
    u = sum(ranks[:m]) - m * (m + 1) / 2
    # Two-sided: the larger of U and its mirror m*n - U, its upper tail, doubled.
    larger = max(u, m * n - u)
    ties = [count for count in Counter([*x, *y]).values() if count > 1]
    if min(m, n) <= EXACT_UP_TO and not ties:
        p = 2 * _exact_upper_tail(int(larger), m, n)
        method = "exact"
    else:
        p = 2 * _normal_upper_tail(larger, m, n, ties)
        method = "asymptotic"
    return MannWhitney(float(u), min(1.0, p), method)


def _average_ranks(values: Sequence[float]) -> list[float]:
    """1-based ranks, tied values sharing the mean of the ranks they span."""
    order = sorted(range(len(values)), key=values.__getitem__)
    ranks = [0.0] * len(values)
    start = 0
    while start < len(order):
        stop = start
        while stop + 1 < len(order) and values[order[stop + 1]] == values[order[start]]:
            stop += 1
        for i in order[start : stop + 1]:
            ranks[i] = (start + stop) / 2 + 1
        start = stop + 1
    return ranks


def _exact_upper_tail(u: int, m: int, n: int) -> float:
    """P(U >= u) when nothing ties: of the C(m+n, m) equally likely orderings, the share
    whose U is at least u. The counts by U are the coefficients of the Gaussian binomial
    prod_{i=1..m} (1 - q^(n+i)) / (1 - q^i), built in whole numbers."""
    # The product is the same either way round; over the smaller sample it is short.
    m, n = sorted((m, n))
    counts = [1] + [0] * (m * n)
    for i in range(1, m + 1):
        # times (1 - q^(n+i)), then divided by (1 - q^i): a running sum with stride i.
        for k in range(m * n, n + i - 1, -1):
            counts[k] -= counts[k - n - i]
        for k in range(i, m * n + 1):
            counts[k] += counts[k - i]
    return sum(counts[u:]) / math.comb(m + n, m)


def _normal_upper_tail(u: float, m: int, n: int, ties: list[int]) -> float:
    """P(U >= u) by the normal approximation, with the tie-corrected variance and the
    continuity correction."""
    total = m + n
    tie_term = sum(t**3 - t for t in ties)
    variance = m * n / 12 * ((total + 1) - tie_term / (total * (total - 1)))
    if variance <= 0:
        return 0.5  # every value equal: no evidence either way (doubled, p = 1)
    z = (u - m * n / 2 - 0.5) / math.sqrt(variance)
    return 0.5 * math.erfc(z / math.sqrt(2))


def bootstrap_median_ci(values: Sequence[float], level: float = 0.95) -> tuple[float, float]:
    """Percentile bootstrap CI of the median, from the resampling distribution itself
    (`median_distribution`): the interval that 10,000, or any number of, seeded resamples
    approach, without their noise or their seed."""
    if not len(values):
        return math.nan, math.nan
    distribution = median_distribution(values)
    tail = (1 - level) / 2
    return _quantile(distribution, tail), _quantile(distribution, 1 - tail)


def median_distribution(values: Sequence[float]) -> list[tuple[float, float]]:
    """Every value the median of a bootstrap resample of `values` can take, ascending, with
    its probability.

    A resample is n draws, with replacement, of positions in the sorted data. Its median is
    the r-th smallest drawn position (n odd), or the mean of the r-th and the next (n even),
    with r = ceil(n / 2). The r-th is at position a or before when at least r of the n draws
    land on the a smallest values: P(Binomial(n, a/n) >= r). For n even, the r-th at a and
    the next at b > a means: r draws on positions up to a, one of them a, and the other
    n - r on b or after, one of them b. That probability factorises, so the pairs are
    listed in O(n) steps each, and the few far apart (below 1e-18) are left out.
    """
    data = sorted(float(v) for v in values)
    n = len(data)
    r = (n + 1) // 2
    up_to = [_binomial_at_least(r, n, a / n) for a in range(n + 1)]
    lowest = [up_to[a] - up_to[a - 1] for a in range(1, n + 1)]  # P(the r-th is at a)
    if n % 2:
        return _merged((data[a], p) for a, p in enumerate(lowest) if p > 0)
    rest = n - r
    log_ways = math.lgamma(n + 1) - math.lgamma(r + 1) - math.lgamma(rest + 1)
    outcomes: list[tuple[float, float]] = []
    for a in range(1, n + 1):
        p_a = lowest[a - 1]
        if p_a < _NEGLIGIBLE:
            continue
        # r draws up to a, one of them at a; the rest after a, none of them at a.
        low = log_ways + r * math.log(a / n) + math.log1p(-(((a - 1) / a) ** r))
        after = math.exp(low + rest * math.log((n - a) / n)) if a < n else 0.0
        outcomes.append((data[a - 1], max(0.0, p_a - after)))
        for b in range(a + 1, n + 1):
            # The rest on b or after, one of them at b.
            high = rest * math.log((n - b + 1) / n) + math.log1p(-(((n - b) / (n - b + 1)) ** rest))
            p = math.exp(low + high)
            if p < _NEGLIGIBLE:
                break  # later b are less likely still
            outcomes.append(((data[a - 1] + data[b - 1]) / 2, p))
    return _merged(outcomes)


# Probabilities below this are left out of a distribution: far below any level's tail.
_NEGLIGIBLE = 1e-18


def _binomial_at_least(k: int, n: int, p: float) -> float:
    """P(Binomial(n, p) >= k), summed from k away from the mean, where terms shrink."""
    if k <= 0 or p >= 1:
        return 1.0
    if k > n or p <= 0:
        return 0.0
    odds = p / (1 - p)
    upward = k > n * p
    i = k if upward else k - 1
    term = math.exp(
        math.lgamma(n + 1)
        - math.lgamma(i + 1)
        - math.lgamma(n - i + 1)
        + i * math.log(p)
        + (n - i) * math.log1p(-p)
    )
    total = 0.0
    while term > 0 and (term > _NEGLIGIBLE or term > 1e-16 * total):
        total += term
        if upward:
            if i == n:
                break
            term *= (n - i) / (i + 1) * odds
            i += 1
        else:
            if i == 0:
                break
            term *= i / (n - i + 1) / odds
            i -= 1
    return min(1.0, total) if upward else max(0.0, 1.0 - total)


def _merged(outcomes: Iterable[tuple[float, float]]) -> list[tuple[float, float]]:
    merged: dict[float, float] = {}
    for value, p in outcomes:
        merged[value] = merged.get(value, 0.0) + p
    return sorted(merged.items())


def _quantile(distribution: list[tuple[float, float]], share: float) -> float:
    """The least value with at least `share` of the probability at or below it."""
    total = sum(p for _, p in distribution)
    cumulative = 0.0
    for value, p in distribution:
        cumulative += p
        if cumulative >= share * total - 1e-12:
            return value
    return distribution[-1][0]
