"""The lines of a Claude Code transcript, decoded into typed records.

A transcript is JSONL: one object per line, `type` saying what it is. Only `user`,
`assistant` and `system` lines matter for cost, and the subagent messages some versions
write only inside `progress` lines (`data.type: agent_progress`, the message nested in
`data.message`), read as the subagent's own lines; everything else (file-history
snapshots, summaries, other progress updates, queue operations, kinds newer versions add)
is skipped and counted. Lines are read one at a time, so a large file is never held whole.
A line that is not JSON (the partial last line of a session Claude Code is still writing)
or has a field of an unexpected type is skipped and counted, never a crash.

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


class ProgressData(msgspec.Struct, frozen=True, rename="camel"):
    """A progress line's payload; only `agent_progress` carries a subagent's message, left
    undecoded until it is known to be one (hook progress puts other shapes there)."""

    type: str = ""
    agent_id: str | None = None
    # Empty when the line has none (msgspec takes Raw alone, not in a union with None).
    message: msgspec.Raw = msgspec.field(default_factory=msgspec.Raw)


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
    data: ProgressData | None = None


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
            line = _accept(raw, stats, seen)
            if line is not None:
                yield line


def _accept(raw: bytes, stats: ReadStats, seen: set[str]) -> Line | None:
    """One raw line as a Line to use, or None (blank, skipped, or a uuid seen before)."""
    if not raw.strip():
        return None
    stats.lines += 1
    line = _decode(raw, stats)
    if line is None:
        return None
    if line.uuid is not None:
        if line.uuid in seen:
            stats.skipped["repeated lines"] += 1
            return None
        seen.add(line.uuid)
    return line


class LineTail:
    """The whole lines a file has gained since the last read, for a session Claude Code is
    still writing: what was read is never read again, and a line half written when read
    waits for its end."""

    def __init__(self, path: Path, stats: ReadStats) -> None:
        self.path, self.stats = path, stats
        self.offset = 0
        self._seen: set[str] = set()

    def read(self) -> list[Line]:
        try:
            with self.path.open("rb") as handle:
                handle.seek(self.offset)
                data = handle.read()
        except FileNotFoundError:
            return []
        end = data.rfind(b"\n")
        if end < 0:
            return []
        self.offset += end + 1
        found = (_accept(raw, self.stats, self._seen) for raw in data[: end + 1].splitlines())
        return [line for line in found if line is not None]


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
    if line.type == "progress":
        nested = _subagent_message(line)
        if nested is not None:
            return nested
    if line.type not in KNOWN_TYPES:
        stats.skipped[f"{line.type} lines"] += 1
        return None
    return line


def _subagent_message(line: Line) -> Line | None:
    """The subagent's own line inside an `agent_progress` line, as a sidechain line of
    that agent (None for any other progress)."""
    data = line.data
    if data is None or data.type != "agent_progress" or not len(data.message):
        return None
    try:
        nested = _DECODER.decode(data.message)
    except (msgspec.ValidationError, msgspec.DecodeError):
        return None
    if nested.type not in ("user", "assistant") or nested.message is None:
        return None
    return msgspec.structs.replace(
        nested,
        is_sidechain=True,
        agent_id=data.agent_id or nested.agent_id,
        session_id=nested.session_id or line.session_id,
        timestamp=nested.timestamp or line.timestamp,
        cwd=nested.cwd or line.cwd,
        version=nested.version or line.version,
    )


# How far into a file the first message line is looked for: Claude Code starts a session
# with a few summary and file-history lines, never hundreds.
_LOOK_LINES = 200
_LOOK_BYTES = 4 << 20


class _HeadLine(msgspec.Struct):
    type: str = ""
    format: str = ""
    message: dict[str, object] | None = None


_HEAD_LINE = msgspec.json.Decoder(_HeadLine)


def transcript_problem(path: Path) -> str | None:
    """Why `path` is not a Claude Code transcript, in a sentence; None when it is one (a
    user or assistant message line near its start). An empty file, `{"a": 1}` or one of
    fep-tui's own sessions each became a $0 MEASURED session."""
    try:
        with path.open("rb") as handle:
            head = handle.read(_LOOK_BYTES)
    except OSError as exc:
        return f"{path}: cannot be read ({exc.strerror or exc})"
    if not head.strip():
        return f"{path} is empty, not a Claude Code transcript"
    for number, raw in enumerate(head.splitlines()[:_LOOK_LINES]):
        if not raw.strip():
            continue
        try:
            line = _HEAD_LINE.decode(raw)
        except msgspec.DecodeError:
            continue  # a damaged line, or the last one cut by the read
        if number == 0 and line.format == "fep-tui-session":
            return f"{path} is a fep-tui session, not a transcript: open it with fep-tui replay"
        if line.type in ("user", "assistant") and line.message is not None:
            return None
    return (
        f"{path} is not a Claude Code transcript (no user or assistant message in its first "
        f"{_LOOK_LINES} lines); pass a session's .jsonl from ~/.claude/projects"
    )
    return False
