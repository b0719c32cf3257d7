"""One Codex CLI session (a rollout file) as a fep-tui trial: a header and the events the
trial screen, compare and what-if read.

A rollout is JSONL, each line `{timestamp, type, payload}` (as public readers of rollouts
document it: ccusage's Codex notes, token-audit's guide, samples from Codex CLI 0.58):
- `session_meta`: the session's id, working directory and CLI version;
- `turn_context`: the model the next calls use;
- `response_item`: what entered the conversation: a user or developer message, the
  model's message, reasoning (its summary text), a function or custom tool call, a tool's
  output;
- `event_msg` of type `token_count`: after each model call, the session's running
  `total_token_usage` (a call repeated with the same totals is one call);
- `compacted`: the history replaced by a summary.

- **Model calls.** One per `token_count` whose totals moved: its usage is the difference.
  OpenAI counts cached input inside `input_tokens` and reasoning inside `output_tokens`
  (the Responses API's usage details), so the uncached input is `input - cached` and the
  output is billed as recorded, reasoning included once.
- **Prices.** OpenAI's, from the price database; no cache writes (OpenAI charges none).
- **Re-read attribution (estimated)**, as for Claude Code: the conversation rebuilt from
  its items, each counted with tiktoken, scaled to each call's reported input; the
  instructions and tools (not in the file) are what the first call read beyond the
  counted items.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec

from engine.attribution import PromptPrefix
from engine.events import (
    ContextCompacted,
    Event,
    ToolCall,
    ToolResult,
)
from engine.pricing import OFFICIAL, RateCard
from engine.tokens import count_text
from engine.usage import Usage
from sessions.analysis.claude_code.convert import Converted
from sessions.analysis.claude_code.transcript import ReadStats
from sessions.analysis.priced_calls import TracedCall, TraceInfo, trial_from_calls
from sessions.analysis.trace_clock import TraceClock

LEAD = "lead"
ARM = "codex"
PROVIDER = "openai"
# What a rollout's first lines must hold for it to be one: a session_meta line.
_LOOK_LINES = 20
_OUTPUTS = frozenset({"reasoning", "function_call", "custom_tool_call", "local_shell_call"})


class _Line(msgspec.Struct):
    timestamp: str | None = None
    type: str = ""
    payload: Any = None


_DECODER = msgspec.json.Decoder(_Line)


def rollout_problem(path: Path) -> str | None:
    """Why `path` is not a Codex CLI rollout, in a sentence; None when it is one."""
    try:
        with path.open("rb") as handle:
            head = [handle.readline() for _ in range(_LOOK_LINES)]
    except OSError as exc:
        return f"{path}: cannot be read ({exc.strerror or exc})"
    for raw in head:
        try:
            line = _DECODER.decode(raw)
        except msgspec.DecodeError:
            continue
        if line.type == "session_meta" and isinstance(line.payload, dict):
            return None
    return f"{path} is not a Codex CLI rollout (no session_meta line near its start)"


@dataclass
class _Call:
    t: float
    turn: int
    model: str
    usage: Usage
    prompt_blocks: int
    generation: int
    texts: list[str] = field(default_factory=list)
    tools: list[ToolCall] = field(default_factory=list)


@dataclass
class _Reading:
    path: Path
    stats: ReadStats = field(default_factory=ReadStats)
    clock: TraceClock = field(default_factory=TraceClock)
    session_id: str = ""
    cwd: str = ""
    version: str = ""
    model: str = ""
    # The conversation as counted blocks (source, tokens), a list per compaction.
    generations: list[list[tuple[str, int]]] = field(default_factory=lambda: [[]])
    calls: list[_Call] = field(default_factory=list)
    events: list[tuple[float, int, Event]] = field(default_factory=list)
    totals: dict[str, int] = field(default_factory=dict)
    # The model's output since the last call: its text and tool calls, and where the
    # prompt of the call that wrote it ended.
    texts: list[str] = field(default_factory=list)
    tools: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    prompt_end: int | None = None
    turn_of_call: dict[str, tuple[int, str]] = field(default_factory=dict)
    compactions: int = 0

    def add(self, source: str, text: str) -> None:
        tokens = count_text(text)
        if tokens:
            self.generations[-1].append((source, tokens))

    def at(self, t: float, event: Event) -> None:
        self.events.append((t, len(self.events), event))

    def line(self, line: _Line) -> None:
        payload = line.payload if isinstance(line.payload, dict) else {}
        t = self.clock.t(line.timestamp)
        if t is None:
            self.stats.skipped["lines without a timestamp"] += 1
            return
        kind = line.type
        if kind == "session_meta":
            self.session_id = self.session_id or str(payload.get("id") or "")
            self.cwd = self.cwd or str(payload.get("cwd") or "")
            self.version = self.version or str(payload.get("cli_version") or "")
        elif kind == "turn_context":
            self.model = str(payload.get("model") or self.model)
            self.cwd = self.cwd or str(payload.get("cwd") or "")
        elif kind == "response_item":
            self._item(t, payload)
        elif kind == "event_msg" and payload.get("type") == "token_count":
            self._token_count(t, payload)
        elif kind == "compacted":
            self.compactions += 1
            self.at(t, ContextCompacted(t, LEAD, len(self.calls) + 1, "auto", None))
            self.generations.append([])
            self.add("task", str(payload.get("message") or ""))
        elif kind != "event_msg":
            self.stats.skipped[f"{kind or 'untyped'} lines"] += 1

    def _item(self, t: float, item: dict[str, Any]) -> None:
        kind = item.get("type")
        output = kind in _OUTPUTS or (kind == "message" and item.get("role") == "assistant")
        if output and self.prompt_end is None:
            # The model's first output since the last call: the call's prompt ended here.
            self.prompt_end = len(self.generations[-1])
        if kind == "message":
            text = _content_text(item.get("content"))
            role = item.get("role")
            if role == "assistant":
                self.texts.append(text)
                self.add("own", text)
            else:
                self.add("task" if role == "user" else "base", text)
        elif kind == "reasoning":
            summary = item.get("summary")
            text = _content_text(summary) if isinstance(summary, list) else ""
            self.add("own", text)
        elif kind in ("function_call", "custom_tool_call", "local_shell_call"):
            call_id = str(item.get("call_id") or item.get("id") or "")
            name, given = _tool(item)
            self.tools.append((call_id, name, given))
            self.add("own", name + json.dumps(given, sort_keys=True))
        elif kind in ("function_call_output", "custom_tool_call_output"):
            call_id = str(item.get("call_id") or "")
            output = _output_text(item.get("output"))
            self.add("tool_results", output)
            turn, name = self.turn_of_call.get(call_id, (len(self.calls), ""))
            self.at(t, ToolResult(t, LEAD, turn, call_id, name, output, False))
        else:
            self.stats.skipped[f"{kind or 'untyped'} items"] += 1

    def _token_count(self, t: float, payload: dict[str, Any]) -> None:
        info = payload.get("info")
        totals = info.get("total_token_usage") if isinstance(info, dict) else None
        if not isinstance(totals, dict):
            return
        now = {k: int(v) for k, v in totals.items() if isinstance(v, int)}
        delta = {k: now.get(k, 0) - self.totals.get(k, 0) for k in now}
        self.totals = now
        if not any(v > 0 for v in delta.values()):
            self.stats.skipped["token counts repeating the last"] += 1
            return
        cached = max(0, delta.get("cached_input_tokens", 0))
        usage = Usage.of(
            input_tokens=max(0, delta.get("input_tokens", 0) - cached),
            output_tokens=max(0, delta.get("output_tokens", 0)),
            cache_read=cached,
        )
        prompt = self.prompt_end if self.prompt_end is not None else len(self.generations[-1])
        turn = len(self.calls) + 1
        call = _Call(t, turn, self.model or "unknown", usage, prompt, len(self.generations) - 1)
        call.texts = [text for text in self.texts if text]
        for call_id, name, given in self.tools:
            call.tools.append(ToolCall(t, LEAD, turn, call_id, name, given))
            self.turn_of_call[call_id] = (turn, name)
        self.calls.append(call)
        self.texts, self.tools, self.prompt_end = [], [], None


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        return ""
    return "".join(str(part.get("text") or "") for part in content if isinstance(part, dict))


def _output_text(output: Any) -> str:
    if isinstance(output, str):
        return output
    if isinstance(output, dict):
        return _content_text(output.get("content")) or str(output.get("output") or "")
    return _content_text(output)


def _tool(item: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    kind = item.get("type")
    if kind == "local_shell_call":
        action = item.get("action")
        return "shell", action if isinstance(action, dict) else {}
    name = str(item.get("name") or kind)
    if kind == "custom_tool_call":
        return name, {"input": item.get("input")}
    arguments = item.get("arguments")
    try:
        given = json.loads(arguments) if isinstance(arguments, str) else arguments
    except json.JSONDecodeError:
        given = {"arguments": arguments}
    return name, given if isinstance(given, dict) else {"arguments": given}


def convert_rollout(path: Path, card: RateCard = OFFICIAL) -> Converted:
    reading = _Reading(path)
    with path.open("rb") as handle:
        for raw in handle:
            if not raw.strip():
                continue
            reading.stats.lines += 1
            try:
                line = _DECODER.decode(raw)
            except msgspec.DecodeError:
                reading.stats.skipped["partial or non-JSON lines"] += 1
                continue
            reading.line(line)
    return _build(reading, card)


def _build(reading: _Reading, card: RateCard) -> Converted:
    calls = reading.calls
    base = 0
    if calls:
        first = calls[0]
        counted = sum(n for _, n in reading.generations[first.generation][: first.prompt_blocks])
        base = max(0, first.usage.total_input - counted)
    prompts = [
        PromptPrefix(([("base", base)] if base else []) + blocks) for blocks in reading.generations
    ]
    traced = [
        TracedCall(
            c.t,
            c.turn,
            c.model,
            c.usage,
            c.texts,
            c.tools,
            prompts[c.generation].credit((1 if base else 0) + c.prompt_blocks, c.usage),
        )
        for c in calls
    ]
    info = TraceInfo(
        reading.path,
        ARM,
        "Codex CLI",
        PROVIDER,
        reading.session_id,
        reading.cwd,
        reading.version,
        reading.clock.start,
    )
    between = [(t, event) for t, _, event in reading.events]
    return trial_from_calls(info, traced, between, card, reading.stats)
