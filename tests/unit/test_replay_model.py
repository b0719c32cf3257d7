"""The replay model under the trial screen: index, index cache, timeline and clock."""

from __future__ import annotations

import math
import os
import shutil
from pathlib import Path

import pytest

from engine.events import TurnUsage
from sessions import load_session
from sessions.index import SessionIndex
from sessions.index_cache import cache_path, load, open_index
from sessions.replay import IDLE_CAP_S, ReplayClock

FIXTURE = Path(__file__).parents[1] / "fixtures" / "b-tiny-seed0.jsonl"


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    target = tmp_path / FIXTURE.name
    shutil.copy(FIXTURE, target)
    return target


def test_index_reads_the_same_events_as_a_full_parse(copy: Path) -> None:
    index = SessionIndex.build(copy)
    events = load_session(copy).events
    assert index.length == len(events)
    assert [e for _, e in index.read(0, index.length)] == events
    assert list(index.times) == [e.t for e in events]
    assert [e for _, e in index.read(700, 705)] == events[700:705]


def test_index_cache_round_trip_and_staleness(copy: Path) -> None:
    built = open_index(copy)
    assert cache_path(copy).exists()
    cached = load(copy)
    assert cached is not None
    assert list(cached.offsets) == list(built.offsets) and list(cached.times) == list(built.times)
    assert cached.timeline.snapshot() == built.timeline.snapshot()
    assert cached.timeline.reread(1) == built.timeline.reread(1)
    with copy.open("a") as handle:
        handle.write("\n")
    os.utime(copy, ns=(1, 1))
    assert load(copy) is None, "a changed file makes the cache stale"
    cache_path(copy).write_bytes(b"garbage")
    assert load(copy) is None
    assert open_index(copy).length == built.length, "a damaged cache is rebuilt"


def test_timeline_counters_at_every_lead_turn_match_the_file(copy: Path) -> None:
    index = SessionIndex.build(copy)
    events = load_session(copy).events
    for position in index.lead_turn_positions():
        snap = index.timeline.snapshot(position)
        lead = [
            e for e in events[:position] if isinstance(e, TurnUsage) and e.role == "orchestrator"
        ]
        if lead:
            expected = sum(e.usage.cache_read for e in lead)
            assert snap.roles["orchestrator"].usage.cache_read == expected
        assert len(snap.chart) == len(lead)


def test_reread_of_a_delegation_sums_its_attribution_on_later_turns(copy: Path) -> None:
    index = SessionIndex.build(copy)
    events = load_session(copy).events
    lead = [e for e in events if isinstance(e, TurnUsage) and e.role == "orchestrator"]
    for number in (1, 2, 3):
        key = f"summary:{number}"
        reread = index.timeline.reread(number)
        assert reread.tokens == sum(e.attribution.get(key, 0) for e in lead) > 0
        assert reread.turns == sum(1 for e in lead if key in e.attribution)
        assert reread.usd == pytest.approx(reread.tokens * 0.5 / 1e6)


def test_clock_plays_at_real_time_and_shortens_only_long_idle_gaps() -> None:
    """At 1x a replay plays as the trial ran; a pause over IDLE_CAP_S plays as IDLE_CAP_S.
    It used to show at least one event per frame, which skipped every pause at any speed."""
    clock = ReplayClock([0.0, 0.5, 1.0, 1.5, 2.8, 10.0], [0, 3])
    clock.playing = True
    assert clock.tick(0.6) == 2  # events at t 0.0 and 0.5
    clock.faster()
    assert clock.speed == 2.0
    assert clock.tick(0.5) == 4  # virtual time 0.6 + 1.0 = 1.6
    assert clock.tick(0.05) == 4, "a 1.3 s pause is played, not skipped"
    assert clock.tick(0.6) == 5  # 2.8 reached at virtual 2.8
    assert clock.tick(0.9) == 5 and clock.shortened_s == 0, "waits out the 2 s cap first"
    assert clock.tick(0.2) == 6 and clock.shortened_s == pytest.approx(7.2 - IDLE_CAP_S)
    assert clock.tick(1.0) == 6 and not clock.playing, "stops at the end"
    for _ in range(20):
        clock.faster()
    assert math.isinf(clock.speed)
    for _ in range(20):
        clock.slower()
    assert clock.speed == 0.5


def test_clock_steps_and_turn_jumps() -> None:
    clock = ReplayClock([float(i) for i in range(10)], [0, 4, 7])
    assert clock.seek(99) == 10 and clock.seek(-5) == 0
    assert clock.next_turn() == 1 and clock.next_turn() == 5 and clock.next_turn() == 8
    assert clock.next_turn() == 10
    assert clock.previous_turn() == 8 and clock.previous_turn() == 5
    assert clock.jump_to_turn(1) == 1 and clock.jump_to_turn(99) == 8
    assert clock.step(-3) == 5


