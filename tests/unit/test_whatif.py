"""What-if re-pricing: re-simulation through the cache model, checked against the recorded
usage and against figures computed by hand from the session's own buckets."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

import pytest

from engine.arms import resolve_arm
from engine.events import ExecutorSummary, TurnUsage
from engine.pricing import get_rate_card
from engine.trial import TrialConfig, run_trial
from engine.usage import Usage
from sessions import SessionWriter, load_session
from sessions.analysis.whatif import WhatIf, _calls, _simulate, reprice
from sessions.index import SessionIndex
from sessions.reader import Session
from sessions.timeline import Timeline
from tests.conftest import run_cli

FIXTURE = Path(__file__).parents[1] / "fixtures" / "b-tiny-seed0.jsonl"


@pytest.fixture(scope="module")
def arm_c_session(tmp_path_factory: pytest.TempPathFactory) -> Session:
    """Arm C: an Anthropic executor, so several cached conversations in one trial."""
    writer = SessionWriter(tmp_path_factory.mktemp("c"))
    asyncio.run(run_trial(TrialConfig(resolve_arm("C"), "tiny"), [writer]))
    writer.close()
    assert writer.path is not None
    return load_session(writer.path)


def _timeline(session: Session) -> Timeline:
    return SessionIndex.build(session.path).timeline


def _lead_usage(session: Session) -> list[TurnUsage]:
    return [e for e in session.events if isinstance(e, TurnUsage) and e.role == "orchestrator"]


@pytest.mark.parametrize("which", ["B", "C"])
def test_resimulating_as_recorded_reproduces_every_call(which: str, arm_c_session: Session) -> None:
    session = load_session(FIXTURE) if which == "B" else arm_c_session
    calls = _calls(_timeline(session))
    assert _simulate(calls, WhatIf(), {}) == [c.usage for c in calls]
    result = reprice(_timeline(session), WhatIf())
    assert result.resimulated_usd == pytest.approx(result.recorded_usd, abs=1e-6)
    assert result.whatif_usd == pytest.approx(result.recorded_usd, abs=1e-6)


def test_caching_off_bills_every_prompt_token_as_input() -> None:
    session = load_session(FIXTURE)
    price = get_rate_card("official").price("claude-opus-4-7", "anthropic")
    lead = _lead_usage(session)
    by_hand = sum(
        price.cost(
            Usage.of(
                input_tokens=e.usage.total_input,
                output_tokens=e.usage.output_tokens,
            )
        )
        for e in lead
    )
    result = reprice(_timeline(session), WhatIf(caching=False))
    assert result.whatif_lead_cache_read == 0
    assert result.whatif_usd == pytest.approx(by_hand, rel=1e-9)  # the executor is free


def test_one_hour_writes_move_every_write_to_the_2x_bucket() -> None:
    session = load_session(FIXTURE)
    price = get_rate_card("official").price("claude-opus-4-7", "anthropic")
    writes = sum(e.usage.cache_write_5m for e in _lead_usage(session))
    result = reprice(_timeline(session), WhatIf(write_ttl="1h"))
    extra = writes * (price.cache_write_1h - price.cache_write_5m) / 1_000_000
    assert result.whatif_usd - result.resimulated_usd == pytest.approx(extra, rel=1e-9)
    assert result.roles["orchestrator"].usage.cache_write_5m == 0


def test_capping_summaries_removes_their_tokens_from_every_later_read() -> None:
    """Each lead turn after the one a summary arrives in re-reads it from the cache; a cap
    of 0 takes all of it out of each of those reads."""
    session = load_session(FIXTURE)
    lead_turns = [e.turn for e in _lead_usage(session)]
    summaries = [e for e in session.events if isinstance(e, ExecutorSummary)]
    assert summaries
    by_hand = sum(s.tokens * sum(1 for t in lead_turns if t > s.turn + 1) for s in summaries)
    result = reprice(_timeline(session), WhatIf(summary_cap=0))
    assert result.lead_cache_read - result.whatif_lead_cache_read == by_hand
    assert result.whatif_usd < result.resimulated_usd
    largest = max(s.tokens for s in summaries)
    assert reprice(_timeline(session), WhatIf(summary_cap=largest)).whatif_usd == pytest.approx(
        result.resimulated_usd
    )


def test_another_rate_card_reprices_the_same_usage() -> None:
    session = load_session(FIXTURE)
    published = get_rate_card("published").price("claude-opus-4-7", "anthropic")
    totals = sum((e.usage for e in _lead_usage(session)), Usage.of())
    result = reprice(_timeline(session), WhatIf(rate_card="published"))
    assert result.whatif_usd == pytest.approx(published.cost(totals), rel=1e-9)


def test_compare_and_whatif_commands_show_the_what_if(tmp_path: Path) -> None:
    directory = tmp_path / "sessions"
    directory.mkdir()
    shutil.copy(FIXTURE, directory)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    out = run_cli("compare", str(directory), "--cap-summaries", "0", "--format", "json", env=env)
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    expected = reprice(_timeline(load_session(FIXTURE)), WhatIf(summary_cap=0))
    arm = report["arms"][0]
    assert report["whatif"] == "summaries capped at 0 tokens"
    assert arm["whatif_median_cost_usd"] == pytest.approx(expected.whatif_usd)
    assert arm["whatif_change"] == pytest.approx(expected.change)
    single = run_cli("whatif", str(FIXTURE), "--no-cache", env=env)
    assert single.returncode == 0 and "what-if caching off" in single.stdout
    bad = run_cli("whatif", str(FIXTURE), "--cap-summaries", "-5", env=env)
    assert bad.returncode == 2
    assert bad.stderr.strip() == (
        "fep-tui: error: --cap-summaries needs a number of tokens >= 0, e.g. 500"
    )


def test_whatif_per_arm_leaves_out_a_stopped_trial_and_names_it(tmp_path: Path) -> None:
    """`whatif DIR` pooled every file into its arm's median and total, a trial the user
    stopped after two turns too: its part-run cost dragged the arm's change from +103% to
    +84% in a session of ours. It is left out and named, as compare does."""
    directory = tmp_path / "sessions"
    directory.mkdir()
    shutil.copy(FIXTURE, directory)
    lines = FIXTURE.read_text().splitlines()
    header = {**json.loads(lines[0]), "trial_id": "stopped-early"}
    cut = [json.dumps(header), *lines[1 : len(lines) // 3]]
    (directory / "stopped.jsonl").write_text("\n".join(cut) + "\n")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}

    out = run_cli("whatif", str(directory), "--no-cache", "--format", "json", env=env)
    assert out.returncode == 0, out.stderr
    (row,) = json.loads(out.stdout)
    expected = reprice(_timeline(load_session(FIXTURE)), WhatIf(caching=False))
    assert row["trials"] == 1
    assert row["median_after_usd"] == pytest.approx(expected.whatif_usd)
    assert "excluded (interrupted): tiny B SIMULATED stopped-early: cut off" in out.stderr

    table = run_cli("whatif", str(directory), "--no-cache", env=env)
    assert "excluded (interrupted): tiny B SIMULATED stopped-early" in table.stdout


def test_whatif_on_a_file_with_a_damaged_line_says_so_on_stderr(tmp_path: Path) -> None:
    """replay names the lines it skipped; whatif gave its figures with no word of them."""
    damaged = tmp_path / "damaged.jsonl"
    lines = (Path(__file__).parents[1] / "fixtures" / "b-tiny-seed0.jsonl").read_text().splitlines()
    lines[20] = '{"kind": "usage", "t": "not a time"'
    damaged.write_text("\n".join(lines) + "\n")
    done = run_cli("whatif", str(damaged), env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    warning = [line for line in done.stderr.splitlines() if "damaged.jsonl" in line]
    assert len(warning) == 1 and warning[0].startswith(
        "fep-tui: warning: damaged.jsonl: loaded what is whole; line 21"
    ), done.stderr
    assert "re-simulated as recorded" in done.stdout


CLAUDE_CODE = Path(__file__).parents[1] / "fixtures" / "claude_code" / "projects"


def test_a_whatif_that_changes_nothing_gives_an_imports_recorded_figures(tmp_path: Path) -> None:
    """Re-simulating an imported transcript moved the lead's re-read by 9 tokens under
    terms that change nothing; a no-op, or a change of card alone, uses what was recorded."""
    from sessions.analysis.claude_code.store import import_sessions
    from sessions.index_cache import open_index

    shop = CLAUDE_CODE / "-home-dev-shop" / "11111111-aaaa-4aaa-8aaa-111111111111.jsonl"
    [result] = import_sessions([shop], tmp_path)
    assert result.summary is not None
    timeline = open_index(Path(result.summary.session_file)).timeline
    same = reprice(timeline, WhatIf())
    # The record's total is stored to six places.
    assert same.whatif_usd == pytest.approx(same.recorded_usd, abs=1e-6)
    assert same.resimulated_usd == same.whatif_usd
    assert same.whatif_lead_cache_read == same.lead_cache_read
    published = reprice(timeline, WhatIf(rate_card="published"))
    assert published.whatif_lead_cache_read == same.lead_cache_read
    # An estimate is in proportion to the record: caching off re-reads nothing (the
    # difference from the record gave -9 tokens).
    nocache = reprice(timeline, WhatIf(caching=False))
    assert nocache.estimate and nocache.whatif_lead_cache_read == 0


def test_whatif_takes_a_transcript_as_replay_does(tmp_path: Path) -> None:
    shop = CLAUDE_CODE / "-home-dev-shop" / "11111111-aaaa-4aaa-8aaa-111111111111.jsonl"
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    done = run_cli("whatif", str(shop), "--no-cache", env=env)
    assert done.returncode == 0, done.stderr
    assert "recorded $0.0782" in done.stdout and "lead re-read 24,155 -> 0 tokens" in done.stdout


def test_whatif_on_a_directory_lists_an_unpriced_session_apart(tmp_path: Path) -> None:
    from sessions.analysis.claude_code.store import import_sessions

    (tmp_path / "sessions").mkdir()
    import_sessions([CLAUDE_CODE], tmp_path / "sessions")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    done = run_cli("whatif", str(tmp_path / "sessions"), env=env)
    assert done.returncode == 0, done.stderr
    assert "excluded (price unknown)" in done.stdout and "claude-mystery-9" in done.stdout
    assert "left out, price unknown" in done.stderr
