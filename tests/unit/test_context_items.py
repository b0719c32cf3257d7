"""Every item of the lead's context priced (sessions/analysis/claude_code/context_items.py),
worked by hand on the fixture transcripts, and `fep-tui traces SESSION`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from textual.widgets import DataTable

from engine.tokens import count_text
from fep_tui.app import FepApp, StartReplay
from fep_tui.cli import main
from fep_tui.screens.context_items import ContextItemsScreen
from fep_tui.screens.trial import TrialScreen
from sessions.analysis.claude_code.convert import convert
from sessions.analysis.claude_code.store import import_sessions
from tests.app.pilots import notes, press_and_settle
from tests.unit.test_claude_code import LEAD_SHOP, PROJECTS, SHOP_SESSION, _one

pytestmark = pytest.mark.anyio

FIXTURES = Path(__file__).parents[1] / "fixtures"
# Opus 4.5 reads cache at $0.50 a million (the official card).
READ = 0.5 / 1e6


def test_each_item_s_re_reads_by_hand_and_they_sum_to_the_lead_s_cache_read() -> None:
    """By hand from make.py: the system prompt and tools (8,000) are read by calls 2, 3
    and 4 (after the compaction too); the user's prompt (9) by calls 2 and 3; the lead's
    first reply by call 3; the 100-token subagent result by call 3 only, since the
    compaction dropped it before call 4; the Edit result is never read (call 3 read
    only up to call 2's prompt)."""
    items = {i.label: i for i in convert(_one(SHOP_SESSION)).items}
    base = items["system prompt and tools"]
    assert (base.tokens, base.calls, base.reread_tokens) == (8000, 3, 24000)
    assert base.reread_usd == pytest.approx(24000 * READ)
    summary = items["Task Explore: find cart totals"]
    assert (summary.kind, summary.tokens, summary.calls, summary.reread_tokens) == (
        "subagent",
        100,
        1,
        100,
    )
    assert summary.reread_usd == pytest.approx(100 * READ)
    assert summary.dropped and (summary.first_turn, summary.last_turn) == (3, 3)
    prompt = items["Fix the failing tests in the cart module."]
    assert (prompt.kind, prompt.tokens, prompt.reread_tokens) == ("user", 9, 18)
    edit = items["Edit cart/total.py"]
    assert (edit.kind, edit.calls, edit.reread_tokens) == ("tool", 0, 0)
    assert edit.tokens == count_text("The file cart/total.py has been updated.")
    after = items["now run lint"]
    assert not after.dropped, "written after the compaction"
    every = list(items.values())
    assert sum(i.reread_tokens for i in every) == LEAD_SHOP.cache_read
    assert [i.label for i in every][:2] == [base.label, summary.label], "costliest first"


def test_traces_session_prints_the_top_re_read_items(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "120")
    assert main(["traces", "11111111", "--root", str(PROJECTS)]) == 0
    out = capsys.readouterr().out
    assert "$0.0121 in all" in out  # (24,000 + 100 + 18 + 37) x $0.50 per million
    row = next(line for line in out.splitlines() if "Task Explore: find cart totals" in line)
    assert " subagent " in row and "3-3 (compacted)" in row
    assert main(["traces", str(SHOP_SESSION), "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert rows[0]["item"] == "system prompt and tools" and rows[0]["reread_tokens"] == 24000
    assert sum(r["reread_tokens"] for r in rows) == LEAD_SHOP.cache_read


@pytest.mark.parametrize(
    ("given", "said"),
    [
        ("zzz", "no session 'zzz' under"),
        ("/nowhere/x.jsonl", "/nowhere/x.jsonl: no such transcript"),
    ],
)
def test_traces_session_that_is_not_there_is_one_line_and_exit_2(
    given: str, said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["traces", given, "--root", str(PROJECTS)]) == 2
    err = capsys.readouterr().err
    assert said in err and err.count("\n") == 1


def _imported(tmp_path: Path) -> Path:
    """The shop fixture imported as a session file (its header names the transcript)."""
    [result] = import_sessions([SHOP_SESSION], tmp_path)
    assert result.summary is not None
    return Path(result.summary.session_file)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_i_on_the_trial_screen_lists_a_claude_code_session_s_items(
    tmp_path: Path, size: tuple[int, int]
) -> None:
    session = _imported(tmp_path)

    app = FepApp(tmp_path, start=StartReplay(session))
    async with app.run_test(size=size) as pilot:
        await pilot.pause(0.3)
        await press_and_settle(pilot, "i")
        assert isinstance(app.screen, ContextItemsScreen)
        table = app.screen.query_one(DataTable)
        labels = [str(table.get_row_at(i)[0]) for i in range(table.row_count)]
        assert labels[:2] == ["system prompt and tools", "Task Explore: find cart totals"]
        assert len(labels) == 7
        title = str(app.screen.query_one("#items-title").render())
        assert "$0.0121 of re-reads in all" in title
        headers = [str(c.label) for c in table.columns.values()]
        assert "re-read $" in headers and ("turns" in headers) == (size[0] >= 120)
        await pilot.press("escape")
        assert isinstance(app.screen, TrialScreen)


async def test_i_on_our_own_trial_says_items_are_for_claude_code_sessions(tmp_path: Path) -> None:
    app = FepApp(tmp_path, start=StartReplay(FIXTURES / "b-tiny-seed0.jsonl"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.3)
        await pilot.press("i")
        await pilot.pause(0.1)
        assert isinstance(app.screen, TrialScreen)
        said = notes(app)
        assert any("item by item pricing is for Claude Code sessions" in n for n in said)


async def test_a_transcript_gone_since_the_import_is_a_notification(tmp_path: Path) -> None:
    copy = tmp_path / "projects" / "-home-dev-shop"
    shutil.copytree(SHOP_SESSION.parent, copy)
    (tmp_path / "sessions").mkdir()
    [result] = import_sessions([copy / SHOP_SESSION.name], tmp_path / "sessions")
    assert result.summary is not None
    session = Path(result.summary.session_file)
    shutil.rmtree(copy)

    app = FepApp(tmp_path, start=StartReplay(session))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.3)
        await press_and_settle(pilot, "i")
        assert isinstance(app.screen, ContextItemsScreen), "the app is still running"
        said = notes(app)
        assert any("cannot read the items of" in n for n in said), said


def test_traces_cap_prices_what_capping_a_tool_s_results_would_have_saved(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """By hand: the 100-token Task result capped at 40 cuts 60 tokens, written once at
    Opus 4.5's $6.25 a million and re-read once at $0.50: $0.000375 + $0.00003."""
    where = ["--root", str(PROJECTS)]
    assert main(["traces", "11111111", "--cap", "Task=40", "--json", *where]) == 0
    [row] = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert (row["item"], row["cut_tokens"], row["saved_reread_tokens"]) == (
        "Task Explore: find cart totals",
        60,
        60,
    )
    assert row["saved_usd"] == pytest.approx(60 * 6.25 / 1e6 + 60 * 0.5 / 1e6)
    assert main(["traces", "11111111", "--cap", "Read=2000", *where]) == 0
    assert "no Read result over 2,000 tokens" in capsys.readouterr().out
    assert main(["traces", "11111111", "--cap", "Read", *where]) == 2
    assert "give TOOL=TOKENS" in capsys.readouterr().err
