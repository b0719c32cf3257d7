"""User arms from TOML, and the errors a malformed file gets (with its line)."""

from __future__ import annotations

from typing import Any

import pytest

from engine.arms import BUILTIN_ARMS, ArmFileError, UnknownArmError, parse_arms_toml, resolve_arm


def test_builtin_arms_reproduce_the_published_roles() -> None:
    assert BUILTIN_ARMS["A"].roles()["solo"].model == "claude-opus-4-7"
    b = BUILTIN_ARMS["B"].roles()
    assert b["orchestrator"].model == "claude-opus-4-7" and b["executor"].provider == "ollama"
    assert b["executor"].return_cap_chars == 4000
    assert BUILTIN_ARMS["C"].roles()["executor"].model == "claude-haiku-4-5"
    assert BUILTIN_ARMS["D"].lead_role == "solo"


def test_user_arm_is_parsed_and_resolvable() -> None:
    arms = parse_arms_toml(
        '[arms.S]\ndescription = "Sonnet orchestrates Haiku"\n'
        'orchestrator = { model = "claude-sonnet-4-6" }\n'
        'executor = { model = "claude-haiku-4-5", return_cap_chars = 8000, max_turns = 5 }\n'
    )
    arm = resolve_arm("S", arms)
    assert arm.lead.provider == "anthropic" and arm.executor is not None
    assert arm.executor.return_cap_chars == 8000 and arm.executor.max_turns == 5
    assert resolve_arm("A", arms) is BUILTIN_ARMS["A"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[arms.X]\nsolo = { model = "m" \n', r"arms.toml: not valid TOML: .*line 2"),
        ('# comment\n\n[arms.X]\norchestrator = { model = "m" }\n', r"arms.toml:4: .*'executor'"),
        (
            '[arms.X]\nsolo = { model = "m", provider = "openai" }\n',
            r"arms.toml:2: .*provider must be",
        ),
        (
            '[arms.X]\nsolo = { model = "m", max_turns = 0 }\n',
            r"max_turns must be a positive integer",
        ),
        ('[arms.X]\nsolo = { model = "m" }\ncolour = "red"\n', r"unknown key\(s\) colour"),
        ("title = 'no arms'\n", r"no \[arms.NAME\] tables"),
        ('[arms]\nX = "solo"\n', r"arms.toml:2: arms.X must be a table"),
    ],
)
def test_malformed_arm_files_name_the_problem_and_line(text: str, message: str) -> None:
    with pytest.raises(ArmFileError, match=message):
        parse_arms_toml(text, "arms.toml")


def test_unknown_arm_lists_the_known_ones() -> None:
    with pytest.raises(
        UnknownArmError,
        match="known: A, B, B-bounded, C, C-bounded, D, E; add arms with --arms-file",
    ):
        resolve_arm("Z")


def test_an_arm_can_require_the_sandbox_and_a_bad_policy_names_its_line() -> None:
    from engine.arms import ArmFileError, parse_arms_toml

    arms = parse_arms_toml(
        '[arms.S]\nsandbox = "required"\nsolo = { model = "claude-haiku-4-5" }\n'
    )
    assert arms["S"].sandbox == "required" and arms["S"].to_dict()["sandbox"] == "required"
    with pytest.raises(ArmFileError, match=r"<arms>:2: arms.T sandbox must be one of"):
        parse_arms_toml('[arms.T]\nsandbox = "maybe"\nsolo = { model = "claude-haiku-4-5" }\n')


def test_the_arms_policy_applies_unless_the_run_names_one(monkeypatch: pytest.MonkeyPatch) -> None:
    import tasks.sandbox
    from engine.arms import parse_arms_toml
    from engine.trial import TrialConfig, TrialConfigError, check_config

    monkeypatch.setattr(tasks.sandbox, "bubblewrap_problem", lambda: "no bwrap in this test")
    arm = parse_arms_toml(
        '[arms.S]\nsandbox = "required"\nsolo = { model = "claude-haiku-4-5" }\n'
    )["S"]
    with pytest.raises(TrialConfigError, match="--sandbox required, but no bwrap in this test"):
        check_config(TrialConfig(arm, "tiny"))
    check_config(TrialConfig(arm, "tiny", sandbox="auto"))  # the run's choice wins


@pytest.mark.parametrize(
    ("lead", "advisor", "message"),
    [
        ("claude-opus-4-7", "claude-haiku-4-5", "cannot be an advisor"),
        ("claude-haiku-4-5", "claude-sonnet-4-5", "Sonnet 4.6 or a more capable model"),
        ("claude-opus-4-7", "claude-sonnet-4-6", "at least as capable as the executor"),
        ("claude-opus-5", "claude-opus-4-7", "at least as capable as the executor"),
    ],
)
def test_an_advisor_pair_the_api_refuses_is_refused_in_the_arms_file(
    lead: str, advisor: str, message: str
) -> None:
    """Every call carrying an invalid advisor pair is a 400: caught before money is spent."""
    text = f'[arms.V]\nsolo = {{ model = "{lead}" }}\nadvisor = {{ model = "{advisor}" }}\n'
    with pytest.raises(ArmFileError, match=rf"arms.toml:3: arms.V: .*{message}"):
        parse_arms_toml(text, "arms.toml")


