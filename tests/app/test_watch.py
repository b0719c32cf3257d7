"""`fep-tui watch`: a Claude Code session followed as it is written. The follower reads only
what the files gained (a half-written line waits for its end) and, at the end, gives what
converting the finished files gives; the trial screen shows each new line's events within
1 s."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest

from engine.events import TrialEnded
from fep_tui.app import FepApp, StartWatch
from fep_tui.screens.trial import TrialScreen
from fep_tui.widgets.replay_bar import ReplayBar
from sessions.analysis.claude_code.convert import convert
from sessions.analysis.claude_code.follow import SessionFollower
from sessions.analysis.claude_code.layout import sessions_under
from tests.unit.test_claude_code import SHOP, SHOP_SESSION

AGENT = SHOP / SHOP_SESSION.stem / "subagents" / "agent-a1b2c3d.jsonl"


def _in_written_order(root: Path) -> list[tuple[Path, str]]:
    """The shop session's lines (main file and subagent file) as Claude Code wrote them:
    by timestamp, each to its own file under `root`; the first two main lines first."""
    main = root / "-home-dev-shop" / SHOP_SESSION.name
    agent = root / "-home-dev-shop" / SHOP_SESSION.stem / "subagents" / AGENT.name
    agent.parent.mkdir(parents=True)

    def stamp(text: str) -> str:
        try:
            return str(json.loads(text).get("timestamp") or "9")
        except json.JSONDecodeError:
            return "9"  # the fixture's half-written last line

    lines = [(main, t) for t in SHOP_SESSION.read_text().splitlines(keepends=True)]
    lines += [(agent, t) for t in AGENT.read_text().splitlines(keepends=True)]
    return sorted(lines, key=lambda pair: stamp(pair[1]))


def _append(path: Path, text: str) -> None:
    with path.open("a") as handle:
        handle.write(text)


def test_the_follower_reads_only_new_whole_lines_and_ends_where_convert_does(
    tmp_path: Path,
) -> None:
    lines = _in_written_order(tmp_path)
    main = lines[0][0]
    _append(main, lines[0][1])
    follower = SessionFollower(main)
    for path, text in lines[1:]:
        half = len(text) // 2
        _append(path, text[:half])
        follower.poll()  # half a line: read nothing of it, and no error
        _append(path, text[half:])
        follower.poll()
    followed = [e for e in follower.build().events if not isinstance(e, TrialEnded)]
    [files] = sessions_under(main)
    whole = [e for e in convert(files).events if not isinstance(e, TrialEnded)]
    assert followed == whole
    assert follower.reading.stats.skipped["partial or non-JSON lines"] == 0


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_watch_shows_each_new_line_within_a_second(tmp_path: Path, size: tuple[int, int]) -> None:
    lines = _in_written_order(tmp_path)
    main = lines[0][0]
    _append(main, lines[0][1])
    waits: list[float] = []

    async def scenario() -> None:
        app = FepApp(tmp_path / "sessions", start=StartWatch(main))
        async with app.run_test(size=size) as pilot:
            await pilot.pause(0.3)
            screen = app.screen
            assert isinstance(screen, TrialScreen)
            for path, text in lines[1:]:
                _append(path, text)
                [files] = sessions_under(main)
                want = sum(1 for e in convert(files).events if not isinstance(e, TrialEnded))
                written = time.monotonic()
                while screen.position != want or f"{want:,} events" not in _bar(screen):
                    assert time.monotonic() - written < 1.0, (want, screen.position)
                    await pilot.pause(0.05)
                waits.append(time.monotonic() - written)
            counters = str(screen.query_one("#counters").render())
            assert "summaries 100 of 24,155 re-read" in counters
            assert "watching" in counters

    asyncio.run(scenario())
    assert max(waits) < 1.0


def _bar(screen: TrialScreen) -> str:
    return screen.query_one(ReplayBar).text.plain
