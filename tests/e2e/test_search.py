"""The elimination rule on fixed outcomes: worked examples where a candidate must and must
not be eliminated, and searches driven by scripted trial outcomes."""

from __future__ import annotations

import itertools
import json
import math
import shutil
from pathlib import Path
from typing import Any

import pytest

from fep_tui.cli import main
from sessions.analysis.search import (
    Objective,
    Outcomes,
    RunRound,
    SearchError,
    SearchResult,
    eliminated,
    interval,
    parse_objective,
    search,
    wilson,
)
from tests.app.pilots import success_search
from tests.conftest import run_cli

pytestmark = pytest.mark.anyio


def _outcomes(successes: int, trials: int, cost: float = 1.0) -> Outcomes:
    held = Outcomes()
    for n in range(trials):
        held.add(n < successes, cost)
    return held


def test_wilson_99_by_hand() -> None:
    # p = 0.8, n = 10, z = 2.5758: centre (0.8 + z^2/20) / (1 + z^2/10) = 0.6803,
    # half-width z * sqrt(0.016 + z^2/400) / (1 + z^2/10) = 0.2795.
    low = wilson(8, 10)
    assert (low.low, low.high) == pytest.approx((0.4008, 0.9598), abs=5e-4)
    # All successes: the upper bound is 1, the lower one well above a coin flip.
    perfect = wilson(20, 20)
    assert perfect.high == 1.0 and perfect.low == pytest.approx(0.7508, abs=5e-4)


def test_a_candidate_wholly_below_the_best_is_eliminated() -> None:
    """20/20 has a 99% interval [0.75, 1]; 2/20 has [0.02, 0.38]: wholly below."""
    stats = {"strong": _outcomes(20, 20), "weak": _outcomes(2, 20)}
    assert eliminated(stats, ["strong", "weak"], Objective("success")) == ["weak"]


def test_overlapping_intervals_eliminate_nobody() -> None:
    """12/20 and 9/20 overlap: the data cannot tell them apart yet."""
    stats = {"a": _outcomes(12, 20), "b": _outcomes(9, 20)}
    assert eliminated(stats, ["a", "b"], Objective("success")) == []


def test_cost_at_success_drops_what_cannot_reach_the_rate_even_if_cheap() -> None:
    cheap_but_weak = _outcomes(5, 20, cost=0.01)
    good = _outcomes(20, 20, cost=0.50)
    stats = {"cheap": cheap_but_weak, "good": good}
    objective = parse_objective("cost-at-success:0.9")
    assert interval(cheap_but_weak, objective).estimate == float("inf")
    assert eliminated(stats, ["cheap", "good"], objective) == ["cheap"]


def test_cost_per_success_keeps_the_cheaper_and_drops_the_dearer() -> None:
    cheap, dear = Outcomes(), Outcomes()
    for n in range(20):
        cheap.add(True, 0.10 + n * 0.001)
        dear.add(True, 0.90 + n * 0.001)
    stats = {"cheap": cheap, "dear": dear}
    assert eliminated(stats, ["cheap", "dear"], Objective("cost-per-success")) == ["dear"]


@pytest.mark.parametrize("text", ["speed", "cost-at-success", "cost-at-success:1.5", "success:1"])
def test_an_objective_that_cannot_be_read_names_the_forms(text: str) -> None:
    with pytest.raises(SearchError, match="use success, cost-per-success or cost-at-success"):
        parse_objective(text)


def _scripted(patterns: dict[str, list[bool]]) -> tuple[dict[str, int], RunRound]:
    """run_round that replays each candidate's outcomes in a cycle; counts trials."""
    cycles = {name: itertools.cycle(p) for name, p in patterns.items()}
    ran: dict[str, int] = dict.fromkeys(patterns, 0)

    def run_round(names: list[str]) -> list[tuple[str, bool, float]]:
        out = []
        for name in names:
            ran[name] += 1
            out.append((name, next(cycles[name]), 1.0))
        return out

    return ran, run_round


def _searched(
    patterns: dict[str, list[bool]], budget: int, per_candidate: int, **options: Any
) -> tuple[dict[str, int], SearchResult]:
    """A search for the most successful of scripted candidates: how often each ran, and
    what the search found."""
    ran, run_round = _scripted(patterns)
    goal = Objective("success")
    found = search(
        list(ran), run_round, goal, budget=budget, per_candidate=per_candidate, **options
    )
    return ran, found


