"""The one agent loop: it serves solo, orchestrator and executor roles alike."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from engine.arms import RoleSpec
from engine.backends import BackendError, ModelBackend
from engine.bus import EventBus
from engine.events import (
    HarnessRun,
    ReplyCut,
    TextDelta,
    ThinkingText,
    ToolCall,
    ToolInputDelta,
    ToolRefused,
    ToolResult,
    TrialError,
    TurnStarted,
    TurnUsage,
)
from engine.ledger import Ledger
from engine.messages import (
    SOURCE_OWN,
    SOURCE_TASK,
    SOURCE_TOOLS,
    Block,
    Message,
    ModelRequest,
    RawBlock,
    ReplyBlock,
    SideUsage,
    TextBlock,
    ThinkingBlock,
    ToolResultBlock,
)
from engine.tokens import count_text
from engine.tool_text import NUDGE
from engine.tools import Tool, ToolOutcome
from engine.usage import Usage
from tasks.judge import JudgeResult


@dataclass
class RoleRuntime:
    """A role as the loop runs it. `turns` counts across every run of the role."""

    role: str
    spec: RoleSpec
    backend: ModelBackend
    system: str
    tools: Mapping[str, Tool]
    turns: int = 0
    server_tools: tuple[dict[str, Any], ...] = ()
    executors: tuple[RoleRuntime, ...] = ()


@dataclass(frozen=True)
class AgentOutcome:
    text: str
    turns: int
    completed: bool
    reason: str = ""
    # Why an incomplete run stopped: its turn limit, or the model refused.
    stop: str = "max_turns"


# A reply that ran out of room is not a finish: its last tool call may have lost the end of
# its input (the SDK parses the cut JSON and silently drops a trailing string), or its text
# stops mid-sentence (Ollama's done_reason "length"). Its tools never run; it is asked again.
CUT_STOP_REASONS = ("max_tokens", "model_context_window_exceeded")
PAUSE_TURN = "pause_turn"
# Raising max_tokens goes no higher: the smallest output limit of the current Claude models.
MAX_OUTPUT_TOKENS = 64_000
CONTINUE_PROMPT = "Please continue."
EMPTY_REPLY_NOTE = "an empty reply (end_turn) after tool results: asked the model to continue"
THINKING_ONLY_NOTE = (
    "a reply with only thinking, nothing said or called, after tool results: asked the model "
    "to continue"
)


def _says_anything(blocks: tuple[ReplyBlock, ...]) -> bool:
    """Whether a reply holds more than thinking: a local model can think and then stop
    with nothing said or called."""
    return any(not isinstance(b, ThinkingBlock) for b in blocks)


def _after_tool_results(messages: list[Message]) -> bool:
    last = messages[-1]
    return last.role == "user" and any(isinstance(b, ToolResultBlock) for b in last.blocks)


async def run_agent(
    runtime: RoleRuntime,
    prompt: str,
    bus: EventBus,
    ledger: Ledger,
    *,
    delegation: int | None = None,
) -> AgentOutcome:
    messages: list[Message] = [Message("user", [TextBlock(prompt)], source=SOURCE_TASK)]
    specs = tuple(tool.spec for tool in runtime.tools.values())
    role, model = runtime.role, runtime.spec.model
    last_text = ""
    max_tokens = runtime.spec.max_tokens
    cut_before = paused = continued = nudged = False
    for taken in range(1, runtime.spec.max_turns + 1):
        runtime.turns += 1
        turn = runtime.turns
        bus.emit(TurnStarted(bus.now(), role, turn, model, delegation))
        request = ModelRequest(
            model,
            runtime.system,
            specs,
            tuple(messages),
            max_tokens,
            runtime.server_tools,
            runtime.spec.num_ctx,
            None if runtime.spec.inference_geo == "global" else runtime.spec.inference_geo,
        )
        started = time.monotonic()

        def on_tool_input(call_id: str, name: str, partial: str, turn: int = turn) -> None:
            bus.emit(ToolInputDelta(bus.now(), role, turn, call_id, name, partial))

        def on_text(text: str, turn: int = turn) -> None:
            bus.emit(TextDelta(bus.now(), role, turn, text))

        try:
            reply = await runtime.backend.complete(request, on_text, on_tool_input)
        except BackendError as exc:
            if exc.role is None:
                exc.role, exc.turn = role, turn
            raise
        if reply.stop_reason == "refusal" and reply.usage.output_tokens == 0:
            # "When a refusal arrives before Claude generates any output, you are not
            # billed" (handle-streaming-refusals): the call is recorded at zero.
            reply = replace(reply, usage=Usage.of())
        attribution = runtime.backend.cache_read_sources(request, reply.usage)
        _emit_usage(
            bus,
            ledger,
            role,
            turn,
            model,
            reply.usage,
            delegation,
            duration_s=time.monotonic() - started,
            attribution=attribution,
            timings={k: round(v, 4) for k, v in reply.extra.items() if isinstance(v, float)},
            unknown=reply.unknown,
            billing=reply.billing,
        )
        for note in reply.notes:
            bus.emit(TrialError(bus.now(), note, role, turn, False))
        for side in reply.side_usage:
            # Inside the same request: where it ran and its tier price the side call too.
            _record_side(bus, ledger, side, turn, delegation, reply.billing)
        _report_advice(bus, role, turn, reply.blocks)
        for block in reply.blocks:
            if isinstance(block, ThinkingBlock):
                bus.emit(ThinkingText(bus.now(), role, turn, block.text, count_text(block.text)))
        if reply.stop_reason == "refusal":
            bus.emit(
                TrialError(bus.now(), "the model refused (stop_reason refusal)", role, turn, False)
            )
            return AgentOutcome(last_text, taken, False, "the model refused", stop="refused")
        if reply.stop_reason in CUT_STOP_REASONS:
            raised = min(MAX_OUTPUT_TOKENS, max_tokens * 2)
            again = not cut_before and reply.stop_reason == "max_tokens" and raised > max_tokens
            bus.emit(
                ReplyCut(
                    bus.now(), role, turn, reply.stop_reason, max_tokens, raised if again else None
                )
            )
            if not again:
                error = BackendError(
                    f"{runtime.backend.provider}: the reply stopped at {reply.stop_reason} "
                    f"(max_tokens {max_tokens:,}); its tools were not run"
                )
                error.role, error.turn = role, turn
                raise error
            # The same conversation again, with room: the cut reply is not kept.
            max_tokens, cut_before = raised, True
            continue
        cut_before = False
        if _says_anything(reply.blocks):
            continued = False
        last_text = reply.text or last_text
        if reply.stop_reason == PAUSE_TURN:
            # A server tool (the advisor) is still working: send the turn back unchanged,
            # as the last message, with the same tools; the next reply continues it.
            if paused:
                messages[-1].blocks.extend(reply.blocks)
            else:
                messages.append(Message("assistant", list(reply.blocks), source=SOURCE_OWN))
            paused = True
            continue
        if paused:
            # The continuation belongs to the paused turn: one assistant message, not two.
            messages[-1].blocks.extend(reply.blocks)
            paused = False
        elif not _says_anything(reply.blocks):
            if reply.stop_reason == "end_turn" and not continued and _after_tool_results(messages):
                # "Sometimes Claude returns an empty response (2-3 tokens, no content) with
                # stop_reason end_turn ... particularly after tool results"; the remedy is a
                # user message asking it to continue, not a resend (docs: build-with-claude/
                # handling-stop-reasons). Once per turn; it goes after the tool results in
                # the same user message (text before tool results is refused).
                messages[-1].blocks.append(TextBlock(CONTINUE_PROMPT))
                continued = True
                note = THINKING_ONLY_NOTE if reply.blocks else EMPTY_REPLY_NOTE
                bus.emit(TrialError(bus.now(), note, role, turn, False))
                continue
            return AgentOutcome(last_text, taken, True)
        else:
            messages.append(Message("assistant", list(reply.blocks), source=SOURCE_OWN))
        if not reply.tool_uses:
            shape = runtime.backend.call_in_text(reply.text, runtime.tools)
            if shape is None:
                return AgentOutcome(reply.text, taken, True)
            # Not done: the call was written out, not made (engine/tool_text.py). Told once;
            # a second time, the role's turn fails (an executor's failure goes back to the
            # orchestrator) rather than passing the call off as its summary.
            if nudged:
                error = BackendError(
                    f"{model} wrote its tool call as text again ({shape}); nothing was run"
                )
                error.role, error.turn = role, turn
                raise error
            nudged = True
            bus.emit(
                TrialError(
                    bus.now(),
                    f"{model} wrote a tool call as text ({shape}); it was not run: "
                    "asked it to call the tool",
                    role,
                    turn,
                    False,
                )
            )
            messages.append(Message("user", [TextBlock(NUDGE.format(shape=shape))]))
            continue
        results: list[Block] = []
        for use in reply.tool_uses:
            bus.emit(ToolCall(bus.now(), role, turn, use.id, use.name, use.input))
            tool = runtime.tools.get(use.name)
            outcome = (
                await tool.run(use)
                if tool is not None
                else ToolOutcome(f"Error: unknown tool {use.name!r}", True)
            )
            if outcome.refusal is not None:
                refusal = outcome.refusal
                bus.emit(
                    ToolRefused(
                        bus.now(), role, turn, use.id, use.name, refusal.path, refusal.reason
                    )
                )
            bus.emit(
                ToolResult(
                    bus.now(), role, turn, use.id, use.name, outcome.content, outcome.is_error
                )
            )
            if outcome.harness is not None:
                run = JudgeResult.from_dict(outcome.harness)
                bus.emit(
                    HarnessRun(
                        bus.now(), role, turn, use.id, run.passed, run.one_line(), outcome.harness
                    )
                )
            results.append(
                ToolResultBlock(use.id, use.name, outcome.content, outcome.is_error, outcome.source)
            )
        messages.append(Message("user", results, source=SOURCE_TOOLS))
    return AgentOutcome(
        last_text, runtime.spec.max_turns, False, f"stopped at max_turns={runtime.spec.max_turns}"
    )


def _record_side(
    bus: EventBus,
    ledger: Ledger,
    side: SideUsage,
    turn: int,
    delegation: int | None,
    billing: dict[str, str],
) -> None:
    """The advisor's sub-inference, or a fallback model that served the call, billed to
    its own role at its own model's rates."""
    ledger.ensure(side.role, side.model)
    _emit_usage(bus, ledger, side.role, turn, side.model, side.usage, delegation, billing=billing)


