"""What the trial screen's panes say: the summaries' share, every dollar labelled, the
newest chart bar, and turns that wrap at 80 columns."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest
from textual.geometry import Region

from engine.events import TurnUsage
from fep_tui.sources import ReplaySession
from fep_tui.widgets.counters import render_counters
from fep_tui.widgets.delegations import delegation_detail
from fep_tui.widgets.read_chart import ReadChart, render_chart
from fep_tui.widgets.transcript import TurnLog
from sessions import load_session
from sessions.index_cache import open_index
from sessions.panes import TurnText
from sessions.timeline import ChartRow
from tests.app.pilots import Host

pytestmark = pytest.mark.anyio

FIXTURE = Path(__file__).parents[1] / "fixtures" / "b-tiny-seed0.jsonl"


def test_counters_show_the_summaries_share_of_the_lead_rereads() -> None:
    """The figure the product exists for: what share of the orchestrator's re-reads were
    executor summaries, and their dollars, worked out here from the file's own usage."""
    index = open_index(FIXTURE)
    snapshot = index.timeline.snapshot()
    lead = [
        e
        for e in load_session(FIXTURE).events
        if isinstance(e, TurnUsage) and e.role == "orchestrator"
    ]
    summary_tokens = sum(
        v for e in lead for k, v in e.attribution.items() if k.startswith("summary:")
    )
    share = snapshot.summaries
    assert share.tokens == summary_tokens > 0
    assert share.of == lead[-1].role_cache_read
    assert share.usd == summary_tokens * 0.5 / 1e6  # Opus 4.7 cache reads, $0.50/M
    text = render_counters(snapshot, index.header, width=78).plain
    assert max(len(line) for line in text.splitlines()) <= 78, "fits 80 columns"
    percent = round(100 * summary_tokens / lead[-1].role_cache_read)
    assert (
        f"summaries {summary_tokens:,} of {lead[-1].role_cache_read:,} re-read ({percent}%) "
        f"${share.usd:.4f}" in text
    )
    assert "return cap 4,000 chars" in text
    assert "card official" in ReplaySession(index).title, "the rate card heads the screen"
    # Every dollar figure carries a word saying what it is.
    for line in text.splitlines():
        for part in line.split("│"):
            if "$" in part:
                assert part.split("$")[0].strip(), f"unlabelled dollars in {part!r}"


def test_a_delegation_costs_its_cache_write_plus_every_later_reread() -> None:
    index = open_index(FIXTURE)
    timeline = index.timeline
    view = timeline.snapshot().delegations[0]
    cost = timeline.reread(view.number)
    assert cost.write_tokens == view.summary_tokens
    assert cost.write_usd == view.summary_tokens * 6.25 / 1e6  # Opus 4.7 5-minute writes
    assert cost.total_usd == cost.write_usd + cost.usd > cost.usd > 0
    detail = delegation_detail(view, cost)
    assert f"cost so far ${cost.total_usd:.4f}" in detail
    before = timeline.reread(view.number, view.summary_position)
    assert before.total_usd == 0, "nothing is owed before the summary came back"


def test_with_the_lead_unpriced_no_lead_dollar_figure_reads_0() -> None:
    """An import whose lead model nothing prices: the total is a floor, and the summaries'
    cost, the role's re-reads and each delegation's cost say `price unknown`, never $0."""
    index = open_index(FIXTURE)
    header = msgspec.structs.replace(index.header, unpriced=["claude-opus-4-7"])
    snapshot = index.timeline.snapshot()
    text = render_counters(snapshot, header, width=78).plain
    assert "total ≥ $" in text and "price unknown: claude-opus-4-7" in text
    summaries = next(line for line in text.splitlines() if "summaries" in line)
    assert "price unknown" in summaries and "$" not in summaries
    orchestrator = next(line for line in text.splitlines() if line.startswith("orch"))
    assert "unknown" in orchestrator and "$" not in orchestrator
    view = snapshot.delegations[0]
    detail = delegation_detail(view, index.timeline.reread(view.number), priced=False)
    assert "price unknown" in detail and "$" not in detail


