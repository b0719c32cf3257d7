"""Comparing saved sessions and published results headless, and what gets rejected."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pytest

from sessions import load_session
from sessions.analysis.comparison import (
    ImportFormatError,
    add_whatif,
    arm_table,
    collect,
    import_published,
)
from sessions.analysis.summary_index import INDEX_NAME
from sessions.analysis.whatif import WhatIf
from tests.compare_fixtures import copy_trial, make_mixed_dir, published_line
from tests.conftest import run_cli

FIXTURE = Path(__file__).parents[1] / "fixtures" / "b-tiny-seed0.jsonl"


def _env(tmp_path: Path) -> dict[str, str]:
    import sys

    return {"PATH": str(Path(sys.executable).parent), "HOME": str(tmp_path)}


def test_compare_json_equals_numbers_recomputed_from_the_files(tmp_path: Path) -> None:
    directory = tmp_path / "sessions"
    directory.mkdir()
    for n in range(3):
        copy_trial(directory / f"b{n}.jsonl", f"trial-{n}")
    result = run_cli(
        "compare", str(directory), "--baseline", "B", "--format", "json", env=_env(tmp_path)
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    end = load_session(FIXTURE).end
    assert end is not None
    arm = report["arms"][0]
    assert (arm["arm"], arm["trials"], arm["successes"]) == ("B", 3, 3)
    assert arm["median_cost_usd"] == pytest.approx(end.total_cost_usd)
    assert arm["median_lead_cache_read"] == end.roles["orchestrator"].usage.cache_read
    assert arm["reread_ratio"] == 1.0 and report["sources"] == ["SIMULATED"]
    buckets = {(b["arm"], b["role"]): b for b in report["role_buckets"]}
    for role, totals in end.roles.items():
        assert buckets[("B", role)]["cache_read"] == totals.usage.cache_read
        assert buckets[("B", role)]["output_tokens"] == totals.usage.output_tokens


def test_bad_files_are_listed_with_a_reason_and_good_ones_compared(tmp_path: Path) -> None:
    directory = tmp_path / "mixed"
    directory.mkdir()
    shutil.copy(FIXTURE, directory / "good.jsonl")
    (directory / "empty.jsonl").write_text("")
    (directory / "foreign.jsonl").write_text('{"hello": 1}\n')
    raw = FIXTURE.read_bytes()
    (directory / "half.jsonl").write_bytes(raw[: len(raw) // 2])
    (directory / "corrupt.jsonl").write_bytes(b"\x00\xff garbage\n")
    found = collect([directory])
    assert len(found.rows) == 1
    reasons = " ".join(found.rejected)
    for name, why in (
        ("empty", "empty"),
        ("foreign", "no session header"),
        ("corrupt", "not a fep-tui session"),
    ):
        assert f"{name}.jsonl" in reasons and why in reasons, (name, reasons)
    # A cut-off session is a trial that did not finish: excluded with its reason, and
    # counted once though it shares the good one's trial id.
    assert found.excluded == [] and found.duplicates == 1


def test_published_import_excludes_failed_to_start_rows(tmp_path: Path) -> None:
    lines = [
        {
            "arm": "A",
            "task": "T1",
            "trial": 1,
            "success": True,
            "blocked": False,
            "wall_sec": 300.0,
            "iterations": 20,
            "usage_by_role": {
                "claude-opus-4-7": {
                    "input_tokens": 10,
                    "output_tokens": 20,
                    "cache_creation_input_tokens": 30,
                    "cache_read_input_tokens": 4000,
                }
            },
            "cost_usd_by_role": {"claude-opus-4-7": 1.5},
            "total_cost_usd": 1.5,
            "verify_final": {"exit_code": 0, "summary": "ok"},
            "error": None,
        },
        {
            "arm": "A",
            "task": "T1",
            "trial": 2,
            "success": False,
            "blocked": True,
            "wall_sec": 1.0,
            "iterations": 0,
            "usage_by_role": {},
            "cost_usd_by_role": {},
            "total_cost_usd": 0.0,
            "verify_final": None,
            "error": "failed to start",
        },
    ]
    path = tmp_path / "published.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    imported = import_published(path)
    outcomes = [row.outcome for row in imported.rows]
    assert outcomes == ["success", "never started"]
    assert imported.rows[0].lead_cache_read == 4000 and imported.rows[0].turns == 20
    csv_path = tmp_path / "published.csv"
    csv_path.write_text(
        "arm,task,trial,success,blocked,wall_sec,iterations,cost_usd,opus_in,opus_out,opus_cache_w,opus_cache_r,"
        "haiku_in,haiku_out,haiku_cache_w,haiku_cache_r,qwen_present,verify_exit\n"
        "B,T2,1,True,False,400,30,2.5,1,2,3,9000,0,0,0,0,True,0\n"
        "B,T2,2,False,True,2,0,0,0,0,0,0,0,0,0,0,True,1\n"
    )
    from_csv = import_published(csv_path)
    assert [row.outcome for row in from_csv.rows] == ["success", "never started"]
    assert from_csv.rows[0].lead_cache_read == 9000
    result = run_cli("compare", str(tmp_path), "--import", str(path), env=_env(tmp_path))
    assert result.returncode == 0
    assert "excluded (never started): T1 A PUBLISHED published.jsonl:A:T1:2" in result.stdout


def _published(arm: str, trial: int, usage_by_role: dict[str, dict[str, int]]) -> str:
    costs = {m: 0.5 if "opus" in m else 0.0 for m in usage_by_role}
    return published_line(
        arm, "T1", trial, usage_by_role, costs, wall_sec=100.0 + trial, iterations=10
    )


OPUS_USAGE = {
    "input_tokens": 1000,
    "output_tokens": 2000,
    "cache_creation_input_tokens": 3000,
    "cache_read_input_tokens": 40000,
}
QWEN_ZERO = dict.fromkeys(OPUS_USAGE, 0)


@pytest.mark.parametrize(
    ("options", "expected_usd"),
    [
        # Opus at the published $15/$75: 1000*15 + 2000*75 + 3000*18.75 + 40000*1.5, per 1M.
        ((), 0.28125),
        # At the official $5/$25: 1000*5 + 2000*25 + 3000*6.25 + 40000*0.5.
        (("--what-if-card", "official"), 0.09375),
        # Caching off: all 44,000 prompt tokens at $15, plus the output.
        (("--no-cache",), 0.81),
        # 1h writes on the study's own card: it has one write price, so nothing changes...
        (("--cache-ttl", "1h"), 0.28125),
        # ...and on the official card the 3,000 written tokens cost 2x input ($10/M).
        (("--what-if-card", "official", "--cache-ttl", "1h"), 0.105),
    ],
)
def test_imported_rows_are_repriced_from_their_buckets(
    tmp_path: Path, options: tuple[str, ...], expected_usd: float
) -> None:
    path = tmp_path / "published.jsonl"
    path.write_text(
        _published("A", 1, {"claude-opus-4-7": OPUS_USAGE})
        + "\n"
        + _published("B", 1, {"claude-opus-4-7": OPUS_USAGE, "qwen3.5:9b": QWEN_ZERO})
        + "\n"
    )
    if not options:
        # The baseline of the change: the buckets at the card the study priced with.
        options = ("--what-if-card", "published")
    result = run_cli(
        "compare",
        str(tmp_path),
        "--import",
        str(path),
        "--format",
        "json",
        *options,
        env=_env(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    for arm in report["arms"]:
        assert arm["whatif_median_cost_usd"] == pytest.approx(expected_usd), arm
        assert arm["whatif_change"] == pytest.approx(expected_usd / 0.28125 - 1), arm
    # The models became roles: Opus alone is solo; beside the local Qwen it orchestrates.
    roles = {(b["arm"], b["role"]): b for b in report["role_buckets"]}
    assert set(roles) == {("A", "solo"), ("B", "orchestrator"), ("B", "executor")}
    assert roles["B", "orchestrator"]["cache_read"] == 40000
    assert roles["B", "executor"]["cost_usd"] == 0.0
    assert roles["A", "solo"]["cache_write_5m"] == 3000


def test_a_summary_cap_cannot_reprice_imported_rows(tmp_path: Path) -> None:
    path = tmp_path / "published.csv"
    path.write_text(
        "arm,task,trial,success,blocked,wall_sec,iterations,cost_usd,opus_in,opus_out,"
        "opus_cache_w,opus_cache_r,haiku_in,haiku_out,haiku_cache_w,haiku_cache_r,"
        "qwen_present,verify_exit\n"
        "C,T2,1,True,False,400,30,2.5,1000,2000,3000,40000,10,20,0,500,False,0\n"
    )
    rows = collect([], [path]).labelled()
    (capped,) = add_whatif(rows, WhatIf(summary_cap=100))
    assert capped.whatif_cost_usd is not None and math.isnan(capped.whatif_cost_usd)
    (official,) = add_whatif(rows, WhatIf(rate_card="official"))
    # Opus as above plus Haiku's 10 in, 20 out and 500 read at $1/$5/$0.10.
    haiku = (10 * 1 + 20 * 5 + 500 * 0.1) / 1e6
    assert official.whatif_cost_usd == pytest.approx(0.09375 + haiku)
    assert official.resimulated_cost_usd == pytest.approx(0.28125 + haiku)
    assert official.roles["orchestrator"].model == "claude-opus-4-7"
    assert official.roles["executor"].model == "claude-haiku-4-5"


def test_import_with_a_bad_line_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"arm": "A"}\n')
    with pytest.raises(ImportFormatError, match=r"bad.jsonl:1: not a published result"):
        import_published(path)
    result = run_cli("compare", str(tmp_path), "--import", str(path), env=_env(tmp_path))
    assert (
        result.returncode == 2
        and "bad.jsonl:1" in result.stderr
        and "(missing field 'success')" in result.stderr
        and "Traceback" not in result.stderr
    )


def test_summary_index_reads_each_new_or_changed_file_once(tmp_path: Path) -> None:
    directory = tmp_path / "sessions"
    directory.mkdir()
    for n in range(3):
        copy_trial(directory / f"b{n}.jsonl", f"trial-{n}")
    (directory / "broken.jsonl").write_text("not json\n")
    first = collect([directory])
    assert (first.parsed, len(first.rows), len(first.rejected)) == (4, 3, 1)
    again = collect([directory])
    assert (again.parsed, again.rows, again.rejected) == (0, first.rows, first.rejected)
    # A finished session whose file grows (a re-run under the same name) is read again.
    with (directory / "b1.jsonl").open("a") as out:
        out.write("\n")
    copy_trial(directory / "b3.jsonl", "trial-3")
    (directory / "b0.jsonl").unlink()
    changed = collect([directory])
    assert changed.parsed == 2 and len(changed.rows) == 3
    # A damaged index is a cache miss, not an error.
    (directory / INDEX_NAME).write_text("{garbage")
    rebuilt = collect([directory])
    assert rebuilt.parsed == 4 and len(rebuilt.rows) == 3


def test_a_read_only_directory_still_compares(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Simulated with a failing mkstemp: the suite may run as root, where chmod does not
    stop writes."""
    directory = tmp_path / "ro"
    directory.mkdir()
    shutil.copy(FIXTURE, directory / "b.jsonl")

    def refuse(*args: object, **kwargs: object) -> tuple[int, str]:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("sessions.cache_files.tempfile.mkstemp", refuse)
    assert len(collect([directory]).rows) == 1
    assert not (directory / INDEX_NAME).exists()


