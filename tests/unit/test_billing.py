"""What a response says about itself that changes its price: a US-only inference region,
a batch tier, and a cache-write split that disagrees with the billed total."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path
from types import SimpleNamespace

import anthropic
import pytest

from engine import TrialConfig, resolve_arm, run_trial
from engine.arms import ArmFileError, parse_arms_toml
from engine.backends.anthropic_backend import usage_from_sdk
from engine.billing import price_factor
from engine.events import TrialEnded, TurnUsage
from engine.pricing import OFFICIAL
from engine.sim import Scenario, SimulatorServer
from engine.usage import Usage
from sessions import SessionWriter, load_session
from sessions.analysis.claude_code.transcript import ApiUsage, CacheCreation
from sessions.analysis.whatif import WhatIf, reprice
from sessions.index import SessionIndex
from tasks import get_task
from tests.conftest import Recorder, run_cli


def test_us_inference_costs_a_tenth_more_on_the_models_that_take_it() -> None:
    us = {"inference_geo": "us"}
    assert price_factor("claude-opus-4-7", us) == pytest.approx(1.1)
    assert price_factor("claude-sonnet-4-6", us) == pytest.approx(1.1)
    assert price_factor("claude-opus-5", us) == pytest.approx(1.1)
    # Older models do not take the parameter, so nothing they report changes their price.
    assert price_factor("claude-haiku-4-5", us) == 1.0
    assert price_factor("claude-opus-4-5-20251101", us) == 1.0
    assert price_factor("claude-opus-4-7", {"service_tier": "batch"}) == pytest.approx(0.5)
    assert price_factor("claude-opus-4-7", {"service_tier": "priority"}) == 1.0


def _trial(arm_toml: str, recorder: Recorder) -> TrialEnded:
    arm = resolve_arm("G", parse_arms_toml(arm_toml))
    asyncio.run(run_trial(TrialConfig(arm, "tiny", seed=0), [recorder]))
    end = recorder.events[-1]
    assert isinstance(end, TrialEnded)
    return end


def test_a_us_only_solo_trial_is_billed_at_1_1x_through_the_real_sdk() -> None:
    """A simulated trial with `inference_geo = "us"`: every call says why it costs more,
    and costs 1.1x its tokens at list price; a global trial's calls cost list price."""
    plain, us = Recorder(), Recorder()
    _trial('[arms.G]\nsolo = { model = "claude-opus-4-7" }\n', plain)
    geo = _trial('[arms.G]\nsolo = { model = "claude-opus-4-7", inference_geo = "us" }\n', us)
    assert geo.status == "completed" and geo.success
    price = OFFICIAL.price("claude-opus-4-7", "anthropic")
    calls = [e for e in us.of("usage") if isinstance(e, TurnUsage)]
    assert calls and all(c.billing == {"inference_geo": "us"} for c in calls)
    for call in calls:
        assert call.cost_usd == pytest.approx(price.cost(call.usage) * 1.1, abs=2e-6)
    plain_calls = [e for e in plain.of("usage") if isinstance(e, TurnUsage)]
    assert plain_calls and all(c.billing == {} for c in plain_calls)
    for call in plain_calls:
        assert call.cost_usd == pytest.approx(price.cost(call.usage), abs=2e-6)
    assert geo.total_cost_usd == pytest.approx(sum(c.cost_usd for c in calls), abs=1e-5)
    read = sum(c.usage.cache_read for c in calls)
    assert geo.roles["solo"].cache_read_usd == pytest.approx(
        read * price.cache_read * 1.1 / 1e6, abs=1e-5
    )


def test_the_simulator_refuses_inference_geo_as_the_api_does() -> None:
    async def call(model: str, geo: str) -> None:
        with SimulatorServer(Scenario.of(get_task("tiny"), seed=0)) as sim:
            client = anthropic.AsyncAnthropic(base_url=sim.url, api_key="sk-sim", max_retries=0)
            try:
                await client.messages.create(
                    model=model,
                    max_tokens=64,
                    inference_geo=geo,
                    messages=[{"role": "user", "content": "hi"}],
                )
            finally:
                await client.close()

    with pytest.raises(anthropic.BadRequestError, match="not supported for model"):
        asyncio.run(call("claude-haiku-4-5", "us"))
    with pytest.raises(anthropic.BadRequestError, match="'global' or 'us'"):
        asyncio.run(call("claude-opus-4-7", "eu"))


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('solo = { model = "claude-opus-4-7", inference_geo = "eu" }', "must be one of global, us"),
        (
            'solo = { model = "claude-haiku-4-5", inference_geo = "us" }',
            "claude-haiku-4-5 does not take inference_geo",
        ),
    ],
)
def test_a_bad_inference_geo_names_its_line(line: str, message: str) -> None:
    with pytest.raises(ArmFileError, match=rf"arms.toml:2: .*{message}"):
        parse_arms_toml(f"[arms.G]\n{line}\n", "arms.toml")


