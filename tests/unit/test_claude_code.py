"""Claude Code transcripts as trials: totals against sums worked out by hand, each response
counted once, the re-read attribution against hand-counted summary sizes, the three
subagent layouts, compaction, import and re-import, and the commands a user types.

The fixtures are our own transcripts (tests/fixtures/claude_code/make.py wrote them).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest
from textual.widgets import DataTable

from engine.events import ContextCompacted, ExecutorSummary, TrialEnded, TurnUsage
from engine.usage import Usage
from fep_tui.cli import main
from fep_tui.widgets.counters import render_counters
from sessions.analysis.claude_code.convert import Converted, convert
from sessions.analysis.claude_code.layout import SessionFiles, sessions_under
from sessions.analysis.claude_code.store import import_sessions
from sessions.analysis.claude_code.transcript import transcript_problem
from sessions.analysis.whatif import WhatIf, reprice_file
from sessions.index_cache import open_index
from sessions.store import list_sessions
from tests.app.pilots import press_and_settle
from tests.conftest import run_cli

pytestmark = pytest.mark.anyio

PROJECTS = Path(__file__).parents[1] / "fixtures" / "claude_code" / "projects"
SHOP = PROJECTS / "-home-dev-shop"
SHOP_SESSION = SHOP / "11111111-aaaa-4aaa-8aaa-111111111111.jsonl"
OLD_SESSION = PROJECTS / "-home-dev-old" / "22222222-bbbb-4bbb-8bbb-222222222222.jsonl"
BESIDE_SESSION = PROJECTS / "-home-dev-beside" / "33333333-cccc-4ccc-8ccc-333333333333.jsonl"

# By hand from make.py: lead calls A1 (9 in, 120 out, 8,000 written), A2 (1, 200, 136,
# 8,009 read), A3 (1, 50, 34, 8,146 read); the shop session adds A4 after its compaction
# (1, 30, 15, 8,000 read). The Explore subagent: X1 (3, 50, 3,000) and X2 (2, 80, 200,
# 3,000 read).
LEAD_3 = Usage(11, 370, 8170, 0, 16155)
LEAD_SHOP = Usage(12, 400, 8185, 0, 24155)
EXPLORE = Usage(5, 130, 3200, 0, 3000)
# Official card: Opus 4.5 $5 in / $25 out / $6.25 5m write / $0.50 read; Haiku 4.5 $1 / $5 /
# $1.25 / $0.10 (per million).
SHOP_LEAD_USD = (12 * 5 + 400 * 25 + 8185 * 6.25 + 24155 * 0.5) / 1e6  # 0.07329375
EXPLORE_USD = (5 * 1 + 130 * 5 + 3200 * 1.25 + 3000 * 0.1) / 1e6  # 0.004955


def claude_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The fixture projects as this user's `~/.claude/projects`; an empty sessions
    directory beside them, returned."""
    claude = tmp_path / "home" / ".claude"
    shutil.copytree(PROJECTS, claude / "projects")
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(claude))
    sessions = tmp_path / "sessions"
    sessions.mkdir()
    return sessions


def _one(path: Path) -> SessionFiles:
    [files] = list(sessions_under(path))
    return files


def _role_totals(converted: Converted) -> dict[str, Usage]:
    totals: dict[str, Usage] = {}
    for event in converted.events:
        if isinstance(event, TurnUsage):
            totals[event.role] = totals.get(event.role, Usage.of()) + event.usage
    return totals


def _lead_attribution(converted: Converted) -> list[dict[str, int]]:
    return [
        e.attribution for e in converted.events if isinstance(e, TurnUsage) and e.role == "lead"
    ]


@pytest.mark.parametrize("session", [SHOP_SESSION, OLD_SESSION, BESIDE_SESSION])
def test_each_layout_counts_every_response_once_with_hand_sums(session: Path) -> None:
    """Nested subagent files, inline sidechains and agent files beside the session give the
    same totals; the two-line response A1 counts once with its final output (120, not 12
    or 132), and the repeated line of the shop session is not counted again."""
    converted = convert(_one(session))
    totals = _role_totals(converted)
    assert totals["lead"] == (LEAD_SHOP if session == SHOP_SESSION else LEAD_3)
    assert totals["executor-Explore"] == EXPLORE
    [summary] = [e for e in converted.events if isinstance(e, ExecutorSummary)]
    assert summary.executor_turns == 2 and summary.tokens == 100
    assert converted.header.label == "MEASURED (Claude Code)"
    assert converted.header.models["lead"] == "claude-opus-4-5-20251101"