def test_elimination_drops_losers_by_round_and_stops_when_one_is_left() -> None:
    patterns = {
        "always": [True],
        "never": [False],
        "half": [True, False],
        "mostly": [True, True, True, False],
    }
    ran, result = _searched(patterns, budget=400, per_candidate=100)
    assert result.best == "always" and result.stopped == "one left"
    gone = {e.candidate: e.round for e in result.eliminated}
    assert set(gone) == {"never", "half", "mostly"}
    assert gone["never"] <= gone["half"] <= gone["mostly"], "the clearer loser goes first"
    assert ran["never"] < ran["mostly"] <= ran["always"] <= 100
    assert result.trials == sum(ran.values()) < 4 * 100, "fewer trials than brute force"


def test_near_ties_end_as_cannot_tell_apart_within_the_per_candidate_cap() -> None:
    ran, result = _searched({"a": [True, False], "b": [False, True]}, 1000, 10)
    assert result.stopped == "cannot tell apart" and sorted(result.survivors) == ["a", "b"]
    assert ran == {"a": 10, "b": 10}


def test_a_resumed_search_counts_the_trials_it_already_has() -> None:
    known = {"good": [(True, 1.0)] * 20, "bad": [(False, 1.0)] * 20}
    ran, result = _searched({"good": [True], "bad": [False]}, 100, 50, known=known)
    assert result.best == "good" and ran == {"good": 0, "bad": 0}, "nothing run again"


def test_a_resumed_search_eliminates_each_candidate_in_the_round_it_fell_the_first_time() -> None:
    """Stopped after 24 trials and resumed with the full budget, a search takes the same
    decisions in the same rounds as one never stopped, and runs only what was left. (It
    used to judge everything on file at once: every fallen candidate was "out, on file".)"""
    patterns = {
        "always": [True],
        "never": [False],
        "half": [True, False],
        "mostly": [True, True, True, False],
    }
    goal = Objective("success")
    _, whole_run = _scripted(patterns)
    whole = search(list(patterns), whole_run, goal, budget=400, per_candidate=100)

    done: dict[str, list[tuple[bool, float]]] = {name: [] for name in patterns}
    _, first_run = _scripted(patterns)

    def recorded(names: list[str]) -> list[tuple[str, bool, float]]:
        results = first_run(names)
        for name, success, cost in results:
            done[name].append((success, cost))
        return results

    stopped = search(list(patterns), recorded, goal, budget=24, per_candidate=100)
    assert stopped.stopped == "budget spent" and sum(map(len, done.values())) == 24

    # The resumed run's trials continue each candidate's pattern where the file left off.
    ran, rest = _scripted(patterns)
    for name, held in done.items():
        rest([name] * len(held))
        ran[name] = 0
    rounds: list[tuple[int, int]] = []
    resumed = search(
        list(patterns),
        rest,
        goal,
        budget=400,
        per_candidate=100,
        known=done,
        on_round=lambda r: rounds.append((r.round, r.from_file)),
    )
    gone = {e.candidate: e.round for e in resumed.eliminated}
    assert gone == {e.candidate: e.round for e in whole.eliminated}
    assert min(gone.values()) > 0, "no candidate out 'on file'"
    assert resumed.best == whole.best and resumed.trials == whole.trials
    assert sum(ran.values()) == whole.trials - 24, "only what was left is run"
    assert sum(from_file for _, from_file in rounds) == 24
    assert [r for r, _ in rounds] == list(range(1, whole.rounds + 1))


