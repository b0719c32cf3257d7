"""A trace importer written against the TraceImporter protocol alone
(sessions/analysis/importers.py): a toy format defined here, and nothing else changed,
lists, imports, replays, compares and re-prices as Claude Code and Codex sessions do."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from pathlib import Path

import pytest

from engine.events import Event, ToolCall, ToolResult
from engine.pricing import OFFICIAL
from engine.usage import Usage
from fep_tui.app import FepApp, StartReplay
from fep_tui.cli import main
from fep_tui.screens.trial import TrialScreen
from sessions.analysis.claude_code.convert import Converted
from sessions.analysis.claude_code.transcript import ReadStats
from sessions.analysis.importers import TraceInputError, register
from sessions.analysis.priced_calls import TracedCall, TraceInfo, trial_from_calls
from sessions.store import list_sessions

TOY = """TOY 1
META toy-7 /home/dev/toy 0.1
CALL 2026-11-20T10:00:00Z claude-haiku-4-5 1000 0 50 c1 Looking at the cart.
RESULT 2026-11-20T10:00:02Z c1 ok
CALL 2026-11-20T10:00:03Z claude-haiku-4-5 300 900 20 - Done.
"""
# Haiku 4.5: $1 in, $0.10 cache read, $5 out a million.
COSTS = [(1000 * 1 + 50 * 5) / 1e6, (300 * 1 + 900 * 0.1 + 20 * 5) / 1e6]


class ToyImporter:
    """A trace format of five kinds of line, for this test only."""

    name = "toy"
    tool = "Toy Agent"

    def default_root(self) -> Path:
        return Path.home() / ".toy"

    def sessions_under(self, path: Path) -> list[Path]:
        if path.is_file():
            problem = self.problem(path)
            if problem is not None:
                raise TraceInputError(problem)
            return [path]
        return sorted(path.glob("*.toy"))

    def problem(self, path: Path) -> str | None:
        ok = path.read_text().startswith("TOY 1")
        return None if ok else f"{path} is not a toy trace"

    def convert(self, path: Path) -> Converted:
        lines = [line.split(" ", 7) for line in path.read_text().splitlines()[1:]]
        _, session, cwd, version = lines[0][:4]
        start = datetime.fromisoformat(lines[1][1].replace("Z", "+00:00"))
        calls: list[TracedCall] = []
        between: list[tuple[float, Event]] = []
        for kind, stamp, *rest in lines[1:]:
            t = (datetime.fromisoformat(stamp.replace("Z", "+00:00")) - start).total_seconds()
            if kind == "CALL":
                model, fresh, cached, out, call_id, text = rest
                usage = Usage.of(
                    input_tokens=int(fresh), cache_read=int(cached), output_tokens=int(out)
                )
                turn = len(calls) + 1
                tools = [ToolCall(t, "lead", turn, call_id, "look", {})] if call_id != "-" else []
                reads = {"base": int(cached)} if int(cached) else {}
                calls.append(TracedCall(t, turn, model, usage, [text], tools, reads))
            else:
                call_id, output = rest[0], " ".join(rest[1:])
                result = ToolResult(t, "lead", len(calls), call_id, "look", output, False)
                between.append((t, result))
        info = TraceInfo(path, self.name, self.tool, "anthropic", session, cwd, version, start)
        return trial_from_calls(info, calls, between, OFFICIAL, ReadStats())


def test_an_importer_written_to_the_protocol_alone_works_end_to_end(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    register(ToyImporter())
    traces = tmp_path / "traces"
    traces.mkdir()
    (traces / "one.toy").write_text(TOY)
    sessions = tmp_path / "sessions"
    assert main(["import", "toy", str(traces), "--sessions-dir", str(sessions)]) == 0
    assert "1 imported into" in capsys.readouterr().out
    assert main(["import", "toy", str(traces), "--sessions-dir", str(sessions), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["status"] == "unchanged"
    [summary], _ = list_sessions(sessions)
    assert summary.source == "MEASURED (Toy Agent)" and summary.model_calls == 2
    assert summary.cost_usd == pytest.approx(sum(COSTS))
    # Measured, not judged: compare names them, as it does Claude Code's and Codex's.
    assert main(["compare", str(sessions)]) == 2
    assert "1 imported agent session(s) are measured but not judged" in capsys.readouterr().err
    assert main(["whatif", summary.path, "--json"]) == 0
    [whatif] = json.loads(capsys.readouterr().out)
    assert whatif["recorded_usd"] == pytest.approx(sum(COSTS))
    bad = traces / "not.toy"
    bad.write_text("hello\n")
    assert main(["import", "toy", str(bad), "--sessions-dir", str(sessions)]) == 2
    assert capsys.readouterr().err.count("\n") == 1

    async def replay() -> str:
        app = FepApp(sessions, start=StartReplay(Path(summary.path)))
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause(0.3)
            await pilot.press("end")
            await pilot.pause(0.2)
            assert isinstance(app.screen, TrialScreen)
            return str(app.screen.query_one("#counters").render())

    counters = asyncio.run(replay())
    assert "MEASURED (Toy Agent)" in counters and "haiku-4-5" in counters