def test_dated_model_ids_are_priced_as_their_alias_and_summed_by_hand() -> None:
    converted = convert(_one(SHOP_SESSION))
    end = converted.events[-1]
    assert end.kind == "trial_end"
    assert end.total_cost_usd == pytest.approx(SHOP_LEAD_USD + EXPLORE_USD, abs=1e-6)  # type: ignore[attr-defined]
    assert converted.header.unpriced == []


def test_attribution_credits_the_summary_from_the_call_after_it_is_written() -> None:
    """The 100-token summary ('word' x 100) comes back after lead call 1; call 2 writes it
    to the cache, call 3 re-reads all 100 tokens, and after the compaction call 4 re-reads
    none of it. Each call's split sums to its reported cache read."""
    converted = convert(_one(SHOP_SESSION))
    splits = _lead_attribution(converted)
    assert [split.get("summary:1", 0) for split in splits] == [0, 0, 100, 0]
    reads = [
        e.usage.cache_read
        for e in converted.events
        if isinstance(e, TurnUsage) and e.role == "lead"
    ]
    assert [sum(split.values()) for split in splits] == reads
    # System prompt and tools: what call 1 read beyond the 9-token prompt.
    assert splits[1]["base"] == 8000 and splits[3] == {"base": 8000}
    assert any(isinstance(e, ContextCompacted) and e.trigger == "manual" for e in converted.events)


def test_the_summary_costs_its_write_and_each_re_read(tmp_path: Path) -> None:
    [result] = import_sessions([SHOP_SESSION], tmp_path)
    assert result.summary is not None
    timeline = open_index(Path(result.summary.session_file)).timeline
    reread = timeline.reread(1)
    assert (reread.tokens, reread.turns, reread.write_tokens) == (100, 1, 100)
    assert reread.total_usd == pytest.approx((100 * 0.5 + 100 * 6.25) / 1e6)
    assert result.summary.subagent_reread_tokens == 100
    assert result.summary.subagent_reread_usd == pytest.approx(100 * 0.5 / 1e6)


def test_lines_it_does_not_use_are_skipped_and_counted() -> None:
    skipped = convert(_one(SHOP_SESSION)).stats.skipped
    assert skipped["file-history-snapshot lines"] == 1
    assert skipped["summary lines"] == 1
    assert skipped["progress lines"] == 1
    assert skipped["partial or non-JSON lines"] == 1  # the half-written last line
    assert skipped["repeated lines"] == 1


def test_a_field_of_another_shape_or_a_new_line_kind_is_skipped_not_a_crash(
    tmp_path: Path,
) -> None:
    project = tmp_path / "p"
    project.mkdir()
    lines = OLD_SESSION.read_text().splitlines()
    odd = json.loads(lines[0]) | {"isSidechain": "maybe", "uuid": "odd-1"}
    future = {"type": "teleport", "sessionId": "x", "payload": [1, 2]}
    (project / OLD_SESSION.name).write_text(
        "\n".join([json.dumps(future), *lines, json.dumps(odd)]) + "\n"
    )
    converted = convert(_one(project / OLD_SESSION.name))
    assert converted.stats.skipped["teleport lines"] == 1
    assert converted.stats.skipped["lines with fields of another shape"] == 1
    assert _role_totals(converted)["lead"] == LEAD_3


def test_a_model_without_a_price_is_unknown_never_zero(tmp_path: Path) -> None:
    [result] = import_sessions([BESIDE_SESSION], tmp_path)
    summary = result.summary
    assert summary is not None
    assert summary.roles["executor-Explore"].cost_usd is None
    assert summary.roles["executor-Explore"].cache_read_tokens == 3000  # tokens still shown
    assert summary.cost_usd is None
    [listed], _ = list_sessions(tmp_path)
    assert listed.cost_usd is None


