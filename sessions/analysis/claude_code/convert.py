"""One Claude Code session as a fep-tui trial: a header and the events the trial screen,
compare and what-if read.

- **Roles.** `lead` is the main thread; each subagent type is an executor role
  (`executor-Explore`, `executor-general-purpose`...). A delegation is a `Task` (older
  versions) or `Agent` tool call; its tool result is the summary the lead gets back.
- **Model calls.** One API response is written as several lines, one per content block,
  each repeating the usage. A response is counted once, by message id and request id,
  with the usage of its last line (the final output count).
- **Prices.** The official card; a dated model id is priced as its alias. A model the card
  does not list keeps its tokens and is named in the header's `unpriced`, never priced $0.
- **Re-read attribution (estimated).** The lead's context is rebuilt from its lines: the
  user's prompts, its own replies and tool calls, tool results and subagent results. Each
  block is counted with tiktoken. System prompt and tool definitions are not in the file:
  their size is taken as what the first call read beyond the counted messages. The counts
  are scaled to each call's reported input and the first `cache_read` tokens are credited
  to their sources, as the engine does for its own trials (engine/attribution.py).
- **Compaction** replaces the lead's context with its summary: re-reads of anything before
  it stop there.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec

from engine.attribution import PromptPrefix
from engine.billing import billing_of, price_factor
from engine.events import (
    ContextCompacted,
    Delegation,
    Event,
    ExecutorSummary,
    RoleTotals,
    TextDelta,
    ToolCall,
    ToolResult,
    TrialEnded,
    TurnStarted,
    TurnUsage,
)
from engine.messages import summary_source
from engine.pricing import OFFICIAL, RateCard, UnpricedModelError
from engine.tokens import count_text
from engine.usage import Usage
from engine.version import ENGINE_VERSION
from sessions.analysis.claude_code.context_items import (
    BASE,
    HISTORY,
    OWN,
    ContextItem,
    ItemBook,
    LeadCall,
    price_items,
    tool_label,
)
from sessions.analysis.claude_code.layout import SessionFiles, agent_type
from sessions.analysis.claude_code.transcript import (
    ApiUsage,
    Block,
    Line,
    ReadStats,
    read_lines,
)
from sessions.analysis.trace_clock import TraceClock
from sessions.format import FORMAT_NAME, SCHEMA_VERSION
from sessions.header import SessionHeader, TraceOrigin, fingerprint
from sessions.outcome import TRACE_STATUS

LEAD = "lead"
DELEGATION_TOOLS = frozenset({"Task", "Agent"})
# What Claude Code writes for a call that never reached the API (an error shown as a reply).
SYNTHETIC_MODEL = "<synthetic>"
ARM = "claude-code"
_AGENT_ID = re.compile(r"agentId:\s*([A-Za-z0-9_@.-]+)")
_ROLE_CHARS = re.compile(r"[^A-Za-z0-9_-]+")


@dataclass
class Converted:
    header: SessionHeader
    events: list[Event]
    stats: ReadStats
    # The lead's context item by item, costliest re-read first (context_items.py).
    items: list[ContextItem] = field(default_factory=list)


@dataclass
class _Response:
    """One API response: its first line's time, model, blocks and final usage."""

    t: float
    gap_s: float
    model: str
    blocks: list[Block] = field(default_factory=list)
    usage: ApiUsage = field(default_factory=ApiUsage)
    # Lead only: how many context blocks its prompt held when it was sent.
    prompt_blocks: int = 0
    prompt_generation: int = 0


@dataclass
class _Result:
    t: float
    call_id: str
    text: str
    is_error: bool
    agent_id: str | None


@dataclass
class _Thread:
    """One conversation: the lead's, or one subagent's."""

    responses: list[_Response] = field(default_factory=list)
    results: list[_Result] = field(default_factory=list)
    compactions: list[tuple[float, int, str, int | None]] = field(default_factory=list)
    first_prompt: str = ""
    # What its file's .meta.json says it is (a subagent's file only).
    agent_type: str | None = None
    first_t: float | None = None
    _last_t: float | None = None
    _open: dict[tuple[str, str], _Response] = field(default_factory=dict)

    def gap(self, t: float) -> float:
        gap = 0.0 if self._last_t is None else max(0.0, t - self._last_t)
        self._last_t = t
        if self.first_t is None:
            self.first_t = t
        return gap