def test_an_arm_without_inference_geo_keeps_its_fingerprint_dict() -> None:
    """Arms defined before the setting existed stay comparable with their old sessions."""
    arm = resolve_arm("A")
    assert "inference_geo" not in arm.to_dict()["solo"]
    us = dataclasses.replace(arm, lead=dataclasses.replace(arm.lead, inference_geo="us"))
    assert us.to_dict()["solo"]["inference_geo"] == "us"


def test_the_billed_total_wins_when_the_ttl_split_disagrees() -> None:
    """Seen in real responses: `cache_creation` summing to less than
    `cache_creation_input_tokens`. The total is what is billed."""
    sdk = SimpleNamespace(
        input_tokens=10,
        output_tokens=5,
        cache_read_input_tokens=0,
        cache_creation_input_tokens=1000,
        cache_creation=SimpleNamespace(ephemeral_5m_input_tokens=0, ephemeral_1h_input_tokens=400),
    )
    usage = usage_from_sdk(sdk)
    assert (usage.cache_write_5m, usage.cache_write_1h) == (600, 400)
    transcript = ApiUsage(cache_creation_input_tokens=1000, cache_creation=CacheCreation(0, 400))
    assert transcript.writes() == (600, 400)
    agreeing = ApiUsage(cache_creation_input_tokens=500, cache_creation=CacheCreation(100, 400))
    assert agreeing.writes() == (100, 400)
    price = OFFICIAL.price("claude-opus-4-7", "anthropic")
    assert price.cost(usage) == pytest.approx(
        price.cost(
            Usage.of(input_tokens=10, output_tokens=5, cache_write_5m=600, cache_write_1h=400)
        )
    )


def test_a_whatif_keeps_the_us_surcharge_and_a_no_op_is_the_recorded_cost(
    tmp_path: Path,
) -> None:
    arm = resolve_arm(
        "G",
        parse_arms_toml('[arms.G]\nsolo = { model = "claude-sonnet-4-6", inference_geo = "us" }\n'),
    )
    writer = SessionWriter(tmp_path)
    asyncio.run(run_trial(TrialConfig(arm, "tiny", seed=0), [writer]))
    writer.close()
    assert writer.path is not None
    timeline = SessionIndex.build(writer.path).timeline
    same = reprice(timeline, WhatIf())
    assert same.resimulated_usd == pytest.approx(same.recorded_usd, abs=1e-6)
    assert same.whatif_usd == pytest.approx(same.recorded_usd, abs=1e-6)
    # Without caching every prompt token is input, still at 1.1x the list price.
    nocache = reprice(timeline, WhatIf(caching=False))
    calls = [e for e in load_session(writer.path).events if isinstance(e, TurnUsage)]
    price = OFFICIAL.price("claude-sonnet-4-6", "anthropic")
    expected = sum(
        price.cost(Usage.of(input_tokens=c.usage.total_input, output_tokens=c.usage.output_tokens))
        for c in calls
    )
    assert nocache.whatif_usd == pytest.approx(expected * 1.1, rel=1e-6)


def test_a_us_only_workspace_bills_the_calls_it_served_at_1_1x(tmp_path: Path) -> None:
    """`us_only@anthropic:2`: the second reply says it ran in the US although the arm did not
    ask; that call alone costs 1.1x, and the headless run says so on its line."""
    done = run_cli(
        "run", "--arm", "A", "--task", "tiny", "--backend", "sim",
        "--sim-fault", "us_only@anthropic:2", "--sessions-dir", str(tmp_path),
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    marked = [line for line in done.stdout.splitlines() if "(US inference 1.1x)" in line]
    assert len(marked) == 1 and " t2 " in marked[0]
    [path] = tmp_path.glob("*.jsonl")
    calls = [e for e in load_session(path).events if isinstance(e, TurnUsage)]
    price = OFFICIAL.price("claude-opus-4-7", "anthropic")
    for number, call in enumerate(calls, start=1):
        factor = 1.1 if number == 2 else 1.0
        assert call.billing == ({"inference_geo": "us"} if number == 2 else {})
        assert call.cost_usd == pytest.approx(price.cost(call.usage) * factor, abs=2e-6)


def test_a_split_that_disagrees_with_the_total_bills_the_total_and_says_so() -> None:
    """Through the real SDK: the second reply's 5m/1h split reports half its writes. The
    call is billed for all of them, and a note on the record says why."""
    from engine.events import TrialError
    from engine.sim import Fault

    recorder = Recorder()
    config = TrialConfig(
        resolve_arm("A"), "tiny", seed=0, faults=(Fault("split_mismatch", 2, "anthropic"),)
    )
    asyncio.run(run_trial(config, [recorder]))
    second = [e for e in recorder.of("usage") if isinstance(e, TurnUsage)][1]
    assert second.usage.cache_write_5m > 0 and second.usage.cache_write_1h == 0
    notes = [e for e in recorder.events if isinstance(e, TrialError)]
    assert len(notes) == 1 and not notes[0].fatal and notes[0].turn == 2
    half = second.usage.cache_write_5m // 2
    assert f"(5m {half:,} + 1h 0) disagrees with cache_creation_input_tokens" in notes[0].message
    assert f"{second.usage.cache_write_5m:,}; the total is billed" in notes[0].message
