"""A large synthetic session in the real format, for the replay and live benchmarks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from engine import resolve_arm
from engine.events import TrialStarted
from engine.pricing import OFFICIAL
from sessions.header import header_from_trial_start

TOOL_OUTPUT = "shopcart/money.py:37: error: Incompatible return value type [return-value]\n" * 90


def write_session(path: Path, events: int) -> int:
    """Write about `events` events of an orchestrated trial; returns the number written."""
    arm = resolve_arm("B")
    header = header_from_trial_start(
        TrialStarted(
            t=0.0,
            trial_id=path.stem,
            arm="B",
            arm_spec=arm.to_dict(),
            task="tiny",
            models={"orchestrator": "claude-opus-4-7", "executor": "qwen3.5:9b"},
            providers={"orchestrator": "anthropic", "executor": "ollama"},
            backend="sim",
            simulated=True,
            rate_card=OFFICIAL.to_dict(),
            seed=0,
            engine_version="bench",
            started_at="2026-11-01T00:00:00+00:00",
        )
    ).to_dict()
    written, t, turn, delegation, executor_turn = 0, 0.0, 0, 0, 0
    executor_usage = {
        "input_tokens": 0,
        "output_tokens": 0,
        "cache_write_5m": 0,
        "cache_write_1h": 0,
        "cache_read": 0,
    }
    cumulative = {
        "input_tokens": 0,
        "output_tokens": 0,
        "cache_write_5m": 0,
        "cache_write_1h": 0,
        "cache_read": 0,
    }
    attribution: dict[str, int] = {"base": 3000}
    cost = 0.0
    with path.open("w") as out:
        out.write(json.dumps(header, separators=(",", ":")) + "\n")

        def emit(kind: str, **fields: Any) -> None:
            nonlocal written, t
            t += 0.01
            out.write(
                json.dumps({"kind": kind, "t": round(t, 4), **fields}, separators=(",", ":")) + "\n"
            )
            written += 1

        def streamed(role: str, turn: int, model: str, texts: list[str], **start: Any) -> None:
            """A model turn's start and its text, a delta a piece."""
            emit("turn_start", role=role, turn=turn, model=model, **start)
            for text in texts:
                emit("text_delta", role=role, turn=turn, text=text)

        # Shaped like a real orchestrated trace: each lead turn delegates, and the
        # executor's long tool loop makes most of the events.
        while written < events:
            turn += 1
            words = [f"word{n} of turn {turn} " * 4 for n in range(12)]
            streamed("orchestrator", turn, "claude-opus-4-7", words, delegation=None)
            read = sum(attribution.values())
            usage = {
                "input_tokens": 0,
                "output_tokens": 120,
                "cache_write_5m": 400,
                "cache_write_1h": 0,
                "cache_read": read,
            }
            cumulative = {k: cumulative[k] + usage[k] for k in usage}
            cost += 0.003 + read * 0.5e-6
            emit(
                "usage",
                role="orchestrator",
                turn=turn,
                model="claude-opus-4-7",
                usage=usage,
                role_usage=cumulative,
                cost_usd=0.003,
                role_cache_read=cumulative["cache_read"],
                role_cache_read_usd=cumulative["cache_read"] * 0.5e-6,
                role_cost_usd=cost,
                total_cost_usd=cost,
                duration_s=0.5,
                attribution=dict(attribution),
                delegation=None,
            )
            attribution["own"] = attribution.get("own", 0) + 120
            delegation += 1
            emit(
                "tool_call",
                role="orchestrator",
                turn=turn,
                call_id=f"d{turn}",
                name="delegate_to_executor",
                input={"instruction": "Fix the next batch."},
            )
            emit(
                "delegation",
                turn=turn,
                call_id=f"d{turn}",
                delegation=delegation,
                instruction="Fix the next batch.",
            )
            for _step in range(40):
                executor_turn += 1
                words = [f"executor word{n} " * 6 for n in range(20)]
                streamed("executor", executor_turn, "qwen3.5:9b", words, delegation=delegation)
                executor_usage = {
                    k: executor_usage[k] + v
                    for k, v in {
                        "input_tokens": 3000,
                        "output_tokens": 90,
                        "cache_write_5m": 0,
                        "cache_write_1h": 0,
                        "cache_read": 0,
                    }.items()
                }
                emit(
                    "usage",
                    role="executor",
                    turn=executor_turn,
                    model="qwen3.5:9b",
                    usage={
                        "input_tokens": 3000,
                        "output_tokens": 90,
                        "cache_write_5m": 0,
                        "cache_write_1h": 0,
                        "cache_read": 0,
                    },
                    role_usage=executor_usage,
                    cost_usd=0.0,
                    role_cache_read=0,
                    role_cache_read_usd=0.0,
                    role_cost_usd=0.0,
                    total_cost_usd=cost,
                    duration_s=1.5,
                    attribution={},
                    delegation=delegation,
                )
                call = f"e{executor_turn}"
                emit(
                    "tool_call",
                    role="executor",
                    turn=executor_turn,
                    call_id=call,
                    name="bash",
                    input={"command": "mypy shopcart"},
                )
                emit(
                    "tool_result",
                    role="executor",
                    turn=executor_turn,
                    call_id=call,
                    name="bash",
                    output=TOOL_OUTPUT,
                    is_error=False,
                )
            emit(
                "executor_summary",
                turn=turn,
                call_id=f"d{turn}",
                delegation=delegation,
                text="Done. " * 200,
                tokens=400,
                original_chars=1200,
                truncated=False,
                executor_turns=40,
            )
            emit(
                "tool_result",
                role="orchestrator",
                turn=turn,
                call_id=f"d{turn}",
                name="delegate_to_executor",
                output="Done. " * 200,
                is_error=False,
            )
            attribution[f"summary:{delegation}"] = 400
        emit("judge", passed=True, result={"passed": True, "tools": []}, summary="GREEN")
        emit(
            "trial_end",
            status="completed",
            success=True,
            turns=turn,
            wall_s=t,
            roles={},
            total_cost_usd=cost,
            reason="",
        )
    return written