def test_the_chart_always_ends_with_the_newest_turn_however_the_legend_wraps() -> None:
    rows = open_index(FIXTURE).timeline.lead_rows()
    for width, height in ((30, 6), (40, 5), (60, 8), (90, 12)):
        lines = render_chart(rows, width, height).plain.splitlines()
        assert len(lines) <= height, (width, height, lines)
        assert lines[-1].startswith(f"t{rows[-1].turn}"), (width, height, lines)
        assert all(len(line) <= width for line in lines), (width, lines)


async def test_the_chart_pane_keeps_a_million_token_read_on_one_line_and_the_newest_turn_last() -> (
    None
):
    """A 1M-context lead reads over a million tokens a call, by turn 1,000 of a long trace:
    the figure was wider than its column, the line wrapped, and the newest bar fell out of
    the pane."""
    rows = [
        ChartRow(turn, 998 + turn, 1_000_000 + 1_000 * turn, {"base": 600_000, "own": 400_000}, {})
        for turn in range(1, 41)
    ]

    chart = ReadChart(id="chart")
    chart.styles.width, chart.styles.height = 48, 12
    async with Host(chart).run_test(size=(60, 14)) as pilot:
        chart.show(rows)
        await pilot.pause()
        shown = [strip.text.strip() for strip in chart.render_lines(Region(0, 0, 48, 12))]
        assert shown[-1].startswith("t1038") and shown[-1].endswith("1,040,000"), shown
        assert shown[-2].startswith("t1037") and shown[-2].endswith("1,039,000"), shown


async def test_long_turn_text_wraps_inside_the_pane() -> None:
    words = " ".join(f"word{i}" for i in range(60))

    log = TurnLog(id="turns")
    async with Host(log).run_test(size=(40, 20)) as pilot:
        log.show([TurnText("orchestrator", 1, words[:100])])
        log.show([TurnText("orchestrator", 1, words)])
        await pilot.pause(0.1)
        # Every character is in the columns left beside the scrollbar, none under it.
        visible = log.scrollable_content_region.width
        assert visible < 40 and all(len(line) <= visible for line in log.lines), log.lines
        assert " ".join(" ".join(log.lines[1:]).split()) == words, "no text lost"
        await pilot.resize_terminal(30, 20)
        await pilot.pause(0.1)
        visible = log.scrollable_content_region.width
        assert all(len(line) <= visible for line in log.lines), "re-wrapped on resize"


async def test_text_streamed_onto_a_shown_line_is_drawn() -> None:
    """Each frame's text is written at once and its lines repainted together: text added to
    the line already on screen, and the lines after it, reach the screen."""

    def drawn() -> str:
        return "\n".join(strip.text for strip in log.render_lines(Region(0, 0, *log.size)))

    log = TurnLog(id="turns")
    async with Host(log).run_test(size=(40, 10)) as pilot:
        log.show([TurnText("orchestrator", 1, "alpha")])
        await pilot.pause(0.1)
        assert "alpha" in drawn() and "beta" not in drawn()
        log.show([TurnText("orchestrator", 1, "alpha beta")])
        await pilot.pause(0.1)
        assert "alpha beta" in drawn(), drawn()
        log.show([TurnText("orchestrator", 1, "alpha beta gamma\ndelta")])
        await pilot.pause(0.1)
        assert "alpha beta gamma" in drawn() and "delta" in drawn(), drawn()