def test_compare_never_pools_configurations_sources_or_unfinished_trials(tmp_path: Path) -> None:
    directory = make_mixed_dir(tmp_path / "mixed")
    published = tmp_path / "published.jsonl"
    usage = {"claude-opus-4-7": {"input_tokens": 10, "output_tokens": 20}}
    published.write_text(
        "\n".join(published_line("A", "tiny", t, usage, {"claude-opus-4-7": 0.5}) for t in (1, 2))
        + "\n"
    )
    twice = [str(directory), str(directory), "--import", str(published)]
    env = _env(tmp_path)
    expected = {
        ("A · simulated · official card", "SIMULATED"),
        ("A · simulated · published card", "SIMULATED"),
        ("A · published", "PUBLISHED"),
        ("B · cap 1000 chars", "SIMULATED"),
        ("B · cap 4000 chars", "SIMULATED"),
    }
    report = json.loads(run_cli("compare", *twice, "--format", "json", env=env).stdout)
    arms = {(row["arm"], row["source"]): row for row in report["arms"]}
    assert set(arms) == expected
    # Each trial once, though the directory is named twice; only finished trials count.
    assert all(row["trials"] == row["successes"] == 2 for row in arms.values())
    assert report["duplicates"] == 10
    excluded = {(e["trial"], e["outcome"]) for e in report["excluded"]}
    assert excluded == {("B-interrupted", "interrupted"), ("B-never-started", "never started")}
    assert all(p["source"] == "SIMULATED" for p in report["pairwise"]), "no test across sources"

    csv = run_cli("compare", *twice, "--format", "csv", env=env).stdout
    markdown = run_cli("compare", *twice, "--format", "markdown", env=env).stdout
    table = run_cli("compare", *twice, env={**env, "COLUMNS": "200"}).stdout
    for out in (csv, markdown, table):
        for label, source in expected:
            assert label in out and source in out, (label, out)
        assert "B-interrupted" in out and "B-never-started" in out
        assert "cancelled by the user" in out and "authentication_error" in out
    assert "# excluded" in csv and "# pairwise" in csv
    for out in (markdown, table):
        assert "10 trial(s) met more than once" in out
        assert "arm names run under different configurations or sources are split" in out


