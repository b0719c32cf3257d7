"""Every flag checked: a value the command cannot use is one line on stderr and exit 2,
naming the problem and the fix. Run in-process through `main` (the same code path the
installed script takes), so each case costs milliseconds."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from fep_tui.cli import main
from tests.compare_fixtures import make_compare_dir

FIXTURE = Path(__file__).parents[1] / "fixtures" / "b-tiny-seed0.jsonl"


def _error(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    """The one error line of a failing command (exit 2, nothing else on stderr)."""
    code = main(argv)
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2, (argv, err)
    assert len(err) == 1 and err[0].startswith("fep-tui: error: "), err
    return err[0].removeprefix("fep-tui: error: ")


@pytest.mark.parametrize("value", ["0", "-1", "5"])
def test_until_successes_must_be_between_one_and_trials(
    capsys: pytest.CaptureFixture[str], value: str
) -> None:
    argv = ["batch", "--arms", "A", "--tasks", "tiny", "--trials", "3"]
    message = _error(capsys, [*argv, "--until-successes", value])
    assert message == f"--until-successes must be between 1 and --trials (3); got {value}"


def test_an_unknown_baseline_names_the_arms_present(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    directory = make_compare_dir(tmp_path / "sessions")
    message = _error(capsys, ["compare", str(directory), "--baseline", "Z"])
    assert message == "--baseline 'Z' is not an arm here (arms: A, B, C, D)"
    assert main(["compare", str(directory), "--baseline", "B", "--format", "csv"]) == 0
    assert "reread_ratio" in capsys.readouterr().out


def test_return_cap_on_a_solo_arm_warns_and_its_help_names_both_units(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The bad card stops the run after the arm (and its cap) are read.
    argv = ["run", "--arm", "A", "--task", "tiny", "--return-cap", "100", "--rate-card", "x"]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[0] == "fep-tui: warning: --return-cap has no effect on arm A: it has no executor"
    assert err[1].startswith("fep-tui: error: unknown rate card 'x'")
    message = _error(capsys, ["run", "--arm", "B-bounded", "--task", "tiny", "--return-cap", "0"])
    assert message == "--return-cap must be a positive number of tokens"
    main(["run", "--help"])
    help_text = " ".join(capsys.readouterr().out.replace("│", " ").split())
    assert "characters for free-form returns, diff tokens for bounded ones" in help_text


def test_run_help_lists_every_built_in_arm(capsys: pytest.CaptureFixture[str]) -> None:
    from engine.arms import BUILTIN_ARMS

    main(["run", "--help"])
    help_text = " ".join(capsys.readouterr().out.replace("│", " ").split())
    assert f"arm: {', '.join(BUILTIN_ARMS)}," in help_text
    assert {"E", "B-bounded", "C-bounded"} <= set(BUILTIN_ARMS)


def test_a_missing_sessions_dir_is_an_error_not_an_empty_list(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    missing = tmp_path / "typo"
    message = _error(capsys, ["sessions", "list", "--sessions-dir", str(missing)])
    assert message == f"no sessions directory {missing} (from --sessions-dir); check the path"
    assert not missing.exists(), "nothing is created by a listing"


@contextlib.contextmanager
def _read_only(directory: Path) -> Iterator[None]:
    """Root ignores permissions; the immutable attribute stops it too."""
    if os.geteuid() != 0:
        directory.chmod(0o555)
        try:
            yield
        finally:
            directory.chmod(0o755)
        return
    if shutil.which("chattr") is None:
        pytest.skip("running as root without chattr: cannot make a read-only directory")
    made = subprocess.run(["chattr", "+i", str(directory)], capture_output=True, check=False)
    if made.returncode != 0:
        pytest.skip(f"chattr +i not supported here: {made.stderr.decode().strip()}")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(directory)], check=True)


def test_a_read_only_sessions_dir_still_lists_compares_and_reprices(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    directory = make_compare_dir(tmp_path / "sessions")
    with _read_only(directory):
        with pytest.raises(OSError):
            (directory / "probe").write_text("")
        assert main(["sessions", "list", "--sessions-dir", str(directory), "--json"]) == 0
        listed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
        assert len(listed) == len(list(directory.glob("*.jsonl"))) > 0
        assert main(["compare", str(directory), "--format", "json"]) == 0
        assert json.loads(capsys.readouterr().out)["arms"]
        one = sorted(directory.glob("*.jsonl"))[0]
        assert main(["whatif", str(one), "--no-cache", "--json"]) == 0
        assert json.loads(capsys.readouterr().out)[0]["source"] == "SIMULATED"


def test_arms_file_errors_cite_the_line_of_the_offending_key(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    arms = tmp_path / "arms.toml"
    arms.write_text(
        "# my arms\n"
        "[arms.Y]\n"
        'description = "Opus with a local executor"\n'
        'orchestrator = { model = "claude-opus-4-7" }\n'
        'executor = { model = "qwen3.5:9b", provider = "ollama", max_turns = -1 }\n'
    )
    argv = ["run", "--arm", "Y", "--task", "tiny", "--arms-file", str(arms)]
    assert _error(capsys, argv) == f"{arms}:5: arms.Y max_turns must be a positive integer"


def test_import_files_that_hold_no_published_rows(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n")
    assert (
        _error(capsys, ["compare", "--import", str(empty)])
        == f"{empty}: empty file, no published rows to import"
    )
    session = tmp_path / "runs" / "one.jsonl"
    session.parent.mkdir()
    shutil.copy(FIXTURE, session)
    assert _error(capsys, ["compare", "--import", str(session)]) == (
        f"{session} is a fep-tui session, not published results: pass its directory "
        f"({session.parent}) without --import"
    )


def test_compare_import_alone_needs_no_directory(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from tests.compare_fixtures import published_line

    usage = {"claude-opus-4-7": {"input_tokens": 10, "output_tokens": 20}}
    published = tmp_path / "published.jsonl"
    published.write_text(
        "\n".join(
            published_line(arm, "tiny", trial, usage, {"claude-opus-4-7": 0.1 + trial / 100})
            for arm in ("P", "Q")
            for trial in range(3)
        )
        + "\n"
    )
    assert main(["compare", "--import", str(published), "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert {row["arm"] for row in report["arms"]} == {"P", "Q"}
    assert report["sources"] == ["PUBLISHED"]


def test_whatif_warns_that_a_cut_off_session_is_incomplete(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    cut = tmp_path / "cut.jsonl"
    lines = FIXTURE.read_text().splitlines()
    cut.write_text("\n".join(lines[: len(lines) // 2]) + "\n")
    assert main(["whatif", str(cut), "--no-cache"]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        "fep-tui: warning: cut.jsonl is incomplete (cut off before its end): "
        "priced as far as it got"
    ]


def test_whatif_on_a_directory_totals_each_arm(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    directory = make_compare_dir(tmp_path / "sessions")
    assert main(["whatif", str(directory), "--no-cache", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {row["arm"] for row in rows} == {"A", "B", "C", "D"}
    assert sum(row["trials"] for row in rows) == len(list(directory.glob("*.jsonl")))
    for row in rows:
        assert row["source"] == "SIMULATED" and row["whatif"] == "caching off"
        assert row["total_after_usd"] > row["total_before_usd"], "caching off costs more"
    assert main(["whatif", str(directory), "--no-cache"]) == 0
    table = capsys.readouterr().out
    assert "per arm" in table and "median $ before" in table and "SIMULATED" in table


def test_whatif_per_arm_never_pools_configurations_or_counts_a_trial_twice(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A at two rate cards and B at two return caps are four groups, as in compare; a
    directory named twice counts each trial once. They were pooled by arm name: the median
    'before' of A mixed the official and the published card."""
    from engine.arms import resolve_arm
    from engine.pricing import OFFICIAL, PUBLISHED
    from sessions.header import fingerprint, parse_header

    fixtures = Path(__file__).parents[1] / "fixtures"
    directory = tmp_path / "mixed"
    directory.mkdir()

    def trial(source: str, name: str, header: dict[str, object]) -> None:
        lines = (fixtures / source).read_text().splitlines()
        first = json.loads(lines[0]) | header | {"trial_id": name}
        if first.get("fingerprint"):  # as fep-tui would have saved it for this configuration
            parsed = parse_header(json.dumps(first | {"fingerprint": ""}).encode(), Path(name))
            first["fingerprint"] = fingerprint(parsed.configuration)
        (directory / f"{name}.jsonl").write_text("\n".join([json.dumps(first), *lines[1:]]) + "\n")

    for seed in (0, 1):
        for card in (OFFICIAL, PUBLISHED):
            trial("a-tiny-seed0.jsonl", f"a-{card.name}-{seed}", {"rate_card": card.to_dict()})
        for cap in (4000, 1000):
            spec = resolve_arm("B").with_return_cap(cap).to_dict()
            trial("b-tiny-seed0.jsonl", f"b-{cap}-{seed}", {"arm_spec": spec})
    argv = ["whatif", str(directory), str(directory), "--no-cache", "--format", "json"]
    assert main(argv) == 0
    rows = {row["arm"]: row for row in json.loads(capsys.readouterr().out)}
    assert set(rows) == {
        "A · official card",
        "A · published card",
        "B · cap 1000 chars",
        "B · cap 4000 chars",
    }
    assert {row["trials"] for row in rows.values()} == {2}
    official, published = rows["A · official card"], rows["A · published card"]
    assert published["median_before_usd"] == pytest.approx(3 * official["median_before_usd"])