def test_a_harness_run_shows_its_breakdown_in_the_lead_turn() -> None:
    from engine.events import HarnessRun, TurnStarted
    from sessions.panes import PaneFold

    fold = PaneFold("orchestrator")
    fold.apply(0, TurnStarted(0.0, "orchestrator", 1, "claude-opus-4-7"))
    summary = "RED  mypy 10 err, ruff 10 err, pytest 1286 passed/0 failed/5 collection errors"
    fold.apply(1, HarnessRun(1.0, "orchestrator", 1, "c1", False, summary, {}))
    fold.apply(2, HarnessRun(2.0, "executor", 1, "c2", True, "GREEN", {}))
    assert fold.turns[-1].text == f"\n[harness: {summary}]"


def test_the_judges_verdict_and_what_made_it_red_end_the_lead_turns() -> None:
    """The header has room for RED only; which protected file the agent changed, and what
    was removed before judging, must be on screen too."""
    from engine.events import JudgeVerdict, TurnStarted
    from sessions.panes import PaneFold

    fold = PaneFold("solo")
    fold.apply(0, TurnStarted(0.0, "solo", 1, "claude-opus-4-7"))
    summary = (
        "RED  protected file changed: conftest.py; mypy ok, ruff ok, pytest 23 passed/0 failed"
    )
    problems = ["shopcart/pipe.py (a FIFO) was removed before judging"]
    fold.apply(1, JudgeVerdict(5.0, False, {"verifier_problems": problems}, summary))
    assert fold.turns[-1].text == f"\n[judge: {summary}]\n{problems[0]}"


@pytest.mark.parametrize("block_bytes", [300, 1 << 22])
def test_index_built_in_blocks_matches_a_line_by_line_read(
    copy: Path, monkeypatch: pytest.MonkeyPatch, block_bytes: int
) -> None:
    """The index reads text and tool lines a block at a time; whatever the block size, it
    keeps and drops exactly the lines a line-by-line read does, and names the same ones."""
    lines = copy.read_text().splitlines()
    delta = next(line for line in lines if line.startswith('{"kind":"text_delta"'))
    end = next(i for i, line in enumerate(lines) if line.startswith('{"kind":"trial_end"'))
    after_end = [delta, lines[end - 1], delta]
    damaged = [
        *lines[:5],
        delta.replace('"t":', '"t":"soon","was":', 1),  # a time that is not a number
        delta.replace('"t":', '"t":1.5e-3,"was":', 1),  # an exponent, read exactly
        delta.replace('"t":', '"t":1-2,"was":', 1),  # not a number, though made of digits
        "",
        delta.replace('"text":"', '"text":"' + "x" * 5 * block_bytes, 1)
        if block_bytes < 1000
        else delta,  # a line longer than a block
        *lines[5 : end + 1],
        *after_end,
    ]
    copy.write_text("\n".join(damaged) + "\n" + lines[7][:40])
    monkeypatch.setattr("sessions.index._BLOCK_BYTES", block_bytes)

    index = SessionIndex.build(copy)
    session = load_session(copy)

    assert [event for _, event in index.read(0, index.length)] == session.events
    assert list(index.times) == [event.t for event in session.events]
    assert 0.0015 in index.times

    def named_lines(problems: list[str]) -> list[str]:
        return [problem.split(":")[0] for problem in problems]

    assert named_lines(index.problems) == named_lines(session.problems)
    assert named_lines(index.problems) == [
        "line 6",
        "line 8",
        *(f"line {len(lines) + 6 + i}" for i in range(len(after_end))),
        f"line {len(lines) + 9}",
    ]


def test_bulk_line_times_read_exactly_as_float_reads_them() -> None:
    """The index reads text and tool lines' times without float(): digits column by
    column, or numpy's parser for signs and exponents. Each must be the same double."""
    import random

    from sessions.line_heads import block_heads
    from sessions.line_layout import BULK_PREFIXES

    rng = random.Random(12)
    times = [repr(round(rng.uniform(0, 90_000), rng.randint(0, 6))) for _ in range(3000)]
    times += [f"{rng.uniform(0, 9_000):.4f}" for _ in range(3000)]
    times += ["0", "7.", ".5", "00012.5", "1e3", "-2.5", "1.5e-3", "86400.0000"]
    block = "".join(
        f'{{"kind":"text_delta","t":{t},"role":"executor","turn":1,"text":"x"}}\n' for t in times
    ).encode()
    heads = block_heads(block, len(block), BULK_PREFIXES)
    # A time too long for the window (fep-tui writes at most 10 characters) is left for
    # the index to read whole: NaN here.
    expected = [float(t) if len(t) < 12 else math.nan for t in times]
    assert [str(t) for t in heads.times] == [str(t) for t in expected]
    assert any(math.isnan(t) for t in expected) and sum(len(t) < 12 for t in times) > 5000


def test_the_replay_bar_never_says_minus_0_s() -> None:
    """A pause cut by a fraction of a second read `pauses over 2 s cut: -0 s`."""
    from fep_tui.sources import ReplaySession

    replay = ReplaySession(open_index(FIXTURE))
    replay.clock.shortened_s = 0.3
    assert "cut" not in replay.describe(1)
    replay.clock.shortened_s = 4.6
    assert "pauses over 2 s cut: -5 s" in replay.describe(1)
