"""Provider-neutral conversation: what the agent loop keeps, and backends translate.

Every message carries a `source` so cache reads can be traced back to what put the tokens
in the prompt: the task prompt, the role's own turns, tool results, or a given executor
summary ("summary:3" is the third delegation's returned summary).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from engine.usage import Usage

SOURCE_BASE = "base"
SOURCE_TASK = "task"
SOURCE_OWN = "own"
SOURCE_TOOLS = "tool_results"
SUMMARY_PREFIX = "summary:"


def summary_source(delegation: int) -> str:
    return f"{SUMMARY_PREFIX}{delegation}"


@dataclass(frozen=True)
class TextBlock:
    text: str


@dataclass(frozen=True)
class ToolUseBlock:
    id: str
    name: str
    input: dict[str, Any]


@dataclass(frozen=True)
class ToolResultBlock:
    tool_use_id: str
    tool_name: str
    content: str
    is_error: bool = False
    source: str = SOURCE_TOOLS


@dataclass(frozen=True)
class ThinkingBlock:
    """A local model's reasoning (Ollama's `message.thinking`). Sent back on later turns:
    the model's chat template renders it, and a turn without it changes the prompt."""

    text: str


@dataclass(frozen=True)
class RawBlock:
    """A block the engine does not interpret but must send back verbatim (the advisor
    tool's `server_tool_use` and `advisor_tool_result`)."""

    data: dict[str, Any]


Block = TextBlock | ToolUseBlock | ToolResultBlock | RawBlock | ThinkingBlock
ReplyBlock = TextBlock | ToolUseBlock | RawBlock | ThinkingBlock


@dataclass
class Message:
    role: Literal["user", "assistant"]
    blocks: list[Block]
    source: str = SOURCE_OWN


@dataclass(frozen=True)
class ToolSpec:
    name: str
    description: str
    input_schema: dict[str, Any]


@dataclass(frozen=True)
class ModelRequest:
    model: str
    system: str
    tools: tuple[ToolSpec, ...]
    messages: tuple[Message, ...]
    max_tokens: int
    # Server-side tools sent as given (the advisor tool), ahead of the custom tools.
    server_tools: tuple[dict[str, Any], ...] = ()
    # Ollama's context window for this call; the server's own default is 4k on small GPUs.
    num_ctx: int | None = None
    # Anthropic's `inference_geo`, sent only when not the default ("global").
    inference_geo: str | None = None


@dataclass(frozen=True)
class SideUsage:
    """Usage billed to another role inside the same call (the advisor's sub-inference)."""

    role: str
    model: str
    usage: Usage


@dataclass(frozen=True)
class ModelReply:
    blocks: tuple[ReplyBlock, ...]
    stop_reason: str
    usage: Usage
    # Provider extras worth keeping (Ollama durations, request ids); never secrets.
    extra: dict[str, Any] = field(default_factory=dict)
    side_usage: tuple[SideUsage, ...] = ()
    # Usage buckets the provider did not report (Ollama omits a count it did not take).
    unknown: tuple[str, ...] = ()
    # What the response said changes its price (engine/billing.py); empty when standard.
    billing: dict[str, str] = field(default_factory=dict)
    # Something odd in the response worth a note on the record (not an error).
    notes: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        return "".join(b.text for b in self.blocks if isinstance(b, TextBlock))

    @property
    def tool_uses(self) -> list[ToolUseBlock]:
        return [b for b in self.blocks if isinstance(b, ToolUseBlock)]


# How the result of a delegation whose executor failed begins (engine/delegation.py); the
# simulator's scripted orchestrator reads it to try the delegation again.
EXECUTOR_FAILED = "executor failed:"
