"""An orchestrator with two executors (`executor-2` beside `executor` in an arms file): run
end to end on the simulator through the real SDK clients, each executor billed on its own,
named on the screen and in compare."""

from __future__ import annotations

import asyncio
import copy
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from engine import TrialConfig, run_trial
from engine.arms import BUILTIN_ARMS, ArmFileError, parse_arms_toml
from engine.delegation import DELEGATE_SPEC, delegate_spec
from engine.events import Delegation, ExecutorSummary, TrialEnded, TurnUsage
from engine.sim import SimulatorServer
from fep_tui.app import FepApp, StartReplay
from fep_tui.widgets.counters import CountersBar
from fep_tui.widgets.delegations import DelegationsPane
from sessions import SessionWriter
from tests.conftest import Recorder, run_cli

pytestmark = pytest.mark.anyio

TWO = (Path(__file__).parents[1] / "fixtures" / "two-executors.toml").read_text()


def test_executor_2_is_parsed_in_order_and_kept_in_the_arm() -> None:
    arm = parse_arms_toml(TWO)["T"]
    assert list(arm.roles()) == ["orchestrator", "executor", "executor-2"]
    assert arm.roles()["executor-2"].provider == "ollama"
    assert arm.to_dict()["executor-2"]["model"] == "qwen3.5:9b"
    capped = arm.with_return_cap(500)
    assert [s.return_cap_chars for s in capped.executors().values()] == [500, 500]
    # An arm with one executor is written as before (its sessions stay comparable).
    assert "executor-2" not in BUILTIN_ARMS["C"].to_dict()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ('executor-3 = { model = "m" }\n', r"numbered from 2 .*found executor-3"),
        ('executor-2 = { model = "" }\n', r"executor-2 needs a model name"),
        ('executor-1 = { model = "m" }\n', r"the first executor is 'executor'"),
    ],
)
def test_a_misnumbered_or_empty_second_executor_names_the_line(extra: str, message: str) -> None:
    text = TWO.split("executor-2")[0] + extra
    line = text.count("\n")
    with pytest.raises(ArmFileError, match=rf"arms.toml:{line}: .*{message}"):
        parse_arms_toml(text, "arms.toml")


def test_a_solo_arm_cannot_have_a_second_executor() -> None:
    text = '[arms.S]\nsolo = { model = "m" }\nexecutor-2 = { model = "n" }\n'
    with pytest.raises(ArmFileError, match=r"arms\.toml:3: arms\.S: a solo arm has no executors"):
        parse_arms_toml(text, "arms.toml")


def _delegate_tool(body: dict[str, Any]) -> dict[str, Any] | None:
    return next((t for t in body.get("tools", []) if t.get("name") == DELEGATE_SPEC.name), None)


Ran = tuple[Recorder, Path, list[dict[str, Any]]]


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory) -> Ran:
    """One trial of arm T, its events, its session file, and every request body the
    simulated Anthropic API received (one trial serves every test here)."""
    recorder = Recorder()
    writer = SessionWriter(tmp_path_factory.mktemp("sessions"))
    config = TrialConfig(parse_arms_toml(TWO)["T"], "tiny", seed=0)
    bodies: list[dict[str, Any]] = []
    keep = SimulatorServer._keep

    def record(self: SimulatorServer, api: str, body: dict[str, Any]) -> None:
        if api == "anthropic":
            bodies.append(copy.deepcopy(body))
        keep(self, api, body)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(SimulatorServer, "_keep", record)
        asyncio.run(run_trial(config, [recorder, writer]))
    writer.close()
    assert writer.path is not None
    return recorder, writer.path, bodies


@pytest.fixture
def two_executor_trial(ran: Ran) -> tuple[Recorder, Path]:
    return ran[0], ran[1]


def test_each_executor_is_delegated_to_and_billed_on_its_own(
    two_executor_trial: tuple[Recorder, Path],
) -> None:
    recorder, _ = two_executor_trial
    end = recorder.events[-1]
    assert isinstance(end, TrialEnded)
    assert end.success, end.reason
    delegations = [e for e in recorder.events if isinstance(e, Delegation)]
    summaries = [e for e in recorder.events if isinstance(e, ExecutorSummary)]
    # The simulated orchestrator hands its three groups of fixes to each in turn.
    assert [d.executor for d in delegations] == ["executor", "executor-2", "executor"]
    assert [s.executor for s in summaries] == [d.executor for d in delegations]
    usage = [e for e in recorder.events if isinstance(e, TurnUsage)]
    for role in ("orchestrator", "executor", "executor-2"):
        calls = [e for e in usage if e.role == role]
        assert calls, f"{role} made no call"
        assert end.roles[role].turns == len(calls)
        assert end.roles[role].cost_usd == pytest.approx(sum(e.cost_usd for e in calls), abs=1e-5)
        assert end.roles[role].usage.input_tokens == sum(e.usage.input_tokens for e in calls)
    # Each executor's calls serve only the delegations that went to it.
    for role in ("executor", "executor-2"):
        served = {e.delegation for e in usage if e.role == role}
        assert served == {d.delegation for d in delegations if d.executor == role}
    assert end.roles["executor-2"].cost_usd == 0, "a local executor is free"
    assert end.roles["executor"].cost_usd > 0
    total = sum(r.cost_usd for r in end.roles.values())
    assert end.total_cost_usd == pytest.approx(total, abs=1e-5)


