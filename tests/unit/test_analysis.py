"""The notebook API: DataFrames of trials, model calls and delegations whose figures are
the sessions' own and compare's, and pandas loaded only when a frame is asked for."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from fep_tui.analysis import AnalysisError, calls_df, delegations_df, trials_df
from sessions import load_session
from sessions.analysis.claude_code.store import import_sessions
from sessions.analysis.comparison import arm_table, collect
from tests.compare_fixtures import make_compare_dir, published_line
from tests.conftest import run_cli

FIXTURES = Path(__file__).parents[1] / "fixtures"
SHOP = FIXTURES / "claude_code" / "projects" / "-home-dev-shop"
SHOP_SESSION = SHOP / "11111111-aaaa-4aaa-8aaa-111111111111.jsonl"


def _recorded(tmp_path: Path) -> Path:
    """The two recorded trials (arm A solo, arm B with its Qwen executor) and one imported
    Claude Code session, in one directory."""
    directory = tmp_path / "sessions"
    directory.mkdir()
    for name in ("a-tiny-seed0.jsonl", "b-tiny-seed0.jsonl"):
        shutil.copy(FIXTURES / name, directory / name)
    import_sessions([SHOP_SESSION], directory)
    return directory


def test_each_frame_adds_up_to_the_sessions_own_figures(tmp_path: Path) -> None:
    directory = _recorded(tmp_path)
    trials = trials_df([directory])
    assert len(trials) == 3
    for row in trials.to_dict("records"):
        end = load_session(Path(str(row["path"]))).end
        assert end is not None
        assert row["cost_usd"] == pytest.approx(end.total_cost_usd)
        assert row["model_calls"] == end.turns
    calls = calls_df([directory])
    per_trial = calls.groupby("trial_id")["cost_usd"].sum().to_dict()
    for row in trials.to_dict("records"):
        trial = str(row["trial_id"])
        assert per_trial[trial] == pytest.approx(row["cost_usd"], abs=1e-5), trial
        assert (calls["trial_id"] == trial).sum() == row["model_calls"]
    b = trials[trials["arm_name"] == "B"].iloc[0]
    assert b["executor.cost_usd"] == 0 and b["executor.input_tokens"] > 0
    assert pd_isna(trials[trials["arm_name"] == "A"].iloc[0]["executor.input_tokens"])
    # The re-read split of each lead call sums to its cache read.
    lead = calls[calls["role"].isin(["orchestrator", "solo", "lead"])]
    split = lead[[c for c in calls.columns if c.startswith("reread_")]].sum(axis=1)
    assert len(lead) > 0 and (split == lead["cache_read"]).all()
    trace = trials[trials["source"] == "MEASURED (Claude Code)"].iloc[0]
    assert trace["outcome"] == "not judged" and trace["lead.cost_usd"] > 0


def pd_isna(value: object) -> bool:
    import pandas

    return value is pandas.NA or value is None or value != value


def test_delegations_carry_each_summarys_cost_to_the_lead(tmp_path: Path) -> None:
    directory = _recorded(tmp_path)
    delegations = delegations_df([directory])
    trials = trials_df([directory])
    b_id = str(trials[trials["arm_name"] == "B"]["trial_id"].iloc[0])
    b = delegations[delegations["trial_id"] == b_id]
    assert len(b) == 3 and list(b["number"]) == [1, 2, 3]
    assert (b["total_usd"] == b["write_usd"] + b["reread_usd"]).all()
    trace = delegations[delegations["trial_id"].str.startswith("claude-code")]
    # The shop session: a 100-token summary, written once and re-read on one later call.
    assert trace[
        ["summary_tokens", "write_tokens", "reread_tokens", "reread_turns"]
    ].values.tolist() == [[100, 100, 100, 1]]


def test_the_compare_tables_medians_come_back_from_trials_df(tmp_path: Path) -> None:
    directory = make_compare_dir(tmp_path / "sessions")
    published = tmp_path / "published.jsonl"
    usage = {"input_tokens": 1000, "output_tokens": 2000, "cache_read_input_tokens": 40000}
    published.write_text(
        "\n".join(
            published_line("P", "tiny", t, {"claude-opus-4-7": usage}, {"claude-opus-4-7": 0.3})
            for t in range(3)
        )
        + "\n"
    )
    trials = trials_df([directory], imports=[published])
    assert set(trials["origin"]) == {"session", "published"}
    table = arm_table(collect([directory], [published]).labelled(), "A")
    successes = trials[trials["success"]]
    medians = successes.groupby("arm")["cost_usd"].median()
    for row in table:
        assert medians[row["arm"]] == pytest.approx(row["median_cost_usd"]), row["arm"]


def test_a_damaged_file_raises_or_comes_back_named(tmp_path: Path) -> None:
    directory = _recorded(tmp_path)
    lines = (FIXTURES / "b-tiny-seed0.jsonl").read_text().splitlines()
    usage = next(i for i, line in enumerate(lines) if line.startswith('{"kind":"usage"'))
    lines[usage] = lines[usage][: len(lines[usage]) // 2]  # a model call cut in half
    # Its own trial id, so it is not taken for the B fixture met twice.
    text = "\n".join(lines).replace('"trial_id":"', '"trial_id":"dmg-', 1) + "\n"
    (directory / "damaged.jsonl").write_text(text)
    with pytest.raises(AnalysisError, match=r"damaged\.jsonl.*strict=False"):
        calls_df([directory])
    frame, notes = calls_df([directory], strict=False)
    assert any("damaged.jsonl" in n and f"line {usage + 1}" in n for n in notes), notes
    assert (frame["trial_id"].str.startswith("dmg-")).any()


def test_importing_the_module_does_not_import_pandas() -> None:
    code = "import sys, fep_tui.analysis; print('pandas' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_without_pandas_a_frame_says_how_to_install_it(tmp_path: Path) -> None:
    code = (
        "import sys; sys.modules['pandas'] = None\n"
        "from fep_tui.analysis import trials_df\n"
        f"trials_df([{str(tmp_path)!r}])\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode != 0
    assert "pip install 'fep-tui[analysis]'" in done.stderr.strip().splitlines()[-1]


def test_export_parquet_writes_the_three_tables(tmp_path: Path) -> None:
    import pandas

    directory = _recorded(tmp_path)
    out = tmp_path / "out"
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    done = run_cli("export", "parquet", str(directory), "--out", str(out), env=env)
    assert done.returncode == 0, done.stderr
    trials = pandas.read_parquet(out / "trials.parquet")
    assert len(trials) == 3 and trials["cost_usd"].sum() == pytest.approx(
        trials_df([directory])["cost_usd"].sum()
    )
    assert len(pandas.read_parquet(out / "calls.parquet")) == trials["model_calls"].sum()
    assert len(pandas.read_parquet(out / "delegations.parquet")) == 4
    bad = run_cli("export", "parquet", str(tmp_path / "nowhere"), "--out", str(out), env=env)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "nowhere" in bad.stderr


def test_the_docs_list_every_column_and_their_example_runs(tmp_path: Path) -> None:
    """docs/analysis.md is generated from the column specs, and its worked example gives
    the compare table's medians."""
    import re

    sys.path.insert(0, str(Path(__file__).parents[2] / "docs"))
    try:
        from analysis_columns import DOC, render
    finally:
        sys.path.pop(0)
    text = DOC.read_text()
    assert render(text) == text, "run: .venv/bin/python docs/analysis_columns.py"
    [example] = re.findall(r"```python\n(.*?)```", text, re.S)
    directory = make_compare_dir(tmp_path / "sessions")
    scope: dict[str, object] = {"SESSIONS": directory, "OUT": tmp_path}
    exec(compile(example, "docs/analysis.md", "exec"), scope)
    assert (tmp_path / "cost-vs-turns.png").stat().st_size > 0
    medians = scope["medians"]
    for row in arm_table(collect([directory]).labelled(), "A"):
        assert medians[(row["task"], row["arm"])] == pytest.approx(row["median_cost_usd"])  # type: ignore[index]