@dataclass
class _Context:
    """The lead's prompt as counted blocks (source, tokens, item); compaction starts a new
    generation, so a call's prompt is (generation, first n blocks)."""

    generations: list[list[tuple[str, int, str]]] = field(default_factory=lambda: [[]])
    book: ItemBook = field(default_factory=ItemBook)

    @property
    def blocks(self) -> list[tuple[str, int, str]]:
        return self.generations[-1]

    def add(self, source: str, text: str, item: str) -> None:
        tokens = count_text(text)
        if tokens:
            self.blocks.append((source, tokens, item))
            self.book.grew(item, tokens)

    def compact(self) -> None:
        for _, _, item in self.blocks:
            self.book.items[item].dropped = True
        self.generations.append([])


def context_items(transcript: Path) -> list[ContextItem]:
    """The items of a session's lead context, costliest re-read first, read from its
    transcript (TraceInputError when it is not one)."""
    from sessions.analysis.claude_code.layout import sessions_under

    [files] = sessions_under(transcript)
    return convert(files).items


def convert(files: SessionFiles, card: RateCard = OFFICIAL, sha256: str | None = None) -> Converted:
    """`sha256`: the files' checksum when the caller has it (else it is computed)."""
    reading = SessionReading(files, card)
    reading.feed_main(read_lines(files.main, reading.stats))
    for path in files.agents:
        reading.feed_agent(path, read_lines(path, reading.stats))
    for path in files.compaction:
        reading.feed_compaction(path, read_lines(path, reading.stats))
    return reading.build(sha256 or checksum(files.all()))


class SessionReading:
    """A session's files as read so far: fed whole (convert) or a few lines at a time as
    Claude Code writes them (follow.py), and built into a trial at any point."""

    def __init__(self, files: SessionFiles, card: RateCard = OFFICIAL) -> None:
        self.files, self.card = files, card
        self.stats = ReadStats()
        self.clock = TraceClock()
        self.lead = _LeadReader(files.main, self.stats, self.clock)
        self.agents: dict[Path, _Thread] = {}
        # Claude Code's own summarising calls when it compacts the context: billed like
        # any other call (1-12.5% of a session's cost on real transcripts), as their role.
        self.compactions: dict[Path, _Thread] = {}

    def feed_main(self, lines: Iterable[Line]) -> None:
        self.lead.feed(lines)

    def feed_agent(self, path: Path, lines: Iterable[Line]) -> None:
        if path not in self.agents:
            self.agents[path] = _Thread(agent_type=agent_type(path))
        _read_agent(lines, self.clock, self.agents[path])

    def feed_compaction(self, path: Path, lines: Iterable[Line]) -> None:
        _read_agent(lines, self.clock, self.compactions.setdefault(path, _Thread()))

    def build(self, sha256: str = "") -> Converted:
        """The trial as read so far. Building reads the state and never changes it, so a
        live session is built again after each new line."""
        lead = self.lead
        agents = dict(_sidechains(lead.sidechain_lines, self.clock))
        for path, thread in self.agents.items():
            agents[path.stem.removeprefix("agent-")] = thread
        builder = _Builder(
            self.files,
            self.card,
            self.stats,
            self.clock,
            lead.lead,
            lead.context,
            lead.tool_names,
            agents,
            lead.meta,
        )
        builder.compaction_threads = list(self.compactions.values())
        builder.sha256 = sha256
        return builder.build()


@dataclass
class _Meta:
    session_id: str = ""
    cwd: str = ""
    version: str = ""
    continues: str = ""