def test_import_skips_unchanged_and_updates_a_grown_transcript(tmp_path: Path) -> None:
    source = tmp_path / "projects"
    shutil.copytree(PROJECTS, source)
    before = {p: p.stat().st_mtime_ns for p in source.rglob("*")}
    target = tmp_path / "sessions"
    target.mkdir()
    first = import_sessions([source], target)
    assert sorted(r.status for r in first) == ["imported"] * 3
    again = import_sessions([source], target)
    assert [r.status for r in again] == ["unchanged"] * 3
    # Touched but not changed: the checksum says so, nothing is converted again.
    session = source / SHOP.name / SHOP_SESSION.name
    os.utime(session, ns=(1, 1))
    touched = {r.transcript.name: r.status for r in import_sessions([source], target)}
    assert touched[SHOP_SESSION.name] == "unchanged"
    # Grown: the session went on with one more lead call.
    grown_source = source / "-home-dev-old" / OLD_SESSION.name
    last = json.loads(grown_source.read_text().splitlines()[-1])
    more = last | {"uuid": "grown-1", "timestamp": "2026-11-20T10:05:00.000Z"}
    more["message"] = last["message"] | {"id": "msg_A9"}
    with grown_source.open("a") as out:
        out.write(json.dumps(more) + "\n")
    grown = {r.transcript.name: r for r in import_sessions([source], target)}
    assert grown[OLD_SESSION.name].status == "updated"
    summary = grown[OLD_SESSION.name].summary
    assert summary is not None and summary.lead_calls == 4
    listed, rejected = list_sessions(target)
    assert len(listed) == 3 and not rejected
    assert {p: p.stat().st_mtime_ns for p in source.rglob("*") if p in before} == {
        p: m for p, m in before.items() if p != session and p != grown_source
    } | {session: 1, grown_source: grown_source.stat().st_mtime_ns}


def test_whatif_caps_subagent_results_on_a_trace(tmp_path: Path) -> None:
    """A 20-token cap takes 80 tokens off the one call that re-reads the summary; the
    compaction resets the prompt, so the re-simulation as recorded stays close."""
    [result] = import_sessions([SHOP_SESSION], tmp_path)
    assert result.summary is not None
    path = Path(result.summary.session_file)
    as_recorded = reprice_file(path, WhatIf())
    capped = reprice_file(path, WhatIf(summary_cap=20))
    assert as_recorded.resimulated_usd == pytest.approx(as_recorded.recorded_usd, rel=0.01)
    assert as_recorded.whatif_lead_cache_read - capped.whatif_lead_cache_read == 80
    assert capped.whatif_usd < as_recorded.whatif_usd


def test_replay_recognises_a_transcript_and_not_a_session() -> None:
    assert transcript_problem(SHOP_SESSION) is None
    assert transcript_problem(OLD_SESSION) is None
    assert transcript_problem(Path(__file__).parents[1] / "fixtures" / "b-tiny-seed0.jsonl")


def test_the_counters_show_the_subagent_share_and_unknown_prices(tmp_path: Path) -> None:
    for session, expect in (
        (SHOP_SESSION, "summaries 100 of 24,155 re-read"),
        (BESIDE_SESSION, "price unknown: claude-mystery-9"),
    ):
        [result] = import_sessions([session], tmp_path)
        assert result.summary is not None
        index = open_index(Path(result.summary.session_file))
        text = render_counters(index.timeline.snapshot(), index.header, "replay", 78).plain
        assert expect in text, text
        assert "not judged" in text and "split estimated" in text
        assert max(len(line) for line in text.splitlines()) <= 78, text


def _env(tmp_path: Path) -> dict[str, str]:
    return {
        "PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin",
        "HOME": str(tmp_path),
        "FEP_SESSIONS_DIR": str(tmp_path / "sessions"),
    }