def test_an_executor_never_called_is_counted_and_marked(tmp_path: Path) -> None:
    """The AgentOpt finding: a lead that does the work itself. A trial of arm B whose
    orchestrator never delegated is counted in compare and marked on the trial screen."""
    from fep_tui.widgets.counters import render_counters
    from sessions.analysis.comparison import session_row
    from sessions.index_cache import open_index

    lines = FIXTURE.read_text().splitlines()
    kept = []
    for line in lines:
        event = json.loads(line)
        if event.get("role") == "executor" or event.get("kind") in (
            "delegation",
            "executor_summary",
        ):
            continue
        if event.get("kind") == "trial_end":
            event["roles"]["executor"]["turns"] = 0
            event["roles"]["executor"]["usage"] = dict.fromkeys(
                event["roles"]["executor"]["usage"], 0
            )
        kept.append(json.dumps(event))
    alone = tmp_path / "alone.jsonl"
    alone.write_text("\n".join(kept) + "\n")
    assert session_row(alone).executor_unused is True
    assert session_row(FIXTURE).executor_unused is False
    assert session_row(FIXTURE).advisor_unused is None, "arm B has no advisor"
    shutil.copy(FIXTURE, tmp_path / "b.jsonl")
    table = arm_table(collect([tmp_path]).labelled(), "B")
    assert [row["executor_never_called"] for row in table] == [1.0]
    index = open_index(alone)
    text = render_counters(index.timeline.snapshot(), index.header, "replay").plain
    assert "executor never called" in text
    normal = open_index(tmp_path / "b.jsonl")
    assert "never called" not in render_counters(normal.timeline.snapshot(), normal.header).plain