def test_the_lead_is_offered_a_choice_only_when_there_is_one(ran: Ran) -> None:
    offered = [t for body in ran[2] if (t := _delegate_tool(body)) is not None]
    assert offered
    choice = offered[0]["input_schema"]["properties"]["executor"]
    assert choice["enum"] == ["executor", "executor-2"]
    assert "executor-2: qwen3.5:9b" in offered[0]["description"]
    # With one executor the tool is the published one, so such arms' requests are as before.
    assert delegate_spec({"executor": "claude-haiku-4-5"}) is DELEGATE_SPEC


def test_compare_gives_each_executor_its_own_row(
    two_executor_trial: tuple[Recorder, Path], tmp_path: Path
) -> None:
    recorder, path = two_executor_trial
    end = recorder.events[-1]
    assert isinstance(end, TrialEnded)
    env = {"PATH": str(Path(sys.executable).parent), "HOME": str(tmp_path)}
    result = run_cli("compare", str(path.parent), "--format", "json", env=env)
    assert result.returncode == 0, result.stderr
    buckets = {b["role"]: b for b in json.loads(result.stdout)["role_buckets"]}
    assert set(buckets) == {"orchestrator", "executor", "executor-2"}
    for role in ("executor", "executor-2"):
        assert buckets[role]["cost_usd"] == pytest.approx(end.roles[role].cost_usd, abs=1e-6)
        assert buckets[role]["input_tokens"] == end.roles[role].usage.input_tokens
    table = run_cli("compare", str(path.parent), env={**env, "COLUMNS": "120"}).stdout
    assert "executor-2" in table


async def test_the_trial_screen_names_each_executor(
    two_executor_trial: tuple[Recorder, Path], tmp_path: Path
) -> None:
    _, path = two_executor_trial

    app = FepApp(tmp_path, start=StartReplay(path))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.3)
        counters = app.screen.query_one(CountersBar).text.plain
        rows = [line.split()[0] for line in counters.splitlines() if line.strip()]
        assert "exec" in rows and "exec2" in rows
        pane = app.screen.query_one(DelegationsPane)
        listed = [str(o.prompt) for o in pane.query_one("OptionList").options]  # type: ignore[attr-defined]
        assert "exec2 ←" in listed[1] and "exec2" not in listed[0]


def test_the_readme_arms_example_parses() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    block = readme.split("```toml\n[arms.S]", 1)[1].split("```", 1)[0]
    arms = parse_arms_toml("[arms.S]" + block, "README.md")
    assert list(arms["T"].roles()) == ["orchestrator", "executor", "executor-2"]


def test_a_delegation_names_its_executor_unless_it_is_the_first() -> None:
    from sessions.panes import describe_call

    to_second = {"instruction": "Fix these ruff problems:\n- a.py", "executor": "executor-2"}
    assert describe_call("delegate_to_executor", to_second) == (
        "delegate to executor-2: Fix these ruff problems:"
    )
    to_first = {"instruction": "Fix it", "executor": "executor"}
    assert describe_call("delegate_to_executor", to_first) == "delegate: Fix it"


def test_whatif_and_otel_keep_each_executor_apart(
    two_executor_trial: tuple[Recorder, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from fep_tui.cli import main

    recorder, path = two_executor_trial
    end = recorder.events[-1]
    assert isinstance(end, TrialEnded)
    assert main(["whatif", str(path), "--json"]) == 0
    rows = {row["role"]: row for row in json.loads(capsys.readouterr().out)}
    assert set(rows) == {"orchestrator", "executor", "executor-2"}
    for role, row in rows.items():
        assert row["resimulated_usd"] == pytest.approx(end.total_cost_usd, abs=1e-5)
        assert row["whatif_cost_usd"] == pytest.approx(end.roles[role].cost_usd, abs=1e-5)
    out = tmp_path / "spans.json"
    assert main(["export", "otel", str(path), "--file", str(out)]) == 0
    spans = [
        span
        for resource in json.loads(out.read_text())["resourceSpans"]
        for scope in resource["scopeSpans"]
        for span in scope["spans"]
    ]
    agents = [s["name"] for s in spans if s["name"].startswith("invoke_agent")]
    assert agents == ["invoke_agent executor", "invoke_agent executor-2", "invoke_agent executor"]