def test_import_json_and_traces_from_the_command_line(tmp_path: Path) -> None:
    env = _env(tmp_path)
    imported = run_cli("import", "claude-code", str(PROJECTS), "--json", env=env)
    assert imported.returncode == 0, imported.stderr
    rows = [json.loads(line) for line in imported.stdout.splitlines()]
    by_project = {row["project"]: row for row in rows}
    shop = by_project["-home-dev-shop"]
    assert shop["status"] == "imported" and shop["lead_model"] == "claude-opus-4-5-20251101"
    assert (shop["model_calls"], shop["lead_calls"], shop["delegations"]) == (6, 4, 1)
    assert shop["roles"]["lead"]["cache_read_tokens"] == 24155
    assert shop["lead_cache_read"] == 24155 and shop["subagent_reread_tokens"] == 100
    assert shop["cost_usd"] == pytest.approx(SHOP_LEAD_USD + EXPLORE_USD, abs=1e-6)
    assert by_project["-home-dev-beside"]["cost_usd"] is None
    listed = run_cli("traces", "--root", str(PROJECTS), "--json", env=env)
    assert listed.returncode == 0, listed.stderr
    listing = [json.loads(line) for line in listed.stdout.splitlines()]
    assert {row["project"] for row in listing} == set(by_project)
    costs = [row["subagent_reread_usd"] for row in listing]
    assert costs == sorted(costs, reverse=True), "largest re-read cost first"
    narrowed = run_cli("traces", "--root", str(PROJECTS), "--project", "shop", env=env)
    assert "shop" in narrowed.stdout and "beside" not in narrowed.stdout


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("traces", "--root", "/nonexistent"), "no Claude Code projects directory"),
        (("traces", "--root", str(PROJECTS), "--since", "last week"), "is not a date"),
        (("import", "claude-code", "/nonexistent"), "no such file or directory"),
        (
            ("import", "claude-code", str(PROJECTS / "-home-dev-beside" / "agent-b7.jsonl")),
            "is a subagent's file",
        ),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    args: tuple[str, ...],
    says: str,
) -> None:
    monkeypatch.setenv("FEP_SESSIONS_DIR", str(tmp_path))
    assert main(list(args)) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and says in err[0], err


async def test_home_t_lists_claude_code_sessions_and_opens_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """From home, t imports ~/.claude/projects on a worker and lists it; enter opens the
    session in the trial screen, with the subagent results' share in numbers."""
    from fep_tui.app import FepApp
    from fep_tui.screens.traces import TracesScreen
    from fep_tui.screens.trial import TrialScreen

    sessions = claude_home(tmp_path, monkeypatch)

    app = FepApp(sessions)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.2)
        await press_and_settle(pilot, "t")
        screen = app.screen
        assert isinstance(screen, TracesScreen)
        table = screen.query_one(DataTable)
        projects = [str(table.get_row_at(i)[0]) for i in range(table.row_count)]
        assert sorted(projects) == ["beside", "old", "shop"]
        while str(table.get_row_at(table.cursor_row)[0]) != "shop":
            await pilot.press("down")
        await pilot.press("enter")
        await pilot.pause(0.5)
        assert isinstance(app.screen, TrialScreen)
        counters = app.screen.query_one("#counters").render()
        assert "summaries 100 of 24,155 re-read" in str(counters)
    assert not any((tmp_path / "home" / ".claude" / "projects").rglob(".fep*")), (
        "nothing written under ~/.claude"
    )