def test_search_runs_ordinary_trials_and_a_rerun_resumes_without_new_ones(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through the command, on the simulator: two solo candidates, a budget of 4. Every
    trial is a session file; running it again counts them and runs none."""
    monkeypatch.setenv("FEP_SESSIONS_DIR", str(tmp_path))
    argv = [
        "search", "--task", "tiny", "--solo", "claude-haiku-4-5,claude-opus-4-7",
        "--budget", "4", "--objective", "cost-per-success", "--json",
    ]  # fmt: skip
    assert main(argv) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["source"] == "SIMULATED" and first["new_trials"] == first["trials_used"] == 4
    assert first["best"] in ("haiku-4-5", "opus-4-7")
    assert first["brute_force_trials"] == 2 * 4
    # Solo candidates have no helper to leave unused.
    assert all(c["helper_never_called"] == 0 for c in first["candidates"])
    files = sorted(tmp_path.glob("*.jsonl"))
    assert len(files) == 4 and {f.name.split("-")[1] for f in files} <= {"haiku", "opus"}
    assert main(argv) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["new_trials"] == 0 and again["trials_used"] == 4
    assert again["best"] == first["best"]
    assert len(list(tmp_path.glob("*.jsonl"))) == 4
    # Other prices re-rank the same trials: nothing runs, every trial is re-priced.
    assert main([*argv, "--rate-card", "published"]) == 0
    published = json.loads(capsys.readouterr().out)
    assert published["new_trials"] == 0 and published["repriced_trials"] == 4
    assert published["rate_card"] == "published"

    def opus(report: dict[str, Any]) -> float:
        row = next(c for c in report["candidates"] if c["candidate"] == "opus-4-7")
        return float(row["estimate"])

    assert opus(published) > 2 * opus(again), "the published card prices Opus 4.7 at $15/$75"
    assert len(list(tmp_path.glob("*.jsonl"))) == 4


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--solo", "claude-haiku-4-5", "--objective", "fast"], "--objective 'fast'"),
        (["--orchestrator", "claude-opus-4-7"], "--orchestrator and --executor go together"),
        (["--solo", "claude-haiku-4-5"], "needs two candidates or more"),
        (["--solo", "a,b", "--budget", "0"], "must be positive"),
        (["--executor", "x", "--orchestrator", "y", "--advisor", "z"], "--advisor needs --solo"),
    ],
)
def test_bad_search_input_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], args: list[str], says: str
) -> None:
    assert main(["search", "--task", "tiny", *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and says in err[0], err


def _plans(model: str, role: str, seeds: range) -> list[list[str]]:
    """The tool names each seed's plan calls, turn by turn, for `model` in `role`."""
    from engine.sim.agents import Scenario, Transcript, next_turn
    from engine.sim.profiles import profile_for
    from tasks import get_task

    task = get_task("tiny")
    plans = []
    for seed in seeds:
        scenario = Scenario.of(task, seed)
        calls: list[str] = []
        for turn in range(40):
            transcript = Transcript(model, role, "Fix the shopcart package.", turn, ())  # type: ignore[arg-type]
            planned = next_turn(transcript, profile_for(model), scenario)
            if not planned.calls:
                break
            calls += [call.name for call in planned.calls]
        plans.append(calls)
    return plans


def test_simulated_profiles_differ_in_delegating_and_skipping() -> None:
    """Invented stand-ins, so a search shows something in the simulator: a sonnet-like lead
    often does the work itself; a small planner sometimes skips a fix; the built-in arms'
    models (Opus, Haiku) always delegate and never skip."""
    sonnet = _plans("claude-sonnet-4-6", "orchestrator", range(40))
    itself = sum("delegate_to_executor" not in plan for plan in sonnet)
    assert 10 <= itself <= 30, itself
    opus = _plans("claude-opus-4-7", "orchestrator", range(40))
    assert all("delegate_to_executor" in plan for plan in opus)
    edits = [
        plan.count("str_replace_editor") for plan in _plans("ministral-3:8b", "solo", range(40))
    ]
    haiku = [
        plan.count("str_replace_editor") for plan in _plans("claude-haiku-4-5", "solo", range(40))
    ]
    assert min(edits) < min(haiku), "the small planner skips fixes the haiku-like one makes"


def test_search_takes_the_same_median_as_compare() -> None:
    """An even number of successes: compare averages the middle two; search took the upper
    one, so its cost figure for the same trials was 3.0 where compare said 2.5."""
    from sessions.analysis.search import Objective, Outcomes, interval

    trials = Outcomes(successes=4, costs=[1.0, 2.0, 3.0, 4.0], success_costs=[1.0, 2.0, 3.0, 4.0])
    assert interval(trials, Objective("cost-at-success", 0.5)).estimate == 2.5


def test_cost_per_success_counts_what_the_failures_cost() -> None:
    """Two successes at $1 and two failures at $4: $10 spent for 2 successes is $5 each.
    The median success cost over the rate said $2, ranking it by its successes alone."""
    from sessions.analysis.search import Objective, Outcomes, interval

    trials = Outcomes(successes=2, costs=[1.0, 4.0, 1.0, 4.0], success_costs=[1.0, 1.0])
    assert interval(trials, Objective("cost-per-success")).estimate == 5.0


def test_a_candidate_that_never_succeeds_gets_a_bound_and_is_eliminated() -> None:
    from sessions.analysis.search import Objective, Outcomes, eliminated, interval, wilson

    cheap = Outcomes(successes=10, costs=[0.1] * 10, success_costs=[0.1] * 10)
    failing = Outcomes(successes=0, costs=[5.0, 5.0])
    objective = Objective("cost-per-success")
    bounded = interval(failing, objective)
    assert bounded.estimate == math.inf
    assert bounded.low == pytest.approx(5.0 / wilson(0, 2).high)  # spend per trial / upper
    assert eliminated({"cheap": cheap, "failing": failing}, ["cheap", "failing"], objective) == [
        "failing"
    ]


def test_when_every_candidate_fails_none_is_named_best() -> None:
    from sessions.analysis.search import Objective, search

    result = search(
        ["a", "b", "c"],
        lambda names: [(n, False, 1.0) for n in names],
        Objective("cost-per-success"),
        budget=30,
        per_candidate=10,
    )
    assert result.best is None and result.stopped == "no success"
    assert result.verdict == "no candidate succeeded: none can be named best"


def test_leftover_budget_goes_to_the_best_and_its_rivals_not_list_order() -> None:
    """Nothing can be told apart yet and four trials are left: they go to the best so far
    and the next, not to the candidates that happen to come first."""
    from sessions.analysis.search import Objective, search

    asked: list[str] = []

    def run_round(names: list[str]) -> list[tuple[str, bool, float]]:
        asked.extend(names)
        return [(n, True, 1.0) for n in names]

    known = {
        "poor": [(False, 1.0), (False, 1.0)],
        "middle": [(True, 1.0), (False, 1.0)],
        "best": [(True, 1.0), (True, 1.0)],
    }
    search(
        ["poor", "middle", "best"],
        run_round,
        Objective("success"),
        budget=10,
        per_candidate=10,
        known=known,
    )
    assert asked[:4] == ["best", "best", "middle", "middle"], asked


@pytest.mark.slow  # 10 s: a search, its errored trial, then the search again
def test_a_resumed_search_counts_errored_trials_and_names_them(tmp_path: Path) -> None:
    """An errored trial spent budget while the search ran; resumed, the search forgot it and
    spent that budget again, saying nothing of the error."""
    arms = tmp_path / "arms.toml"
    arms.write_text(
        '[arms."haiku-5-5"]\nsolo = { model = "claude-haiku-5-5", provider = "anthropic" }\n'
    )
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    where = ["--sessions-dir", str(tmp_path / "sessions")]
    errored = run_cli(
        "run", "--arm", "haiku-5-5", "--arms-file", str(arms), "--task", "tiny", "--headless",
        "--sim-fault", "stream_cut@anthropic:1", "--sim-fault", "stream_cut@anthropic:2",
        *where, env=env,
    )  # fmt: skip
    assert "trial error" in errored.stdout, errored.stdout + errored.stderr
    resumed = run_cli(
        "search", "--task", "tiny", "--solo", "claude-haiku-5-5,claude-opus-5",
        "--budget", "3", "--json", *where, env=env,
    )  # fmt: skip
    assert resumed.returncode == 0, resumed.stderr
    assert "resuming: 1 trial(s)" in resumed.stderr
    assert "counted as failed, it ended in an error: haiku-5-5 on tiny seed 0" in " ".join(
        resumed.stderr.split()
    )
    assert json.loads(resumed.stdout)["trials_used"] == 3


def test_a_resumed_search_counts_only_trials_of_the_candidate_s_own_definition(
    tmp_path: Path,
) -> None:
    """A trial on file under a candidate's name but run by another definition (an arms
    file's arm of that name, a smaller context window before the 64k default) did not run
    that candidate: it is left out and counted as such, as compare groups it apart."""
    from dataclasses import replace

    from engine.arms import BUILTIN_ARMS
    from engine.pricing import OFFICIAL
    from sessions.search_runs import trials_on_file

    fixture = Path(__file__).parents[1] / "fixtures" / "a-tiny-seed0.jsonl"
    shutil.copy(fixture, tmp_path / fixture.name)
    same = {"A": replace(BUILTIN_ARMS["A"], description="renamed, same roles")}
    on_file = trials_on_file(tmp_path, same, ("tiny",), OFFICIAL, [])
    assert len(on_file.known["A"]) == 1 and on_file.redefined == 0
    other = {"A": replace(BUILTIN_ARMS["A"], lead=replace(BUILTIN_ARMS["A"].lead, max_turns=5))}
    on_file = trials_on_file(tmp_path, other, ("tiny",), OFFICIAL, [])
    assert on_file.known["A"] == [] and on_file.redefined == 1


def test_a_model_with_no_provider_is_refused_before_any_trial(tmp_path: Path) -> None:
    """It was taken for a local Ollama model, run for free and counted as a failure."""
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    done = run_cli(
        "search", "--task", "tiny", "--solo", "mystery-model,claude-haiku-5-5",
        "--sessions-dir", str(tmp_path), env=env,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "fep-tui: error: arm mystery-model: the simulator serves no local model "
        "'mystery-model' (it has qwen3.5:9b, qwen2.5-coder:7b, ministral-3:8b, llama2:7b); "
        "a model without a claude- prefix is taken for one Ollama serves"
    ]
    assert not list(tmp_path.glob("*.jsonl"))


async def test_c_on_a_search_compares_only_that_searchs_candidates(tmp_path: Path) -> None:
    """The sessions directory holds every other trial too; compare showed them all."""

    from textual.widgets import DataTable

    from fep_tui.app import FepApp, StartSearch
    from fep_tui.screens.compare import CompareScreen
    from tests.compare_fixtures import make_compare_dir

    directory = make_compare_dir(tmp_path / "sessions")  # arms A, B, C and D

    def run_round(names: list[str]) -> list[tuple[str, bool, float]]:
        return [(name, True, 0.05) for name in names]

    job = success_search({"A": "A alone", "B": "B orchestrates"}, run_round, 4, 2)

    app = FepApp(directory, start=StartSearch(job, directory))
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause(0.2)
        await pilot.press("c")
        for _ in range(100):
            await pilot.pause(0.05)
            screen = app.screen
            if isinstance(screen, CompareScreen) and screen.rows:
                break
        screen = app.screen
        assert isinstance(screen, CompareScreen)
        table = screen.query_one("#arm-table", DataTable)
        arm = [str(c.label) for c in table.columns.values()].index("arm")
        arms = sorted(str(table.get_row_at(i)[arm]) for i in range(table.row_count))
        assert arms == ["A", "B"]


def test_the_search_screen_shows_a_resumed_search_s_candidates_out_in_their_rounds(
    tmp_path: Path,
) -> None:
    """The app's search screen on a resumed search: the trials on file replay as rounds,
    and each fallen candidate shows the round it fell in, as an uninterrupted run shows."""
    import asyncio

    from textual.widgets import DataTable

    from fep_tui.app import FepApp, StartSearch
    from fep_tui.screens.search import SearchScreen

    patterns = {"always": [True], "never": [False], "half": [True, False]}
    goal = Objective("success")
    _, whole_run = _scripted(patterns)
    whole = search(list(patterns), whole_run, goal, budget=300, per_candidate=100)
    # Every trial of the whole run is on file: resumed, it runs none.
    _, again = _scripted(patterns)
    on_file = {name: [(s, c) for _, s, c in again([name] * 100)] for name in patterns}
    ran, run_round = _scripted(patterns)
    job = success_search(dict.fromkeys(patterns, "a candidate"), run_round, 300, 100, on_file)

    async def scenario() -> dict[str, str]:
        app = FepApp(tmp_path, start=StartSearch(job, tmp_path))
        async with app.run_test(size=(120, 40)) as pilot:
            await app.workers.wait_for_complete()
            await pilot.pause(0.3)
            assert isinstance(app.screen, SearchScreen)
            table = app.screen.query_one(DataTable)
            rows = [table.get_row_at(i) for i in range(table.row_count)]
            return {str(row[0]): str(row[1]) for row in rows}

    status = asyncio.run(scenario())
    for fell in whole.eliminated:
        assert status[fell.candidate] == f"out, round {fell.round}"
    assert status["always"] == "best" and sum(ran.values()) == 0