async def test_a_reply_asked_again_shows_its_text_once() -> None:
    """A reply cut mid-stream (or at max_tokens) is asked again and streams from its start:
    the pane used to show the cut text and then the whole text again."""
    from engine.events import ApiRetry, ReplyCut, TextDelta, TurnStarted
    from sessions.panes import PaneFold

    fold = PaneFold("orchestrator")
    fold.apply(0, TurnStarted(0.0, "orchestrator", 1, "claude-opus-4-7"))
    fold.apply(1, TextDelta(0.1, "orchestrator", 1, "Let me start by"))
    fold.apply(2, ApiRetry(0.2, "orchestrator", 1, "anthropic", 200, 1, True, 1.0, "overloaded"))
    fold.apply(3, TextDelta(1.3, "orchestrator", 1, "Let me start by running the checks."))
    assert fold.turns[0].text == (
        "[reply 1 cut (overloaded); asked again]\nLet me start by running the checks."
    )
    fold.apply(4, ReplyCut(1.4, "orchestrator", 1, "max_tokens", 8192, 16384))
    fold.apply(5, TextDelta(2.0, "orchestrator", 1, "Running the checks."))
    assert fold.turns[0].text == (
        "[reply 2 cut (stopped at max_tokens); asked again]\nRunning the checks."
    )
    fold.apply(6, ApiRetry(2.1, "orchestrator", 1, "anthropic", 529, 1, True, 2.0, "HTTP 529"))
    assert fold.turns[0].text.endswith("Running the checks."), (
        "a retry before streaming drops nothing"
    )

    log = TurnLog(id="turns")
    async with Host(log).run_test(size=(100, 20)) as pilot:
        log.show([TurnText("orchestrator", 1, "Let me start by", 1)])
        log.show([TurnText("orchestrator", 1, "[reply 1 cut (x); asked again]\nLet me", 2)])
        await pilot.pause(0.05)
        text = "\n".join(log.lines)
        assert text.count("Let me") == 1 and "asked again" in text, log.lines


async def test_streamed_text_keeps_the_newest_line_in_view_without_laying_out_the_screen() -> None:
    """Text streams into the turns pane every frame. Its scrollbar's thumb must track the
    text's length, and the newest line stays in view.
    Textual's Log laid out the whole screen on every write to achieve this, which re-drew
    every pane 30 times a second during a live stream."""

    log = TurnLog(id="turns")
    async with Host(log).run_test(size=(40, 12)) as pilot:
        layouts = 0
        real = log.refresh

        def counted(*regions: Region, **options: bool) -> TurnLog:
            nonlocal layouts
            layouts += bool(options.get("layout"))
            return real(*regions, **options)

        text = ""
        for step in range(40):
            text += f"line {step}\n"
            log.show([TurnText("orchestrator", 1, text)])
            await pilot.pause()
            if step == 3:
                log.refresh = counted  # type: ignore[method-assign]
        await pilot.pause(0.05)
        bar = log.vertical_scrollbar
        assert bar.window_virtual_size == log.virtual_size.height == log.line_count == 41
        assert log.scroll_y == log.max_scroll_y > 0, "the newest line stays in view"
        top = round(log.scroll_y)
        assert "line 39" in log.lines[top : top + log.scrollable_content_region.height]
        assert layouts <= 3, f"{layouts} screen layouts for 36 writes"


def test_large_counters_never_run_together() -> None:
    """A long real session: cache write 260,212 and re-read 15,373,675 were drawn as
    `260,21215,373,675`. Every figure keeps a space before it, shortened to 3 significant
    figures when its column is too narrow, and still fits 80 columns."""
    import dataclasses

    from engine.usage import Usage
    from fep_tui.widgets.counters import dollars, tokens

    index = open_index(FIXTURE)
    snapshot = index.timeline.snapshot()
    huge = Usage.of(
        input_tokens=123_456_789,
        output_tokens=12_345_678,
        cache_write_5m=260_212,
        cache_read=15_373_675,
    )
    roles = {
        role: dataclasses.replace(c, usage=huge, cache_read_usd=7686.8375, cost_usd=12345.678)
        for role, c in snapshot.roles.items()
    }
    text = render_counters(dataclasses.replace(snapshot, roles=roles), index.header, width=78)
    line = next(line for line in text.plain.splitlines() if line.startswith("orch"))
    assert len(line) <= 78
    assert line.split()[2:] == ["123M", "12.3M", "260,212", "15.4M", "7,686.84", "12,346"]
    assert tokens(9_999, 6) == " 9,999" and tokens(999_999, 6) == " 1.00M"
    assert dollars(0.0537, 9) == "   0.0537"