class _Copied:
    """Lines a resumed session copied from the one it continues: Claude Code writes the
    earlier history at the top of the new file, each line keeping its first session's id.
    Their calls are that session's spend, billed when its file is imported; counted here
    too they doubled a project's total ($35.10 for $29.36). While that file is gone they
    are this session's only record, and billed here."""

    def __init__(self, main: Path) -> None:
        self.own = main.stem
        self.directory = main.parent
        self._known: dict[str, bool] = {}

    def __call__(self, line: Line) -> str | None:
        """The session `line` was copied from, or None when it is this session's own."""
        other = line.session_id
        if not other or other == self.own:
            return None
        if other not in self._known:
            self._known[other] = (self.directory / f"{other}.jsonl").is_file()
        return other if self._known[other] else None


class _LeadReader:
    """The main file's lines, fed in order (all at once, or as a live session writes
    them): the lead's thread and context, tool names, subagents' inline lines, metadata."""

    def __init__(self, path: Path, stats: ReadStats, clock: TraceClock) -> None:
        self.stats, self.clock = stats, clock
        self.lead, self.context, self.meta = _Thread(), _Context(), _Meta()
        self.tool_names: dict[str, tuple[str, dict[str, Any]]] = {}
        self.sidechain_lines: list[Line] = []
        self._copied_from = _Copied(path)

    def feed(self, lines: Iterable[Line]) -> None:
        for line in lines:
            self._line(line)

    def _line(self, line: Line) -> None:
        lead, context, meta, stats = self.lead, self.context, self.meta, self.stats
        meta.cwd = meta.cwd or (line.cwd or "")
        meta.version = line.version or meta.version
        continued = self._copied_from(line)
        if continued is not None:
            # The earlier history: part of every later prompt, billed in its own file.
            meta.continues = meta.continues or continued
            stats.skipped[f"lines resumed from session {continued} (billed there)"] += 1
            context.book.item(HISTORY, "history", f"resumed from session {continued}")
            _add_history(context, line)
            return
        meta.session_id = meta.session_id or (line.session_id or "")
        if line.is_sidechain:
            self.sidechain_lines.append(line)
            return
        t = self.clock.t(line.timestamp)
        if t is None:
            stats.skipped["lines without a timestamp"] += 1
            return
        if line.type == "system":
            if line.subtype == "compact_boundary":
                meta_ = line.compact_metadata
                lead.compactions.append(
                    (
                        t,
                        len(lead.responses),
                        meta_.trigger if meta_ else "",
                        meta_.pre_tokens if meta_ else None,
                    )
                )
                context.compact()
            return
        if line.message is None:
            return
        if line.type == "assistant":
            response = _add_response(lead, line, t, stats)
            if response is not None and response.prompt_blocks < 0:
                response.prompt_blocks = len(context.blocks)
                response.prompt_generation = len(context.generations) - 1
            for block in line.message.blocks():
                _count_own(context, block, OWN)
                if block.type == "tool_use" and block.id:
                    self.tool_names[block.id] = (block.name or "", block.input or {})
            return
        # A user line: the person's prompt, a compaction summary, or tool results.
        lead.gap(t)
        for block in line.message.blocks():
            if block.type == "tool_result" and block.tool_use_id:
                text = block.result_text()
                name, given = self.tool_names.get(block.tool_use_id, ("", {}))
                delegated = name in DELEGATION_TOOLS
                item = context.book.item(
                    f"tool:{block.tool_use_id}",
                    "subagent" if delegated else "tool",
                    tool_label(name or "tool", given),
                    name,
                )
                # A subagent's result gets its delegation's number once all are known.
                source = f"pending:{block.tool_use_id}" if delegated else "tool_results"
                context.add(source, text, item)
                lead.results.append(
                    _Result(
                        t,
                        block.tool_use_id,
                        text,
                        bool(block.is_error),
                        _agent_id(line.tool_use_result, text),
                    )
                )
            elif block.type == "text" and block.text:
                context.add("task", block.text, context.book.user_message(block.text))


def _add_history(context: _Context, line: Line) -> None:
    """A copied line's part in the prompt of this session's calls."""
    if line.type == "system" and line.subtype == "compact_boundary":
        context.compact()
        return
    if line.message is None or line.is_sidechain:
        return
    for block in line.message.blocks():
        if line.type == "assistant":
            _count_own(context, block, HISTORY)
        elif block.type == "tool_result":
            context.add("tool_results", block.result_text(), HISTORY)
        elif block.type == "text" and block.text:
            context.add("task", block.text, HISTORY)