def test_fields_an_older_fep_tui_did_not_record_are_not_named_as_differences() -> None:
    """A schema 1 session of arm B lacks return_policy and num_ctx, which later versions
    save. Its group was labelled `B · no executor · no orchestrator` (it has both), and the
    new one by every field the old one lacks, too long for the table to show a figure."""
    from sessions.analysis.groups import differences

    old = {
        "arm": {"executor": {"model": "qwen3.5:9b", "return_cap_chars": 4000}},
        "engine_version": "0.1.0",
    }
    new = {
        "arm": {
            "executor": {
                "model": "qwen3.5:9b",
                "return_cap_chars": 4000,
                "return_policy": "free",
                "num_ctx": 32768,
            }
        },
        "engine_version": "0.2.0",
    }
    assert differences(old, [old, new]) == ["engine 0.1.0"]
    assert differences(new, [old, new]) == ["engine 0.2.0"]
    solo = {"arm": {"solo": {"model": "claude-opus-4-7"}}, "engine_version": "0.2.0"}
    assert differences(solo, [solo, new]) == ["no executor", "solo claude-opus-4-7"]


def test_a_published_re_run_of_the_same_trial_index_is_its_own_trial(tmp_path: Path) -> None:
    """The study kept a re-run after a failed start under the same arm, task and trial
    index; both rows were trials, but the second was dropped as a duplicate. Only the same
    file named twice is one."""
    published = tmp_path / "published.jsonl"
    usage = {"claude-opus-4-7": {"input_tokens": 10, "output_tokens": 20}}
    lines = [published_line("A", "tiny", t, usage, {"claude-opus-4-7": 0.5}) for t in (1, 1, 2)]
    published.write_text("\n".join(lines) + "\n")
    found = collect([], [published, published])
    assert len(found.rows) == 3 and found.duplicates == 3
    assert [row.trial for row in found.rows] == [
        "published.jsonl:A:tiny:1",
        "published.jsonl:A:tiny:1 (line 2)",
        "published.jsonl:A:tiny:2",
    ]
    # Each kept row is its file's line: the same file named twice added no trial.
    assert len({row.row_key for row in found.rows}) == 3
