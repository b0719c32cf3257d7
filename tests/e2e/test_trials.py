"""Every built-in arm completes the tiny task in the simulator, through the real SDK clients."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pytest

from engine import TrialConfig, resolve_arm, run_trial
from engine.events import ExecutorSummary, JudgeVerdict, TrialEnded, TrialStarted, TurnUsage
from engine.pricing import PUBLISHED
from engine.sim import SimulatorServer
from tests.conftest import Recorder, TinyTrial, fresh_python


def _run(arm: str, recorder: Recorder, **kwargs: object) -> TrialEnded:
    config = TrialConfig(resolve_arm(arm), "tiny", seed=kwargs.pop("seed", 0), **kwargs)  # type: ignore[arg-type]
    asyncio.run(run_trial(config, [recorder]))
    end = recorder.events[-1]
    assert isinstance(end, TrialEnded)
    return end


# C and D solve tiny in the default suite too, in test_batch's four-arm batch (which also
# checks each total against its calls); here they run with the slow rest.
@pytest.mark.parametrize(
    "arm",
    [
        "A",
        "B",
        pytest.param("C", marks=pytest.mark.slow),
        pytest.param("D", marks=pytest.mark.slow),
    ],
)
def test_builtin_arm_solves_tiny_with_the_judge_green(
    arm: str, tiny_trial: Callable[[str], TinyTrial]
) -> None:
    trial = tiny_trial(arm)
    end = trial.events[-1]
    assert isinstance(end, TrialEnded)
    judge = trial.of("judge")[0]
    assert isinstance(judge, JudgeVerdict)
    assert judge.passed, judge.summary
    assert end.status == "completed" and end.success
    started = trial.events[0]
    assert isinstance(started, TrialStarted) and started.simulated
    usage_total = sum(e.cost_usd for e in trial.of("usage") if isinstance(e, TurnUsage))
    assert end.total_cost_usd == pytest.approx(usage_total, abs=1e-5)


def test_arm_b_executor_is_free_and_summaries_grow_orchestrator_reads(
    tiny_trial: Callable[[str], TinyTrial],
) -> None:
    trial = tiny_trial("B")
    executor = trial.outcome.roles["executor"]
    assert executor.cost_usd == 0 and executor.usage.input_tokens > 0
    lead_turns = [
        e for e in trial.of("usage") if isinstance(e, TurnUsage) and e.role == "orchestrator"
    ]
    summaries = [e for e in trial.of("executor_summary") if isinstance(e, ExecutorSummary)]
    assert len(summaries) == 3
    last = lead_turns[-1].attribution
    assert set(last) >= {"base", "task", "own", "summary:1", "summary:2", "summary:3"}
    assert sum(last.values()) == lead_turns[-1].usage.cache_read
    # Summary 1 comes back in turn 3's uncached tail (written to the cache there); from
    # turn 4 on it is re-read in full on every orchestrator turn.
    reads_of_first = [t.attribution.get("summary:1", 0) for t in lead_turns]
    assert reads_of_first[:3] == [0, 0, 0]
    assert reads_of_first[3:] == [summaries[0].tokens] * (len(lead_turns) - 3)


@pytest.mark.slow  # 10 s: two whole trials
@pytest.mark.parametrize("arm", ["B"])
def test_raising_the_executor_return_cap_raises_orchestrator_cache_reads(arm: str) -> None:
    reads = {}
    for cap in (1000, 16000):
        recorder = Recorder()
        config = TrialConfig(resolve_arm(arm).with_return_cap(cap), "tiny")
        outcome = asyncio.run(run_trial(config, [recorder]))
        assert outcome.success
        reads[cap] = outcome.roles["orchestrator"].usage.cache_read
    # Real tool output (pytest's timing line) jitters reads by a few dozen tokens; the cap's
    # effect must stand far above that.
    assert reads[16000] - reads[1000] > 4000, reads


# Two whole trials; the card's 3x price is checked without running one in test_accounting.
@pytest.mark.slow
def test_published_card_prices_opus_at_three_times_official(recorder: Recorder) -> None:
    official = _run("A", recorder)
    published = _run("A", Recorder(), rate_card=PUBLISHED)
    assert published.total_cost_usd == pytest.approx(3 * official.total_cost_usd, rel=0.02)


@pytest.mark.slow  # 13 s; test_app checks a paced trial's bar says its real time
def test_display_pacing_is_not_trial_time(
    recorder: Recorder, captured_servers: list[SimulatorServer]
) -> None:
    """The app slows the simulator's streams so a viewer can follow them; the session must
    still record the trial's own time, as the same trial run headless would (before the
    fix a paced tiny trial saved 29 s against 8 s headless)."""
    started = time.monotonic()
    end = _run("B", recorder, sim_stream_delay_s=0.004)
    elapsed = time.monotonic() - started
    paced = captured_servers[0].paced_s
    assert paced > 2.0, "the streams were paced"
    assert end.wall_s < elapsed - 0.9 * paced
    times = [e.t for e in recorder.events]
    assert times == sorted(times), "event times still run forward"


def test_the_trial_clock_starts_after_the_sdk_is_imported() -> None:
    """A fresh process spends about a second importing the anthropic SDK. Counted in the
    trial's wall time, headless runs (a new process each) read 10-15% slower than the
    same trial in a warm app, and compare mixed the two."""
    code = (
        "import asyncio, sys\n"
        "from engine.arms import resolve_arm\n"
        "from engine.bus import EventBus\n"
        "from engine.trial import TrialConfig, run_trial\n"
        "class Started(Exception): pass\n"
        "def clock_starts(self, sinks):\n"
        "    print('engine.backends.anthropic_backend' in sys.modules)\n"
        "    raise Started\n"
        "EventBus.__init__ = clock_starts\n"
        "try:\n"
        "    asyncio.run(run_trial(TrialConfig(resolve_arm('A'), 'tiny'), []))\n"
        "except Started:\n"
        "    pass\n"
    )
    result = fresh_python(code)
    assert result.stdout.strip() == "True", result.stderr