def test_compare_says_traces_are_not_judged_rather_than_pooling_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import_sessions([PROJECTS], tmp_path)
    assert main(["compare", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "3 imported agent session(s) are measured but not judged" in err


def test_secrets_in_a_transcript_never_reach_the_session_file(tmp_path: Path) -> None:
    """Redaction runs on each whole JSON line; a quoted secret is escaped there (\\")."""
    project = tmp_path / "p"
    project.mkdir()
    lines = OLD_SESSION.read_text().splitlines()
    leaky = json.loads(lines[-2])  # the Edit's tool result
    leaky["message"]["content"][0]["content"] = (
        'config: password = "hunter2hunter2" and key sk-ant-api03-abcdefghijklmnop'
    )
    lines[-2] = json.dumps(leaky)
    (project / OLD_SESSION.name).write_text("\n".join(lines) + "\n")
    target = tmp_path / "sessions"
    target.mkdir()
    [result] = import_sessions([project / OLD_SESSION.name], target)
    assert result.summary is not None
    written = Path(result.summary.session_file).read_text()
    assert "hunter2" not in written and "abcdefghijklmnop" not in written
    assert all(json.loads(line) for line in written.splitlines())
    assert written.count("[REDACTED]") == 2


def test_a_session_with_an_unpriced_model_shows_its_cost_as_a_floor(tmp_path: Path) -> None:
    """The beside session's subagent runs claude-mystery-9, which nothing prices: its cost
    was 'unknown' though the lead's calls are priced. It is never $0, and not nothing."""
    from fep_tui.trace_rows import trace_row

    [result] = import_sessions([BESIDE_SESSION], tmp_path)
    assert result.summary is not None and result.summary.cost_usd is None
    priced = [r.cost_usd for r in result.summary.roles.values() if r.cost_usd is not None]
    assert priced and len(priced) < len(result.summary.roles)
    assert trace_row(result.summary)["cost"] == f"≥ {sum(priced):.4f}"


@pytest.mark.parametrize(
    ("content", "said"),
    [
        ("", "is empty, not a Claude Code transcript"),
        ('{"a": 1}\n', "is not a Claude Code transcript"),
        (None, "is a fep-tui session, not a transcript: open it with fep-tui replay"),
    ],
)
def test_importing_what_is_not_a_transcript_is_refused_and_writes_nothing(
    tmp_path: Path, content: str | None, said: str
) -> None:
    """Each of these became a $0 MEASURED session in home and traces, exit 0."""
    from tests.conftest import run_cli

    source = tmp_path / "given.jsonl"
    if content is None:
        shutil.copy(Path(__file__).parents[1] / "fixtures" / "a-tiny-seed0.jsonl", source)
    else:
        source.write_text(content)
    sessions = tmp_path / "sessions"
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    done = run_cli("import", "claude-code", str(source), "--sessions-dir", str(sessions), env=env)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [f"fep-tui: error: {source} {said}"] or (
        said in done.stderr and len(done.stderr.strip().splitlines()) == 1
    )
    assert not sessions.exists() or not any(sessions.iterdir())


def test_a_stray_file_in_a_projects_directory_is_skipped_and_named(tmp_path: Path) -> None:
    projects = tmp_path / "projects"
    shutil.copytree(PROJECTS, projects)
    stray = projects / "-home-dev-shop" / "notes.jsonl"
    stray.write_text('{"todo": "write the report"}\n')
    (tmp_path / "sessions").mkdir()
    results = import_sessions([projects], tmp_path / "sessions")
    skipped = [r for r in results if r.status == "skipped"]
    assert [r.transcript for r in skipped] == [stray]
    assert "is not a Claude Code transcript" in skipped[0].problem
    imported = [r for r in results if r.status == "imported"]
    assert len(imported) == 3 and all(r.summary is not None for r in imported)


def test_compaction_calls_are_billed_as_their_own_role(tmp_path: Path) -> None:
    """Claude Code's own summarising calls (agent-acompact-*) were left out of the bill.
    One call on Sonnet 4.6: 1,000 input, 5,000 cache read and 200 output tokens cost
    1,000 x $3 + 5,000 x $0.30 + 200 x $15 per million = $0.0075, added to the total."""
    project = tmp_path / "-home-dev-shop"
    shutil.copytree(SHOP, project)
    session = project / SHOP_SESSION.name
    subagents = project / session.stem / "subagents"
    line = {
        "parentUuid": None,
        "isSidechain": True,
        "sessionId": session.stem,
        "version": "2.1.100",
        "type": "assistant",
        "uuid": "compact-0001",
        "timestamp": "2026-11-20T10:00:30.000Z",
        "agentId": "acompact-7f3a",
        "message": {
            "id": "msg_C1",
            "type": "message",
            "role": "assistant",
            "model": "claude-sonnet-4-6",
            "content": [{"type": "text", "text": "Summary of the conversation so far."}],
            "stop_reason": "end_turn",
            "usage": {
                "input_tokens": 1000,
                "cache_read_input_tokens": 5000,
                "cache_creation_input_tokens": 0,
                "output_tokens": 200,
            },
        },
        "requestId": "req_C1",
    }
    (subagents / "agent-acompact-7f3a.jsonl").write_text(json.dumps(line) + "\n")
    before = convert(_one(SHOP_SESSION))
    after = convert(_one(session))
    compaction = _role_totals(after)["compaction"]
    assert compaction == Usage.of(input_tokens=1000, output_tokens=200, cache_read=5000)
    end_before, end_after = before.events[-1], after.events[-1]
    assert isinstance(end_before, TrialEnded) and isinstance(end_after, TrialEnded)
    assert end_after.roles["compaction"].cost_usd == pytest.approx(0.0075)
    assert end_after.total_cost_usd == pytest.approx(end_before.total_cost_usd + 0.0075)
    assert "compaction agent files" not in " ".join(after.stats.skipped)


def _resumed_session(project: Path) -> Path:
    """The shop session resumed: its history copied at the top of a new file (each line
    keeping its first session's id), then one new exchange on Opus 4.5."""
    old = project / SHOP_SESSION.name
    new_id = "44444444-dddd-4ddd-8ddd-444444444444"
    history = [
        line
        for line in old.read_text().splitlines()
        if line.strip() and not line.rstrip().endswith(",")  # leave out the half-written line
    ]
    history = [line for line in history if _is_json(line)]
    prompt = {
        "type": "user",
        "sessionId": new_id,
        "uuid": "4444-0001",
        "timestamp": "2026-11-21T09:00:00.000Z",
        "message": {"role": "user", "content": "Now add a test for the discount."},
    }
    reply = {
        "type": "assistant",
        "sessionId": new_id,
        "uuid": "4444-0002",
        "timestamp": "2026-11-21T09:00:05.000Z",
        "requestId": "req_R1",
        "message": {
            "id": "msg_R1",
            "type": "message",
            "role": "assistant",
            "model": "claude-opus-4-5-20251101",
            "content": [{"type": "text", "text": "Added."}],
            "stop_reason": "end_turn",
            "usage": {
                "input_tokens": 10,
                "cache_creation_input_tokens": 2000,
                "cache_read_input_tokens": 8000,
                "output_tokens": 100,
            },
        },
    }
    resumed = project / f"{new_id}.jsonl"
    resumed.write_text("\n".join([*history, json.dumps(prompt), json.dumps(reply)]) + "\n")
    return resumed


def _is_json(line: str) -> bool:
    try:
        json.loads(line)
    except ValueError:
        return False
    return True


def test_a_resumed_session_bills_only_its_own_calls_and_names_the_one_it_continues(
    tmp_path: Path,
) -> None:
    """Its copied history was billed again: a project cost $35.10 for $29.36. The new
    call on Opus 4.5: 10 x $5 + 2,000 x $6.25 + 8,000 x $0.50 + 100 x $25 per million
    = $0.01905, and nothing else."""
    project = tmp_path / "-home-dev-shop"
    shutil.copytree(SHOP, project)
    resumed = _resumed_session(project)
    converted = convert(_one(resumed))
    calls = [e for e in converted.events if isinstance(e, TurnUsage)]
    assert [(c.role, c.turn) for c in calls] == [("lead", 1)]
    assert converted.events[-1].total_cost_usd == pytest.approx(0.01905)  # type: ignore[attr-defined]
    trace = converted.header.trace
    assert trace is not None
    assert trace.session_id == resumed.stem and trace.continues == SHOP_SESSION.stem
    # The history is still part of the prompt: the new call's reads are attributed to it.
    assert sum(calls[0].attribution.values()) == 8000
    # Both files imported: the project's total is each call once.
    sessions = tmp_path / "sessions"
    sessions.mkdir()
    results = import_sessions([project], sessions)
    once = convert(_one(project / SHOP_SESSION.name)).events[-1].total_cost_usd  # type: ignore[attr-defined]
    total = sum(r.summary.cost_usd or 0 for r in results if r.summary is not None)
    assert total == pytest.approx(once + 0.01905)


def test_a_resumed_session_whose_first_file_is_gone_bills_its_history(tmp_path: Path) -> None:
    project = tmp_path / "-home-dev-shop"
    shutil.copytree(SHOP, project)
    resumed = _resumed_session(project)
    (project / SHOP_SESSION.name).unlink()
    converted = convert(_one(resumed))
    assert converted.header.trace is not None and converted.header.trace.continues == ""
    lead = [e for e in converted.events if isinstance(e, TurnUsage) and e.role == "lead"]
    assert len(lead) == 5, "the four copied calls, then the new one"


def test_traces_roll_up_by_day_project_and_subagent_type(tmp_path: Path) -> None:
    """The three fixture sessions, each with one Explore subagent: per project the shop's
    figures as listed, the cache hit rate the reads over all input (27,155 of 17 + 11,385 +
    27,155), and a total with an unpriced model marked as a floor."""
    from sessions.analysis.claude_code.rollups import rollup
    from sessions.analysis.claude_code.store import summaries_under

    sessions = tmp_path / "sessions"
    sessions.mkdir()
    import_sessions([PROJECTS], sessions)
    found = list(summaries_under(sessions, PROJECTS))
    projects = {row["project"]: row for row in rollup(found, "project")}
    shop = projects["-home-dev-shop"]
    assert (shop["sessions"], shop["model_calls"]) == (1, 6)
    assert shop["cache_hit_rate"] == pytest.approx(27_155 / (17 + 11_385 + 27_155))
    assert shop["cost_usd"] == pytest.approx(SHOP_LEAD_USD + EXPLORE_USD, abs=1e-6)
    assert shop["subagent_reread_tokens"] == 100 and not shop["cost_usd_floor"]
    assert projects["-home-dev-beside"]["cost_usd_floor"], "claude-mystery-9 has no price"
    [day] = rollup(found, "day")
    assert day["day"] == "2026-11-20" and day["sessions"] == 3 and day["cost_usd_floor"]
    assert day["model_calls"] == sum(r["model_calls"] for r in projects.values())
    [explore] = rollup(found, "subagent")
    assert explore["subagent_type"] == "Explore" and explore["sessions"] == 3
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    done = run_cli(
        "traces", "--root", str(PROJECTS), "--sessions-dir", str(sessions),
        "--by", "project", "--format", "csv", env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    header, *lines = done.stdout.strip().splitlines()
    assert header.startswith("project,sessions,model_calls") and len(lines) == 3


def test_output_the_record_understates_is_counted_from_the_content(tmp_path: Path) -> None:
    """Claude Code often keeps the streaming start's output count (1-10) for a call that
    wrote thousands. Here call A2 wrote 600 tokens of text and records 3: the lead's output
    is shown as a floor counted from the content, and its cost beside the recorded one."""
    from engine.tokens import count_text
    from fep_tui.widgets.counters import render_counters

    project = tmp_path / "-home-dev-shop"
    shutil.copytree(SHOP, project)
    session = project / SHOP_SESSION.name
    lines = session.read_text().splitlines()
    text = "alpha " * 600
    for index, line in enumerate(lines):
        if '"id": "msg_A2"' in line:
            data = json.loads(line)
            data["message"]["content"].insert(0, {"type": "text", "text": text})
            data["message"]["usage"]["output_tokens"] = 3
            lines[index] = json.dumps(data)
    session.write_text("\n".join(lines) + "\n")
    before = convert(_one(SHOP_SESSION))
    after = convert(_one(session))
    trace = after.header.trace
    assert trace is not None and set(trace.output_estimated) == {"lead"}
    recorded_lead = _role_totals(before)["lead"].output_tokens
    a2 = [e for e in before.events if isinstance(e, TurnUsage) and e.role == "lead"][1]
    written = count_text(text)  # the added text alone: a floor of what A2 wrote
    assert trace.output_estimated["lead"] >= recorded_lead - a2.usage.output_tokens + written
    assert trace.output_estimated_usd["lead"] >= (written - 3) * 25 / 1e6 * 0.99  # Opus 4.5
    sessions = tmp_path / "sessions"
    sessions.mkdir()
    [result] = import_sessions([session], sessions)
    assert result.summary is not None
    opened = open_index(Path(result.summary.session_file))
    shown = render_counters(opened.timeline.snapshot(), opened.header, width=118).plain
    assert "by output content" in shown
    lead_line = next(line for line in shown.splitlines() if line.startswith("lead"))
    assert "≥" in lead_line


def test_subagent_usage_written_only_in_progress_lines_is_billed(tmp_path: Path) -> None:
    """Some versions write a subagent's messages only inside the main file's `progress`
    lines (`data.type: agent_progress`), with no subagent file: that usage was skipped.
    The same session written that way bills the same as with the subagent's own file."""
    from tests.fixtures.claude_code.make import Writer, lead_session

    session = "44444444-dddd-4ddd-8ddd-444444444444"
    main = Writer(session, "/home/dev/progress", "2.0.70")
    agent = Writer(session, "/home/dev/progress", "2.0.70", main.clock)
    lead_session(main, agent, "c9")
    wrapped = [
        {
            "type": "progress",
            "parentToolUseID": "toolu_task1",
            "sessionId": session,
            "timestamp": line["timestamp"],
            "uuid": f"progress-{n}",
            "data": {"type": "agent_progress", "agentId": "c9", "message": line},
        }
        for n, line in enumerate(agent.lines)
    ]
    # A hook's progress line carries no subagent message: still skipped and counted.
    hook = {"type": "progress", "data": {"type": "hook_progress", "message": "ran a hook"}}
    main.lines = [*sorted([*main.lines, *wrapped], key=lambda line: line["timestamp"]), hook]
    path = tmp_path / "-home-dev-progress" / f"{session}.jsonl"
    main.write(path)
    converted = convert(_one(path))
    totals = _role_totals(converted)
    assert totals["executor-Explore"] == EXPLORE
    assert totals["lead"] == LEAD_3
    [summary] = [e for e in converted.events if isinstance(e, ExecutorSummary)]
    assert summary.executor_turns == 2
    assert converted.stats.skipped["progress lines"] == 1


def test_agent_files_no_delegation_claims_are_billed_as_their_own_roles(tmp_path: Path) -> None:
    """A warm-up agent (2.0.x), a workflow's agents (`subagents/workflows/<id>/`) and an
    agent file with a `.meta.json` but no Task call were dropped without a word. Each is
    billed, as `warmup`, its type from its .meta.json, or `workflow`; the delegated
    Explore subagent keeps its own totals."""
    from tests.fixtures.claude_code.make import EXPLORE_MODEL, Writer, lead_session

    session = "55555555-eeee-4eee-8eee-555555555555"
    cwd = "/home/dev/many"
    main = Writer(session, cwd, "2.0.61")
    explore = Writer(session, cwd, "2.0.61", main.clock)
    lead_session(main, explore, "e1")
    nested = tmp_path / "-home-dev-many" / session / "subagents"
    main.write(tmp_path / "-home-dev-many" / f"{session}.jsonl")
    explore.write(nested / "agent-e1.jsonl")

    def agent(path: Path, prompt: str, usage: tuple[int, int, int, int], meta: str = "") -> None:
        writer = Writer(session, cwd, "2.0.61", main.clock)
        writer.user(prompt, sidechain=True)
        reply = [{"type": "text", "text": "ok"}]
        writer.assistant(f"msg_{path.stem}", EXPLORE_MODEL, reply, usage, sidechain=True)
        writer.write(path)
        if meta:
            path.with_name(path.stem + ".meta.json").write_text(meta)

    agent(nested / "agent-w1.jsonl", "Warmup", (4, 1000, 0, 10))
    agent(nested / "agent-p1.jsonl", "Plan the fix", (5, 2000, 0, 20), '{"agentType": "Plan"}')
    flow = nested / "workflows" / "wf1"
    agent(flow / "agent-f1.jsonl", "Review it", (6, 3000, 0, 30), '{"agentType": "reviewer"}')
    agent(flow / "agent-f2.jsonl", "Check it", (7, 4000, 0, 40))
    converted = convert(_one(tmp_path / "-home-dev-many" / f"{session}.jsonl"))
    totals = _role_totals(converted)
    assert totals["executor-Explore"] == EXPLORE, "the delegated subagent is still its own"
    # (input, 5m write, read, output) as written: Usage(input, output, write 5m, 1h, read).
    assert totals["warmup"] == Usage(4, 10, 1000, 0, 0)
    assert totals["executor-Plan"] == Usage(5, 20, 2000, 0, 0)
    assert totals["executor-reviewer"] == Usage(6, 30, 3000, 0, 0)
    assert totals["executor-workflow"] == Usage(7, 40, 4000, 0, 0)
    # Haiku 4.5: $1 in, $5 out, $1.25 5m write (a million).
    extra = sum(i * 1 + o * 5 + w * 1.25 for i, o, w in [(4, 10, 1000), (5, 20, 2000),
                (6, 30, 3000), (7, 40, 4000)]) / 1e6  # fmt: skip
    end = converted.events[-1]
    assert isinstance(end, TrialEnded)
    lead = (11 * 5 + 370 * 25 + 8170 * 6.25 + 16155 * 0.5) / 1e6  # LEAD_3 on Opus 4.5
    assert end.total_cost_usd == pytest.approx(lead + EXPLORE_USD + extra, abs=1e-6)


def test_a_summary_in_the_import_index_reads_back_whole(tmp_path: Path) -> None:
    """The index keeps each session's summary (TraceSummary.to_dict, written field by
    field); `traces` lists from it alone, so a field lost there is lost from the listing."""
    from dataclasses import fields

    from sessions.analysis.claude_code.store import TraceSummary, import_sessions

    [result] = import_sessions([SHOP_SESSION], tmp_path)
    assert result.summary is not None
    written = result.summary.to_dict()
    assert list(written) == [f.name for f in fields(TraceSummary)]
    assert TraceSummary.from_dict(json.loads(json.dumps(written))) == result.summary
