"""Codex CLI sessions (sessions/analysis/codex): a rollout converted with hand-worked
tokens and dollars, imported as a session file once, and read by listing, replay, compare
and what-if like any other."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

import pytest

from engine.events import ToolCall, ToolResult, TrialEnded, TurnUsage
from engine.usage import Usage
from fep_tui.app import FepApp, StartReplay
from fep_tui.cli import main
from fep_tui.screens.trial import TrialScreen
from sessions import load_session
from sessions.analysis.codex.rollout import convert_rollout
from sessions.store import list_sessions
from tests.app.pilots import notes
from tests.fixtures.codex.make import ROLLOUT, SESSION_ID

# By hand from make.py, at gpt-5-codex's $1.25 in / $0.125 cached / $10 out a million.
CALLS = [Usage.of(input_tokens=9000, output_tokens=120),
         Usage.of(input_tokens=340, output_tokens=180, cache_read=8960),
         Usage.of(input_tokens=260, output_tokens=50, cache_read=9240)]  # fmt: skip
COSTS = [
    (9000 * 1.25 + 120 * 10) / 1e6,
    (340 * 1.25 + 8960 * 0.125 + 180 * 10) / 1e6,
    (260 * 1.25 + 9240 * 0.125 + 50 * 10) / 1e6,
]


def test_a_rollout_becomes_one_call_per_moved_token_count_priced_by_hand() -> None:
    converted = convert_rollout(ROLLOUT)
    calls = [e for e in converted.events if isinstance(e, TurnUsage)]
    assert [c.usage for c in calls] == CALLS, "the repeated token_count is not a call"
    assert [c.cost_usd for c in calls] == pytest.approx(COSTS)
    for call in calls:
        assert sum(call.attribution.values()) == call.usage.cache_read
    end = converted.events[-1]
    assert isinstance(end, TrialEnded) and end.total_cost_usd == pytest.approx(sum(COSTS))
    tools = [(e.turn, e.name) for e in converted.events if isinstance(e, ToolCall)]
    results = [(e.turn, e.name) for e in converted.events if isinstance(e, ToolResult)]
    assert tools == results == [(1, "shell"), (2, "apply_patch")]
    header = converted.header
    assert header.label == "MEASURED (Codex CLI)" and header.models == {"lead": "gpt-5-codex"}
    assert header.trace is not None and header.trace.tool == "codex"
    assert (header.trace.session_id, header.trace.tool_version) == (SESSION_ID, "0.63.0")
    assert converted.stats.skipped["token counts repeating the last"] == 1


@pytest.fixture
def codex_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A Codex CLI home (`$CODEX_HOME`) holding the fixture rollout under sessions/."""
    home = tmp_path / "codex"
    shutil.copytree(ROLLOUT.parents[3], home / "sessions")
    monkeypatch.setenv("CODEX_HOME", str(home))
    return home


@pytest.mark.usefixtures("codex_home")
def test_import_codex_writes_a_session_once_that_lists_replays_and_reprices(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sessions = tmp_path / "fep"
    assert main(["import", "codex", "--sessions-dir", str(sessions)]) == 0
    assert "1 imported into" in capsys.readouterr().out
    assert main(["import", "codex", "--sessions-dir", str(sessions), "--json"]) == 0
    [row] = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert row["status"] == "unchanged"
    [summary], _ = list_sessions(sessions)
    assert summary.source == "MEASURED (Codex CLI)" and summary.model_calls == 3
    assert summary.cost_usd == pytest.approx(sum(COSTS))
    session = load_session(Path(summary.path))
    assert session.end is not None and session.end.total_cost_usd == pytest.approx(sum(COSTS))
    assert main(["whatif", summary.path, "--json"]) == 0
    [whatif] = json.loads(capsys.readouterr().out)
    assert whatif["source"] == "MEASURED (Codex CLI)" and whatif["cache_read_tokens"] == 18200
    assert whatif["recorded_usd"] == whatif["resimulated_usd"] == pytest.approx(sum(COSTS))

    async def replay() -> tuple[str, str, list[str]]:
        app = FepApp(sessions, start=StartReplay(Path(summary.path)))
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause(0.3)
            await pilot.press("end", "i")
            await pilot.pause(0.2)
            assert isinstance(app.screen, TrialScreen), "no items screen for a Codex session"
            counters = str(app.screen.query_one("#counters").render())
            title = str(app.screen.query_one("#trial-title").render())
            return counters, title, notes(app)

    counters, title, said = asyncio.run(replay())
    assert "MEASURED (Codex CLI)" in counters and "gpt-5-codex" in counters
    assert title.startswith("Codex CLI on cart · 0199aaaa")
    assert any("item by item pricing is for Claude Code sessions" in n for n in said)


@pytest.mark.parametrize(
    ("given", "said"),
    [("nothing.jsonl", "no such file or directory"), ("notes.jsonl", "not a Codex CLI rollout")],
)
def test_import_codex_refuses_what_is_not_a_rollout_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], given: str, said: str
) -> None:
    (tmp_path / "notes.jsonl").write_text('{"a": 1}\n')
    code = main(["import", "codex", str(tmp_path / given), "--sessions-dir", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2 and said in err and err.count("\n") == 1


def test_replay_and_whatif_take_a_rollout_as_they_take_a_claude_code_transcript(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Converted into the cache (never into the sessions directory, never beside it)."""
    from fep_tui.commands.trace_files import other_trace_session

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    session = other_trace_session(ROLLOUT)
    assert session is not None and session.is_relative_to(tmp_path / "cache")
    assert load_session(session).header.label == "MEASURED (Codex CLI)"
    assert main(["whatif", str(ROLLOUT), "--json"]) == 0
    [row] = json.loads(capsys.readouterr().out)
    assert row["recorded_usd"] == pytest.approx(sum(COSTS))
    assert not list(ROLLOUT.parent.glob("*.idx")), "nothing written beside the rollout"


@pytest.mark.usefixtures("codex_home")
def test_traces_rolls_codex_sessions_up_by_day_and_project(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sessions = ["--sessions-dir", str(tmp_path / "fep")]
    input_tokens = sum(c.input_tokens for c in CALLS)
    cache_read = sum(c.cache_read for c in CALLS)
    for by, key in (("day", "2026-11-20"), ("project", "cart")):
        assert main(["traces", "--agent", "codex", "--by", by, "--json", *sessions]) == 0
        [row] = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
        assert row[by] == key and (row["sessions"], row["model_calls"]) == (1, 3)
        assert (row["input_tokens"], row["cache_read_tokens"]) == (input_tokens, cache_read)
        assert row["output_tokens"] == sum(c.output_tokens for c in CALLS)
        assert row["cache_hit_rate"] == pytest.approx(cache_read / (input_tokens + cache_read))
        assert row["cost_usd"] == pytest.approx(sum(COSTS))
    assert main(["traces", "--agent", "codex", *sessions]) == 0
    listing = capsys.readouterr().out
    assert "Codex CLI sessions under" in listing and "gpt-5-codex" in listing
    assert main(["traces", "--agent", "codex", "--by", "subagent", *sessions]) == 0
    assert "no subagent ran in the Codex CLI sessions under" in capsys.readouterr().out
    assert main(["traces", "--agent", "cursor", *sessions]) == 2
    assert "--agent cursor: no such agent (known: claude-code, codex)" in capsys.readouterr().err