def test_listing_commands_take_json(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["tasks", "list", "--json"]) == 0
    tasks = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [t["task"] for t in tasks] == ["tiny", "T1", "T2", "T3"]
    shutil.copy(FIXTURE, tmp_path / FIXTURE.name)
    assert main(["sessions", "list", "--sessions-dir", str(tmp_path), "--json"]) == 0
    (listed,) = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert listed["arm"] == "B" and listed["outcome"] == "success"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["runn"], "unknown command or argument: runn; see fep-tui --help"),
        (["run", "--seed", "x"], 'Invalid value for --seed: unable to convert "x" into int.'),
        (
            ["run", "--backend", "cloud"],
            'Invalid value "cloud" for --backend. Choose from: "sim", "live".',
        ),
        (["compare"], "compare needs a directory of sessions or --import FILE"),
    ],
)
def test_parse_errors_are_one_line(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert _error(capsys, argv) == message


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    from importlib.metadata import version

    main(["--version"])
    assert capsys.readouterr().out.strip() == f"fep-tui {version('fep-tui')}"


def test_ray_without_ray_installed_says_which_extra_to_install(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # None in sys.modules makes `import ray` fail as it does where the extra is missing.
    monkeypatch.setitem(__import__("sys").modules, "ray", None)
    argv = ["batch", "--arms", "A", "--tasks", "tiny", "--trials", "1", "--ray"]
    message = _error(capsys, [*argv, "--sessions-dir", str(tmp_path)])
    assert message == "--ray needs Ray, an optional extra: pip install 'fep-tui[ray]'"
    assert list(tmp_path.iterdir()) == []


def test_ray_auto_with_no_cluster_says_how_to_start_one(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("ray")
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    # Ray looks for a running instance through this file; none has been started here.
    monkeypatch.setenv("RAY_TMPDIR", str(tmp_path / "ray"))
    argv = ["search", "--task", "tiny", "--solo", "claude-haiku-4-5,claude-sonnet-4-6"]
    argv += ["--ray", "auto"]
    message = _error(capsys, [*argv, "--sessions-dir", str(tmp_path)])
    assert message == (
        "--ray auto: no Ray cluster runs on this machine; start one with `ray start --head`, "
        "or pass --ray alone for a local instance"
    )