def _count_own(context: _Context, block: Block, item: str) -> None:
    context.book.item(OWN, "own", "the lead's own replies and tool calls")
    if block.type == "text" and block.text:
        context.add("own", block.text, item)
    elif block.type == "thinking" and block.thinking:
        context.add("own", block.thinking, item)
    elif block.type == "tool_use":
        context.add("own", (block.name or "") + _json(block.input or {}), item)


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def _add_response(thread: _Thread, line: Line, t: float, stats: ReadStats) -> _Response | None:
    """The response this line belongs to, new or already open; None for a line that is not
    an API response (Claude Code's synthetic error replies)."""
    message = line.message
    assert message is not None
    if message.model == SYNTHETIC_MODEL or line.is_api_error_message:
        stats.skipped["synthetic replies (no API call)"] += 1
        return None
    key = (message.id or f"line:{line.uuid}", line.request_id or "")
    response = thread._open.get(key)
    if response is None:
        response = _Response(t, thread.gap(t), message.model or "unknown")
        response.prompt_blocks = -1
        thread._open[key] = response
        thread.responses.append(response)
    else:
        thread.gap(t)
    response.blocks.extend(message.blocks())
    if message.usage is not None and message.usage.output_tokens >= response.usage.output_tokens:
        response.usage = message.usage
    return response


def _read_agent(lines: Iterable[Line], clock: TraceClock, thread: _Thread | None = None) -> _Thread:
    """A subagent's (or compaction's) lines into `thread`, a new one unless given."""
    thread = thread if thread is not None else _Thread()
    stats = ReadStats()
    for line in lines:
        t = clock.t(line.timestamp)
        if t is None or line.message is None:
            continue
        if line.type == "assistant":
            _add_response(thread, line, t, stats)
            continue
        if line.type != "user":
            continue
        thread.gap(t)
        for block in line.message.blocks():
            if block.type == "tool_result" and block.tool_use_id:
                thread.results.append(
                    _Result(t, block.tool_use_id, block.result_text(), bool(block.is_error), None)
                )
            elif block.type == "text" and block.text and not thread.first_prompt:
                thread.first_prompt = block.text
    return thread


def _sidechains(lines: list[Line], clock: TraceClock) -> dict[str, _Thread]:
    """Inline sidechain lines grouped into one thread per subagent: by `agentId` when the
    version writes it, else by the chain each line belongs to (its root's uuid)."""
    root_of: dict[str, str] = {}
    groups: dict[str, list[Line]] = {}
    for line in lines:
        if line.agent_id:
            key = line.agent_id
        else:
            parent = root_of.get(line.parent_uuid or "")
            key = parent or f"chain:{line.uuid}"
        if line.uuid:
            root_of[line.uuid] = key
        groups.setdefault(key, []).append(line)
    return {key: _read_agent(group, clock) for key, group in groups.items()}


def _agent_id(tool_use_result: Any, text: str) -> str | None:
    if isinstance(tool_use_result, dict):
        value = tool_use_result.get("agentId")
        if isinstance(value, str) and value:
            return value
    found = _AGENT_ID.search(text)
    return found[1] if found else None


# The role Claude Code's compaction calls are billed to.
COMPACTION_ROLE = "compaction"
# A call's recorded output is taken for understated when its content counts more than
# this many times it, plus a few tokens: real records fall 1.2-350x short, and tiktoken's
# count of the same text differs from Claude's by less.
UNDERSTATED_RATIO = 1.2
UNDERSTATED_SLACK = 10


def role_for(subagent_type: str) -> str:
    return "executor-" + (_ROLE_CHARS.sub("-", subagent_type).strip("-") or "general-purpose")


# Claude Code 2.0.x started each session with an agent asked only this, to warm its cache.
WARMUP_PROMPT = "Warmup"