def _emit_usage(
    bus: EventBus,
    ledger: Ledger,
    role: str,
    turn: int,
    model: str,
    usage: Usage,
    delegation: int | None,
    *,
    duration_s: float = 0.0,
    attribution: dict[str, int] | None = None,
    timings: dict[str, float] | None = None,
    unknown: tuple[str, ...] = (),
    billing: dict[str, str] | None = None,
) -> None:
    cost, totals = ledger.record(role, usage, billing)
    bus.emit(
        TurnUsage(
            bus.now(),
            role,
            turn,
            model,
            usage,
            totals.usage,
            round(cost, 6),
            totals.usage.cache_read,
            round(totals.cache_read_usd, 6),
            round(totals.cost_usd, 6),
            round(ledger.total_cost_usd, 6),
            round(duration_s, 3),
            attribution or {},
            delegation,
            timings or {},
            list(unknown),
            dict(billing or {}),
        )
    )


def _report_advice(bus: EventBus, role: str, turn: int, blocks: tuple[ReplyBlock, ...]) -> None:
    """Show each advisor consultation in the tool stream like any other tool call."""
    for block in blocks:
        if not isinstance(block, RawBlock):
            continue
        data = block.data
        if data.get("type") == "server_tool_use":
            bus.emit(
                ToolCall(bus.now(), role, turn, str(data.get("id")), str(data.get("name")), {})
            )
        elif data.get("type") == "advisor_tool_result":
            content = data.get("content") or {}
            text = str(content.get("text") or content.get("error_code") or "(redacted advice)")
            failed = content.get("type") == "advisor_tool_result_error"
            bus.emit(
                ToolResult(
                    bus.now(), role, turn, str(data.get("tool_use_id")), "advisor", text, failed
                )
            )
