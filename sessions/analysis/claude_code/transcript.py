"""The lines of a Claude Code transcript, decoded into typed records.

A transcript is JSONL: one object per line, `type` saying what it is. Only `user`,
`assistant` and `system` lines matter for cost; everything else (file-history snapshots,
summaries, progress updates, queue operations, kinds newer versions add) is skipped and
counted. Lines are read one at a time, so a large file is never held whole. A line that is
not JSON (the partial last line of a session Claude Code is still writing) or has a field of
an unexpected type is skipped and counted, never a crash.

Field names are Claude Code's (camelCase on the line, snake_case inside `message`, which is
the Anthropic API's own shape).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec

from engine.usage import cache_writes

KNOWN_TYPES = frozenset({"user", "assistant", "system"})


class ContentPart(msgspec.Struct, frozen=True):
    """A part of a tool result's content (text, image...)."""

    type: str = ""
    text: str | None = None


class Block(msgspec.Struct, frozen=True):
    """A content block: text, thinking, tool_use, tool_result, image, or a newer kind."""

    type: str = ""
    text: str | None = None
    thinking: str | None = None
    id: str | None = None
    name: str | None = None
    input: dict[str, Any] | None = None
    tool_use_id: str | None = None
    content: str | list[ContentPart] | None = None
    is_error: bool | None = None

    def result_text(self) -> str:
        """A tool result's text, whether stored as a string or as parts."""
        if isinstance(self.content, str):
            return self.content
        if self.content is None:
            return ""
        return "".join(part.text or "" for part in self.content)


class CacheCreation(msgspec.Struct, frozen=True):
    ephemeral_5m_input_tokens: int = 0
    ephemeral_1h_input_tokens: int = 0


class ApiUsage(msgspec.Struct, frozen=True):
    input_tokens: int = 0
    output_tokens: int = 0
    cache_creation_input_tokens: int | None = None
    cache_read_input_tokens: int | None = None
    cache_creation: CacheCreation | None = None
    # What changes the price of this one response (engine/billing.py).
    service_tier: str | None = None
    inference_geo: str | None = None

    def writes(self) -> tuple[int, int]:
        """(5m, 1h) cache writes. A version without the TTL split wrote only 5m entries;
        one without the total is billed by its split."""
        split = self.cache_creation
        if self.cache_creation_input_tokens is None:
            if split is None:
                return 0, 0
            return split.ephemeral_5m_input_tokens, split.ephemeral_1h_input_tokens
        if split is None:
            return self.cache_creation_input_tokens, 0
        return cache_writes(
            self.cache_creation_input_tokens,
            split.ephemeral_5m_input_tokens,
            split.ephemeral_1h_input_tokens,
        )


class Message(msgspec.Struct, frozen=True):
    role: str = ""
    id: str | None = None
    model: str | None = None
    content: str | list[Block] = ""
    stop_reason: str | None = None
    usage: ApiUsage | None = None

    def blocks(self) -> list[Block]:
        if isinstance(self.content, str):
            return [Block(type="text", text=self.content)] if self.content else []
        return self.content


class CompactMetadata(msgspec.Struct, frozen=True):
    trigger: str = ""
    pre_tokens: int | None = msgspec.field(default=None, name="preTokens")


class Line(msgspec.Struct, frozen=True, rename="camel"):
    type: str
    uuid: str | None = None
    parent_uuid: str | None = None
    is_sidechain: bool = False
    session_id: str | None = None
    timestamp: str | None = None
    cwd: str | None = None
    version: str | None = None
    agent_id: str | None = None
    request_id: str | None = None
    message: Message | None = None
    subtype: str | None = None
    is_compact_summary: bool = False
    is_meta: bool = False
    is_api_error_message: bool = False
    compact_metadata: CompactMetadata | None = None
    tool_use_result: Any = None


_DECODER = msgspec.json.Decoder(Line)


@dataclass
class ReadStats:
    """What reading skipped, by reason, so a listing can say it rather than hide it."""

    lines: int = 0
    skipped: Counter[str] = field(default_factory=Counter)

    def add(self, other: ReadStats) -> None:
        self.lines += other.lines
        self.skipped.update(other.skipped)

    def describe(self) -> str:
        if not self.skipped:
            return ""
        return ", ".join(f"{n:,} {why}" for why, n in sorted(self.skipped.items()))


def read_lines(path: Path, stats: ReadStats) -> Iterator[Line]:
    """The user, assistant and system lines of `path`, in file order, each uuid once (a
    resumed session can write a line again)."""
    seen: set[str] = set()
    with path.open("rb") as handle:
        for raw in handle:
            if not raw.strip():
                continue
            stats.lines += 1
            line = _decode(raw, stats)
            if line is None:
                continue
            if line.uuid is not None:
                if line.uuid in seen:
                    stats.skipped["repeated lines"] += 1
                    continue
                seen.add(line.uuid)
            yield line


def _decode(raw: bytes, stats: ReadStats) -> Line | None:
    try:
        line = _DECODER.decode(raw)
    except msgspec.ValidationError:
        stats.skipped["lines with fields of another shape"] += 1
        return None
    except msgspec.DecodeError:
        # Claude Code appends as it goes: the last line of a live session may be half written.
        stats.skipped["partial or non-JSON lines"] += 1
        return None
    if line.type not in KNOWN_TYPES:
        stats.skipped[f"{line.type} lines"] += 1
        return None
    return line


# Kinds only transcripts have, for recognising a file that starts with one.
TRANSCRIPT_ONLY_TYPES = frozenset(
    {"file-history-snapshot", "summary", "progress", "queue-operation", "last-prompt"}
)


def looks_like_transcript(path: Path) -> bool:
    """True when the first object line of `path` is a Claude Code line (it has `type` and
    `sessionId`, or is a kind only transcripts have)."""
    try:
        with path.open("rb") as handle:
            for raw in handle:
                if not raw.strip():
                    continue
                try:
                    data = msgspec.json.decode(raw)
                except msgspec.DecodeError:
                    return False
                if not isinstance(data, dict) or "format" in data:
                    return False
                return "type" in data and (
                    "sessionId" in data or data.get("type") in TRANSCRIPT_ONLY_TYPES
                )
    except OSError:
        return False
    return False