def unclaimed_role(thread: _Thread) -> str:
    """The role of an agent file no delegation claims: its type where its .meta.json or
    its place says it, `warmup` for the warm-up agent, else `unclaimed`."""
    if thread.agent_type:
        return role_for(thread.agent_type)
    if thread.first_prompt.strip() == WARMUP_PROMPT:
        return "warmup"
    return "unclaimed"


class _Builder:
    def __init__(
        self,
        files: SessionFiles,
        card: RateCard,
        stats: ReadStats,
        clock: TraceClock,
        lead: _Thread,
        context: _Context,
        tool_names: dict[str, tuple[str, dict[str, Any]]],
        agents: dict[str, _Thread],
        meta: _Meta,
    ) -> None:
        self.files, self.card, self.stats, self.clock = files, card, stats, clock
        self.lead, self.context, self.tool_names = lead, context, tool_names
        # The items as read, priced afresh by each build (the reading's own stay as read).
        self.book = context.book.fresh()
        self.lead_calls: list[LeadCall] = []
        self.agents, self.meta = agents, meta
        self.items: list[tuple[float, int, Event | _Call]] = []
        self.models: dict[str, str] = {}
        self.unpriced: set[str] = set()
        self.role_usage: dict[str, Usage] = {}
        self.role_cost: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        self.total_cost = 0.0
        self.unlinked = 0
        self.unclaimed: list[_Thread] = []
        self.sha256 = ""
        self.compaction_threads: list[_Thread] = []
        # Output counted from the content, per role, where the record says less.
        self.output_estimated: dict[str, int] = {}
        self.output_extra_usd: dict[str, float] = {}
        self.understated: set[str] = set()

    def _at(self, t: float, event: Event | _Call) -> None:
        self.items.append((t, len(self.items), event))

    def build(self) -> Converted:
        delegations = self._delegations()
        self._lead_events(delegations)
        for number, (_, subagent_type, _, thread) in sorted(delegations.items()):
            if thread is not None:
                self._agent_events(number, role_for(subagent_type), thread)
        # Agent files no delegation claims (a warm-up agent, a workflow's agents, one whose
        # Task call is not in this file): billed all the same, as their own roles.
        for thread in self.unclaimed:
            self._agent_events(None, unclaimed_role(thread), thread)
        self._compaction_events()
        self.items.sort(key=lambda item: (item[0], item[1]))
        events = self._priced(event for _, _, event in self.items)
        self._price_items()
        end_t = max((t for t, _, _ in self.items), default=0.0)
        # Shaped like the engine's ledger (engine/ledger.py), so listings read it alike.
        roles = {
            role: RoleTotals(
                model=self.models.get(role, ""),
                provider="anthropic",
                turns=self.calls.get(role, 0),
                usage=usage,
                cost_usd=round(self.role_cost.get(role, 0.0), 6),
                cache_read_usd=round(
                    usage.cache_read * self._read_price(self.models.get(role, "")) / 1e6, 6
                ),
            )
            for role, usage in self.role_usage.items()
        }
        events.append(
            TrialEnded(
                end_t,
                TRACE_STATUS,
                False,
                sum(self.calls.values()),
                end_t,
                roles,
                round(self.total_cost, 6),
                "a Claude Code session: measured, not judged",
            )
        )
        return Converted(self._header(), events, self.stats, self._items())

    def _delegations(self) -> dict[int, tuple[str, str, str, _Thread | None]]:
        """Delegation number -> (call id, subagent type, prompt, the subagent's thread)."""
        calls = [
            (call_id, name_input)
            for call_id, name_input in self.tool_names.items()
            if name_input[0] in DELEGATION_TOOLS
        ]
        by_result = {r.call_id: r.agent_id for r in self.lead.results}
        unclaimed = dict(self.agents)
        found: dict[int, tuple[str, str, str, _Thread | None]] = {}
        for number, (call_id, (_, given)) in enumerate(calls, start=1):
            prompt = str(given.get("prompt", ""))
            kind = str(given.get("subagent_type") or "general-purpose")
            agent = by_result.get(call_id)
            thread = unclaimed.pop(agent, None) if agent else None
            if thread is None and prompt:
                match = next((k for k, th in unclaimed.items() if th.first_prompt == prompt), None)
                thread = unclaimed.pop(match) if match is not None else None
            found[number] = (call_id, kind, prompt, thread)
        # Threads nobody claimed by id or prompt go to unmatched delegations in order; a
        # warm-up agent is never one.
        for number, (call_id, kind, prompt, thread) in found.items():
            spare = [k for k, th in unclaimed.items() if th.first_prompt.strip() != WARMUP_PROMPT]
            if thread is None and spare:
                thread = unclaimed.pop(spare[0])
                found[number] = (call_id, kind, prompt, thread)
            elif thread is None:
                self.unlinked += 1
        self.unclaimed = [thread for thread in unclaimed.values() if thread.responses]
        return found

    def _lead_events(self, delegations: dict[int, tuple[str, str, str, _Thread | None]]) -> None:
        number_of = {call_id: n for n, (call_id, _, _, _) in delegations.items()}
        base = self._base
        if base:
            book = self.book
            book.grew(book.item(BASE, "system", "system prompt and tools"), base)
        compactions = list(self.lead.compactions)
        prompts = self._prompts(base, number_of)
        for turn, response in enumerate(self.lead.responses, start=1):
            while compactions and compactions[0][1] < turn:
                t, _, trigger, before = compactions.pop(0)
                self._at(t, ContextCompacted(t, LEAD, turn, trigger, before))
            for block in self._response_events(LEAD, turn, response, None):
                number = number_of.get(block.id or "")
                if number is not None:
                    self._at(response.t, _delegation(response.t, turn, block, number))
            blocks = (1 if base else 0) + max(0, response.prompt_blocks)
            attribution = prompts[response.prompt_generation].credit(blocks, _usage(response.usage))
            self._at(response.t, _Call(response.t, LEAD, turn, response, attribution, None))
        turn_of_call = self._turns_of_calls(self.lead)
        delegated = [r for r in self.lead.results if r.call_id in number_of]
        self._result_events(LEAD, self.lead, [r for r in self.lead.results if r not in delegated])
        for result in delegated:
            number = number_of[result.call_id]
            thread = delegations[number][3]
            self._at(
                result.t,
                ExecutorSummary(
                    result.t,
                    turn_of_call.get(result.call_id, 0),
                    result.call_id,
                    number,
                    result.text,
                    count_text(result.text),
                    len(result.text),
                    False,
                    len(thread.responses) if thread is not None else 0,
                ),
            )

    def _response_events(
        self, role: str, turn: int, response: _Response, delegation: int | None
    ) -> list[Block]:
        """A turn's start, text and tool calls; returns its tool_use blocks."""
        t = response.t
        self.models.setdefault(role, response.model)
        self._at(t, TurnStarted(t, role, turn, response.model, delegation))
        calls = []
        for block in response.blocks:
            if block.type == "text" and block.text:
                self._at(t, TextDelta(t, role, turn, block.text))
            elif block.type == "tool_use" and block.id:
                calls.append(block)
                self._at(t, ToolCall(t, role, turn, block.id, block.name or "", block.input or {}))
        return calls

    @staticmethod
    def _turns_of_calls(thread: _Thread) -> dict[str, int]:
        return {
            block.id: turn
            for turn, response in enumerate(thread.responses, start=1)
            for block in response.blocks
            if block.type == "tool_use" and block.id
        }

    def _result_events(self, role: str, thread: _Thread, results: list[_Result]) -> None:
        turn_of_call = self._turns_of_calls(thread)
        names = {
            block.id: block.name or ""
            for response in thread.responses
            for block in response.blocks
            if block.type == "tool_use" and block.id
        }
        for r in results:
            turn = turn_of_call.get(r.call_id, 0)
            name = names.get(r.call_id, "")
            self._at(r.t, ToolResult(r.t, role, turn, r.call_id, name, r.text, r.is_error))

    def _items(self) -> list[ContextItem]:
        return [item for item in self.book.ranked() if item.tokens]

    @functools.cached_property
    def _base(self) -> int:
        """System prompt and tools: what the first call read beyond the messages counted.
        Once a build: every lead call's pricing asks."""
        if not self.lead.responses:
            return 0
        first = self.lead.responses[0]
        generation = self.context.generations[first.prompt_generation]
        counted = sum(n for _, n, _ in generation[: max(0, first.prompt_blocks)])
        return max(0, _usage(first.usage).total_input - counted)

    def _prompts(self, base: int, number_of: dict[str, int]) -> list[PromptPrefix]:
        """Each context generation's blocks by source, ready to credit any call's prompt
        (a prefix of its generation)."""
        prompts = []
        for generation in self.context.generations:
            sources = [("base", base)] if base else []
            for source, tokens, _ in generation:
                if source.startswith("pending:"):
                    number = number_of.get(source.removeprefix("pending:"))
                    source = summary_source(number) if number is not None else "tool_results"
                sources.append((source, tokens))
            prompts.append(PromptPrefix(sources))
        return prompts

    def _price_items(self) -> None:
        """Each context item's re-reads (context_items.py), from the lead calls priced."""
        base_tokens = self._base
        base = [(base_tokens, BASE)] if base_tokens else []
        generations = [
            base + [(n, item) for _, n, item in generation]
            for generation in self.context.generations
        ]
        price_items(self.book, generations, self.lead_calls)

    def _compaction_events(self) -> None:
        """Each compaction file's calls, numbered across the session as one role's turns."""
        turn = 0
        for thread in self.compaction_threads:
            for response in thread.responses:
                turn += 1
                self._response_events(COMPACTION_ROLE, turn, response, None)
                self._at(response.t, _Call(response.t, COMPACTION_ROLE, turn, response, {}, None))

    def _agent_events(self, number: int | None, role: str, thread: _Thread) -> None:
        for turn, response in enumerate(thread.responses, start=1):
            self._response_events(role, turn, response, number)
            self._at(response.t, _Call(response.t, role, turn, response, {}, number))
        self._result_events(role, thread, thread.results)

    def _priced(self, items: Iterable[Event | _Call]) -> list[Event]:
        """Model calls as usage events, in time order, with each role's running totals and
        the trial's."""
        out: list[Event] = []
        for event in items:
            if not isinstance(event, _Call):
                out.append(event)
                continue
            usage = _usage(event.response.usage)
            model = event.response.model
            at = self.clock.start + timedelta(seconds=event.t) if self.clock.start else None
            api = event.response.usage
            billing = billing_of(api.inference_geo, api.service_tier)
            factor = price_factor(model, billing)
            cost = self._cost(model, usage, at, factor)
            self._estimate_output(event.role, event.response, usage, model, at, factor)
            role_usage = self.role_usage.get(event.role, Usage.of()) + usage
            self.role_usage[event.role] = role_usage
            self.role_cost[event.role] = self.role_cost.get(event.role, 0.0) + cost
            self.calls[event.role] = self.calls.get(event.role, 0) + 1
            self.total_cost += cost
            read_price = self._read_price(model, at) * factor
            if event.role == LEAD:
                response = event.response
                self.lead_calls.append(
                    LeadCall(
                        event.turn,
                        response.prompt_generation,
                        (1 if self._base else 0) + max(0, response.prompt_blocks),
                        usage.total_input,
                        usage.cache_read,
                        read_price / 1_000_000,
                    )
                )
            out.append(
                TurnUsage(
                    event.t,
                    event.role,
                    event.turn,
                    model,
                    usage,
                    role_usage,
                    round(cost, 8),
                    role_usage.cache_read,
                    round(role_usage.cache_read * read_price / 1_000_000, 8),
                    round(self.role_cost[event.role], 8),
                    round(self.total_cost, 8),
                    round(event.response.gap_s, 3),
                    event.attribution,
                    event.delegation,
                    billing=billing,
                )
            )
        return out

    def _priced_card(self) -> RateCard:
        """The card with the prices of this session's models written in (those it has), so
        the session's figures never move with the price database."""
        models = {m for m in self.models.values() if m and m not in self.unpriced}
        return self.card.pinned((m, "anthropic") for m in sorted(models))

    def _estimate_output(
        self,
        role: str,
        response: _Response,
        usage: Usage,
        model: str,
        at: datetime | None,
        factor: float,
    ) -> None:
        """Count the call's output from what it wrote when the record says less."""
        written = count_text(
            "".join(
                (b.text or "")
                + (b.thinking or "")
                + ((b.name or "") + _json(b.input or {}) if b.type == "tool_use" else "")
                for b in response.blocks
            )
        )
        recorded = usage.output_tokens
        # Past the difference between tiktoken's count and Claude's own: only a record
        # clearly below the content is taken for an understatement.
        understated = written > UNDERSTATED_RATIO * recorded + UNDERSTATED_SLACK
        estimated = written if understated else recorded
        self.output_estimated[role] = self.output_estimated.get(role, 0) + estimated
        if understated:
            self.understated.add(role)
            more = msgspec.structs.replace(usage, output_tokens=estimated)
            extra = self._cost(model, more, at, factor) - self._cost(model, usage, at, factor)
            self.output_extra_usd[role] = self.output_extra_usd.get(role, 0.0) + extra

    def _cost(
        self, model: str, usage: Usage, at: datetime | None = None, factor: float = 1.0
    ) -> float:
        """The call's cost at the price in force when it was made (a dated price)."""
        try:
            return self.card.price(model, "anthropic", at).cost(usage, factor)
        except UnpricedModelError:
            self.unpriced.add(model)
            return 0.0

    def _read_price(self, model: str, at: datetime | None = None) -> float:
        try:
            return self.card.price(model, "anthropic", at).cache_read
        except UnpricedModelError:
            return 0.0

    def _header(self) -> SessionHeader:
        files = self.files
        origin = TraceOrigin(
            path=str(files.main),
            sha256=self.sha256,
            size=sum(p.stat().st_size for p in files.all()),
            session_id=self.meta.session_id or files.session_id,
            continues=self.meta.continues,
            output_estimated={r: self.output_estimated[r] for r in sorted(self.understated)},
            output_estimated_usd={
                r: round(self.output_extra_usd.get(r, 0.0), 6) for r in sorted(self.understated)
            },
            project=files.project,
            cwd=self.meta.cwd,
            claude_code_version=self.meta.version,
            skipped=dict(self.stats.skipped),
            unlinked_delegations=self.unlinked,
        )
        executors = {r: m for r, m in self.models.items() if r != LEAD}
        spec = {"name": ARM, "lead": self.models.get(LEAD, ""), "subagents": executors}
        draft = SessionHeader(
            format=FORMAT_NAME,
            schema=SCHEMA_VERSION,
            trial_id=f"claude-code-{origin.session_id}",
            arm=ARM,
            arm_spec=spec,
            task=Path(self.meta.cwd).name if self.meta.cwd else files.project,
            models=dict(self.models) or {LEAD: ""},
            providers={role: "anthropic" for role in self.models} or {LEAD: "anthropic"},
            backend=ARM,
            simulated=False,
            rate_card=self._priced_card().to_dict(),
            seed=0,
            engine_version=ENGINE_VERSION,
            started_at=self.clock.started_at,
            source="claude-code",
            unpriced=sorted(self.unpriced),
            trace=origin,
        )
        return msgspec.structs.replace(draft, fingerprint=fingerprint(draft.configuration))


@dataclass(frozen=True)
class _Call:
    """A model call placed in time; priced once every call is in order."""

    t: float
    role: str
    turn: int
    response: _Response
    attribution: dict[str, int]
    delegation: int | None


def _delegation(t: float, turn: int, block: Block, number: int) -> Delegation:
    given = block.input or {}
    parts = [str(given.get(key) or "") for key in ("description", "prompt")]
    return Delegation(t, turn, block.id or "", number, ": ".join(p for p in parts if p))


def _usage(api: ApiUsage) -> Usage:
    five_min, one_hour = api.writes()
    return Usage(
        api.input_tokens,
        api.output_tokens,
        five_min,
        one_hour,
        api.cache_read_input_tokens or 0,
    )


def checksum(paths: Iterable[Path]) -> str:
    """sha256 over the session's files, in order, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    for path in paths:
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
    return digest.hexdigest()
