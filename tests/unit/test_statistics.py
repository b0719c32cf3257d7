"""Each comparison statistic against values worked out by hand."""

from __future__ import annotations

import bisect
import math
import random

import numpy as np
import pytest
from scipy.stats import binom, mannwhitneyu

from sessions.analysis.comparison import arm_table, pairwise
from sessions.analysis.statistics import (
    bootstrap_median_ci,
    cliffs_delta,
    cliffs_magnitude,
    mann_whitney,
    median_distribution,
)
from sessions.analysis.trial_row import TrialRow


def test_cliffs_delta_by_hand() -> None:
    # pairs (x>y, x<y): 1 vs [2,3] -> 0,2 ; 4 vs [2,3] -> 2,0 ; 2 vs [2,3] -> 0,1 (one tie)
    assert cliffs_delta([1, 4, 2], [2, 3]) == pytest.approx((2 - 3) / 6)
    assert cliffs_delta([5, 6], [1, 2]) == 1.0
    assert cliffs_delta([1, 1], [1, 1]) == 0.0, "all ties"
    assert math.isnan(cliffs_delta([], [1]))


def test_cliffs_delta_counts_every_pair_with_ties() -> None:
    """The sorted count must equal the definition, pair by pair, ties included."""
    rng = random.Random(7)
    for _ in range(200):
        x = [rng.choice([0.5, 1.0, 1.5, 2.0, rng.random()]) for _ in range(rng.randint(1, 30))]
        y = [rng.choice([0.5, 1.0, 1.5, 2.0, rng.random()]) for _ in range(rng.randint(1, 30))]
        pairs = [(a > b) - (a < b) for a in x for b in y]
        assert cliffs_delta(x, y) == pytest.approx(sum(pairs) / len(pairs))


@pytest.mark.parametrize(
    ("delta", "magnitude"),
    [
        (0.0, "negligible"),
        (-0.146, "negligible"),
        (0.147, "small"),
        (0.329, "small"),
        (-0.33, "medium"),
        (0.473, "medium"),
        (0.474, "large"),
        (-1.0, "large"),
    ],
)
def test_cliffs_magnitude_thresholds(delta: float, magnitude: str) -> None:
    assert cliffs_magnitude(delta) == magnitude


def test_mann_whitney_exact_small_samples() -> None:
    result = mann_whitney([1.0, 2.0, 3.0], [4.0, 5.0, 6.0])
    # U of x = 0; the exact two-sided p for 3 vs 3 with full separation is 2/20.
    assert (result.u, result.method) == (0.0, "exact")
    assert result.p == pytest.approx(0.1)


def test_mann_whitney_with_ties_is_asymptotic_and_says_so() -> None:
    result = mann_whitney([1.0, 2.0, 2.0], [2.0, 3.0, 4.0])
    assert result.method == "asymptotic"
    # U counts ties as half: x>y pairs 0, ties (2 vs 2) x2 -> U = 0 + 0.5*2 = 1.0
    assert result.u == pytest.approx(1.0)


def test_mann_whitney_n_below_three_still_answers() -> None:
    result = mann_whitney([1.0], [2.0, 3.0])
    assert result.method == "exact" and result.p == pytest.approx(2 / 3)
    assert math.isnan(mann_whitney([], [1.0]).p)


@pytest.mark.parametrize("tied", [False, True])
def test_mann_whitney_gives_scipys_u_and_p(tied: bool) -> None:
    """compare computes the U test itself (scipy.stats costs 0.7 s to import); it must be
    scipy's test exactly: same U, same p, by the method scipy uses for the same samples."""
    rng = random.Random(20261202)
    methods = set()
    for _ in range(150):
        m, n = rng.randint(1, 12), rng.randint(1, 25)
        if tied:
            x = [float(rng.randint(0, 5)) for _ in range(m)]
            y = [float(rng.randint(0, 6)) for _ in range(n)]
        else:
            x = [rng.random() for _ in range(m)]
            y = [rng.random() + rng.choice([0.0, 0.4]) for _ in range(n)]
        ours = mann_whitney(x, y)
        theirs = mannwhitneyu(x, y, alternative="two-sided")  # scipy's own choice of method
        assert ours.u == pytest.approx(float(theirs.statistic), abs=1e-9), (x, y)
        assert ours.p == pytest.approx(float(theirs.pvalue), rel=1e-9, abs=1e-12), (x, y)
        methods.add(ours.method)
    assert methods == {"exact", "asymptotic"}, "both of scipy's methods were compared"
    # A large first sample against a small one is exact too; either order gives scipy's p.
    big, small = [rng.random() for _ in range(300)], [rng.random() + 0.2 for _ in range(6)]
    for x, y in ((big, small), (small, big)):
        ours, theirs = mann_whitney(x, y), mannwhitneyu(x, y, alternative="two-sided")
        assert ours.method == "exact" and ours.p == pytest.approx(float(theirs.pvalue), rel=1e-9)
    assert mann_whitney([2.0, 2.0], [2.0, 2.0, 2.0]).p == 1.0, "all equal: no evidence"


def test_bootstrap_ci_brackets_the_median_and_needs_no_seed() -> None:
    values = [1.0, 2.0, 3.0, 4.0, 100.0]
    low, high = bootstrap_median_ci(values)
    assert (low, high) == bootstrap_median_ci(list(reversed(values))), "order does not matter"
    assert low <= float(np.median(values)) <= high
    assert bootstrap_median_ci([7.0]) == (7.0, 7.0)
    assert all(math.isnan(v) for v in bootstrap_median_ci([]))


