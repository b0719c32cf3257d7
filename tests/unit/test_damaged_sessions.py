"""Damaged session files load what is whole and name each bad line, everywhere a user can
open them: replay's index, what-if, compare and the app. Never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from fep_tui.app import FepApp
from fep_tui.cli import main
from fep_tui.screens.trial import TrialScreen
from sessions.analysis.comparison import collect
from sessions.format import SessionFileError
from sessions.index import SessionIndex
from sessions.reader import load_session
from tests.app.test_app import Notes
from tests.damaged_sessions import make_damaged_dir

pytestmark = pytest.mark.anyio

# What a reader must say about each file (the header-type file does not open at all).
SAID = {
    "wrong-type": "field 't' is a string, expected a number",
    "missing-usage-key": "missing field 'cache_read' in usage",
    "unknown-kind": "unknown event kind 'teleport'",
    "duplicated-tail": "a duplicated tail",
}


@pytest.fixture(scope="module")
def damaged(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, int | None]]:
    return make_damaged_dir(tmp_path_factory.mktemp("damaged"))


@pytest.mark.parametrize("name", sorted(SAID))
def test_replay_and_whatif_readers_name_the_bad_line(
    damaged: dict[str, tuple[Path, int | None]], name: str
) -> None:
    path, line = damaged[name]
    for problems in (SessionIndex.build(path).problems, load_session(path).problems):
        named = [p for p in problems if p.startswith(f"line {line}:")]
        assert named and SAID[name] in named[0], problems
    index = SessionIndex.build(path)
    assert index.complete, "the trial's end still loads"
    # A duplicated tail is folded once: the counters equal the trial_end's totals.
    end = load_session(path).end
    assert end is not None
    assert index.timeline.snapshot().total_cost_usd == pytest.approx(end.total_cost_usd)


def test_a_file_with_a_byte_order_mark_loads_whole(
    damaged: dict[str, tuple[Path, int | None]],
) -> None:
    path, _ = damaged["bom"]
    index = SessionIndex.build(path)
    assert index.complete and not index.problems
    assert index.header.trial_id == "damaged-bom"


def test_a_wrong_typed_header_field_is_one_named_line(
    damaged: dict[str, tuple[Path, int | None]],
) -> None:
    path, _ = damaged["header-type"]
    with pytest.raises(
        SessionFileError,
        match=r"header-type.jsonl:1: bad session header "
        r"\(field 'seed' is a string, expected an integer\)",
    ):
        SessionIndex.build(path)


def test_whatif_and_compare_on_the_corpus_exit_cleanly(
    damaged: dict[str, tuple[Path, int | None]], capsys: pytest.CaptureFixture[str]
) -> None:
    readable = [str(damaged[name][0]) for name in (*SAID, "bom")]
    assert main(["whatif", *readable]) == 0
    directory = damaged["bom"][0].parent
    found = collect([directory])
    # Every readable trial once; the duplicated tail named; the bad header rejected.
    assert sorted(row.trial for row in found.rows) == sorted(
        f"damaged-{name}" for name in (*SAID, "bom")
    )
    assert any("duplicated-tail.jsonl" in p and "written twice" in p for p in found.problems)
    assert any("header-type.jsonl:1: bad session header" in r for r in found.rejected)
    assert main(["compare", str(directory)]) == 0
    out = capsys.readouterr().out
    assert "written twice" in out and "bad session header" in out


async def test_the_app_opens_each_damaged_file_with_a_notice(
    damaged: dict[str, tuple[Path, int | None]], tmp_path: Path
) -> None:
    app = FepApp(tmp_path)
    notes = Notes(app)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.1)
        for name, said in SAID.items():
            app.open_replay(damaged[name][0])
            await pilot.pause(0.3)
            assert isinstance(app.screen, TrialScreen), name
            assert any(said in text for text, _ in notes.messages), (name, notes.messages)
            await pilot.press("end")
            await pilot.press("escape")
            await pilot.pause(0.1)
        app.open_replay(damaged["header-type"][0])
        await pilot.pause(0.3)
        assert not isinstance(app.screen, TrialScreen)
        assert any("bad session header" in text for text, _ in notes.messages)