def test_valid_advisor_pairs_parse() -> None:
    for lead, advisor in [
        ("claude-haiku-4-5", "claude-opus-4-7"),
        ("claude-sonnet-4-6", "claude-sonnet-4-6"),
        ("claude-sonnet-4-6", "claude-opus-4-7"),
    ]:
        text = f'[arms.V]\nsolo = {{ model = "{lead}" }}\nadvisor = {{ model = "{advisor}" }}\n'
        assert resolve_arm("V", parse_arms_toml(text)).advisor is not None


def test_the_simulator_answers_an_invalid_advisor_pair_with_a_400() -> None:
    import anthropic

    from engine.arms import ADVISOR_BETA, ADVISOR_TOOL_TYPE
    from engine.sim import Scenario, SimulatorServer
    from tasks import get_task

    advisor: Any = {"type": ADVISOR_TOOL_TYPE, "name": "advisor", "model": "claude-sonnet-4-6"}
    with SimulatorServer(Scenario.of(get_task("tiny"), seed=0)) as sim:
        client = anthropic.Anthropic(base_url=sim.url, api_key="k", max_retries=0)
        with pytest.raises(anthropic.BadRequestError, match="at least as capable"):
            client.beta.messages.create(
                model="claude-opus-4-7",
                max_tokens=64,
                betas=[ADVISOR_BETA],
                tools=[advisor],
                messages=[{"role": "user", "content": "hi"}],
            )


def test_an_ollama_role_asks_for_64k_unless_it_says_otherwise() -> None:
    text = (
        '[arms.L]\norchestrator = { model = "claude-opus-4-7" }\n'
        'executor = { model = "qwen3.5:9b", provider = "ollama" }\n'
        '[arms.S]\norchestrator = { model = "claude-opus-4-7" }\n'
        'executor = { model = "qwen3.5:9b", provider = "ollama", num_ctx = 16384 }\n'
    )
    arms = parse_arms_toml(text)
    roomy, small = resolve_arm("L", arms).executor, resolve_arm("S", arms).executor
    assert roomy is not None and roomy.num_ctx == 65536
    assert small is not None and small.num_ctx == 16384
    builtin = BUILTIN_ARMS["B"].executor
    assert builtin is not None and builtin.num_ctx == 65536
    # An arm of Anthropic roles only keeps the record it always had (and its fingerprint).
    assert BUILTIN_ARMS["A"].to_dict()["solo"]["num_ctx"] == 32768


def test_every_arm_comes_back_out_of_a_session_header_as_it_went_in() -> None:
    """A session's header records its arm as a dict; ArmSpec.from_dict is the one way back
    to a typed arm, for the built-ins, an arms file's (two executors, an advisor, a sandbox
    policy) and the fixture sessions: every field a session recorded is read as recorded
    (the B fixture is older than `return_policy` and `num_ctx`, which take defaults)."""
    from pathlib import Path

    from engine.arms import ArmSpec
    from sessions import load_session

    fixtures = Path(__file__).parents[1] / "fixtures"
    filed = parse_arms_toml((fixtures / "two-executors.toml").read_text())
    advised = parse_arms_toml(
        '[arms.V]\nsandbox = "required"\nsolo = { model = "claude-sonnet-4-6" }\n'
        'advisor = { model = "claude-opus-4-7", max_uses = 2 }\n'
    )
    for arm in [*BUILTIN_ARMS.values(), *filed.values(), *advised.values()]:
        assert ArmSpec.from_dict(arm.to_dict()) == arm, arm.name
    for path in sorted(fixtures.glob("*-tiny-seed0.jsonl")):
        header = load_session(path).header
        ran = header.arm_definition
        assert ran is not None, path.name
        again = ran.to_dict()
        for role, recorded in header.arm_spec.items():
            if isinstance(recorded, dict):
                assert recorded.items() <= again[role].items(), (path.name, role)
            else:
                assert again[role] == recorded, (path.name, role)
    assert load_session(fixtures / "t-tiny-seed0.jsonl").header.return_cap == (
        "return cap 4,000 chars"
    )


def test_an_older_or_foreign_arm_record_reads_with_defaults_or_not_at_all() -> None:
    """A role recorded before a setting existed takes its default; a trace's header (its
    agent and model, no roles) is no arm."""
    from engine.arms import ArmSpec

    older = {"name": "B", "orchestrator": {"model": "claude-opus-4-7", "provider": "anthropic"}}
    older["executor"] = {"model": "qwen3.5:9b", "provider": "ollama", "return_cap_chars": 900}
    arm = ArmSpec.from_dict(older)
    assert arm.executor is not None and arm.executor.return_cap_chars == 900
    assert arm.executor.return_policy == "free" and arm.more_executors == ()
    with pytest.raises(ValueError, match="not an arm"):
        ArmSpec.from_dict({"name": "Claude Code", "lead": "claude-opus-4-7"})