@pytest.mark.parametrize(
    "values",
    [
        [1.0, 2.0, 2.0, 5.0, 9.0],
        [1.0, 3.0, 4.0, 8.0, 8.0, 20.0],
        [1.0, 2.0],
        [float(v) for v in np.random.default_rng(3).lognormal(size=12)],
        [float(v) for v in np.random.default_rng(4).integers(0, 5, size=21)],
    ],
)
def test_the_median_distribution_is_what_resampling_gives(values: list[float]) -> None:
    """The computed distribution against resampling done the slow, obvious way: the share
    of 200,000 resample medians at or below each value agrees within sampling error, and
    the interval is the resamples' own 2.5th and 97.5th percentiles."""
    distribution = median_distribution(values)
    assert sum(p for _, p in distribution) == pytest.approx(1.0, abs=1e-12)
    rng = np.random.default_rng(2)
    slow = np.median(rng.choice(values, size=(200_000, len(values))), axis=1)
    cumulative = 0.0
    for value, p in distribution:
        cumulative += p
        assert float(np.mean(slow <= value)) == pytest.approx(cumulative, abs=0.005), value
    low, high = np.percentile(slow, [2.5, 97.5])
    assert bootstrap_median_ci(values) == pytest.approx((float(low), float(high)))
    if len(values) % 2:
        # Odd n, exactly: with c of the n values <= v, a resample's median is <= v when
        # at least (n + 1) / 2 of its n draws are: P(Binomial(n, c/n) >= (n + 1) / 2).
        n, rank = len(values), (len(values) + 1) // 2
        for v in set(values):
            c = sum(1 for x in values if x <= v)
            exact = float(binom.sf(rank - 1, n, c / n))
            assert sum(p for w, p in distribution if w <= v) == pytest.approx(exact, abs=1e-12)


def test_a_large_arm_takes_one_pass_not_thousands_of_resamples() -> None:
    """3,000 trials: the interval matches 20,000 resamples' to within their own noise."""
    rng = np.random.default_rng(9)
    values = [float(v) for v in rng.lognormal(size=3000)]
    low, high = bootstrap_median_ci(values)
    slow = np.median(rng.choice(values, size=(20_000, len(values))), axis=1)
    ordered = sorted(values)
    for ours, theirs in zip((low, high), np.percentile(slow, [2.5, 97.5]), strict=True):
        # Within a few order statistics of each other.
        assert abs(bisect.bisect_left(ordered, ours) - bisect.bisect_left(ordered, theirs)) <= 6


def _row(arm: str, cost: float, won: bool = True, read: int = 0) -> TrialRow:
    return TrialRow(
        arm_name=arm,
        arm=arm,
        task="t",
        trial=f"{arm}-{cost}",
        origin="session",
        source="SIMULATED",
        simulated=True,
        config=arm,
        configuration="",
        path="",
        outcome="success" if won else "failed",
        success=won,
        cost_usd=cost,
        wall_s=cost * 10,
        turns=int(cost),
        lead_cache_read=read,
    )


def _rows() -> list[TrialRow]:
    rows = []
    for arm, costs, successes, reads in (
        ("A", [1.0, 2.0, 3.0], [True, True, False], [100, 200, 300]),
        ("B", [2.0, 4.0, 6.0, 8.0], [True, True, True, True], [300, 400, 500, 600]),
    ):
        for cost, won, read in zip(costs, successes, reads, strict=True):
            rows.append(_row(arm, cost, won, read))
    return rows


def test_arm_table_success_only_medians_and_ratios() -> None:
    a, b = arm_table(_rows(), baseline="A")
    assert (a["arm"], b["arm"]) == ("A", "B")
    assert (a["trials"], a["successes"]) == (3, 2) and a["success_rate"] == pytest.approx(2 / 3)
    assert a["median_cost_usd"] == 1.5, "the failed trial's cost is not in the median"
    assert a["cost_per_success_usd"] == pytest.approx(1.5 / (2 / 3))
    assert (b["median_cost_usd"], b["median_turns"], b["median_wall_s"]) == (5.0, 5.0, 50.0)
    assert a["reread_ratio"] == 1.0 and b["reread_ratio"] == pytest.approx(450 / 150)


def test_pairwise_uses_success_only_costs() -> None:
    (row,) = pairwise(_rows())
    assert (row["arm_a"], row["arm_b"], row["n_a"], row["n_b"]) == ("A", "B", 2, 4)
    assert row["cliffs_delta"] == pytest.approx(cliffs_delta([1.0, 2.0], [2.0, 4.0, 6.0, 8.0]))


def test_a_size_is_not_named_on_fewer_than_three_trials_an_arm() -> None:
    """Two trials against two gave d = +1.00, `large`, by chance alone."""
    from sessions.analysis.comparison import pairwise
    from sessions.analysis.statistics import cliffs_magnitude

    assert cliffs_magnitude(1.0, 2, 2) == "too few trials"
    assert cliffs_magnitude(1.0, 3, 3) == "large"
    rows = [
        _row(arm, cost) for arm, costs in (("A", [1.0, 1.1]), ("B", [2.0, 2.1])) for cost in costs
    ]
    [pair] = pairwise(rows)
    assert pair["cliffs_delta"] == -1.0 and pair["magnitude"] == "too few trials"
