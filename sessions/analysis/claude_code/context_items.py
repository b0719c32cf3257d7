"""Every item in the lead's context, priced: what each tool result, subagent result, user
message, the system prompt and the lead's own turns cost in re-reads.

The converter (convert.py) rebuilds the lead's prompt block by block; each block belongs
to an item. A call's cache read is credited to the front of its prompt item by item
(engine/attribution.py, the same rule as the split by source), and each item sums what it
was re-read for, by how many calls, until a compaction dropped it. Estimated: the blocks are
counted with tiktoken and scaled to each call's reported input.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

BASE = "base"
OWN = "own"
HISTORY = "history"
# How much of a tool's input names the item (a path, a command, a pattern).
LABEL_CHARS = 50
# The input field that says what a tool call was about, by tool.
_SUBJECT = {
    "Read": "file_path",
    "Edit": "file_path",
    "MultiEdit": "file_path",
    "Write": "file_path",
    "NotebookEdit": "notebook_path",
    "Bash": "command",
    "Grep": "pattern",
    "Glob": "pattern",
    "WebFetch": "url",
    "WebSearch": "query",
}


@dataclass
class ContextItem:
    """One item of the lead's context and what re-reading it cost."""

    key: str
    # system, tool, subagent, user, own (the lead's replies), history (a resumed session's).
    kind: str
    label: str
    tokens: int = 0
    # The lead's calls that re-read some of it, their re-read tokens and dollars.
    calls: int = 0
    reread_tokens: int = 0
    reread_usd: float = 0.0
    first_turn: int = 0
    last_turn: int = 0
    # A compaction took it out of the context.
    dropped: bool = False
    # The tool whose result it is ("Read", "Task"); "" for other kinds.
    tool: str = ""

    def to_dict(self) -> dict[str, object]:
        return {
            "item": self.label,
            "kind": self.kind,
            "tokens": self.tokens,
            "calls": self.calls,
            "reread_tokens": self.reread_tokens,
            "reread_usd": round(self.reread_usd, 6),
            "first_turn": self.first_turn,
            "last_turn": self.last_turn,
            "dropped_by_compaction": self.dropped,
        }


def tool_label(name: str, given: dict[str, Any]) -> str:
    """What a tool call was about: `Read src/app.py`, `Bash pytest -q`, `mcp__x__y`."""
    field = _SUBJECT.get(name)
    subject = given.get(field) if field else None
    if name in ("Task", "Agent"):
        kind = given.get("subagent_type") or "subagent"
        subject = f"{kind}: {given.get('description') or ''}".rstrip(": ")
    if not isinstance(subject, str) or not subject:
        return name
    return _short(f"{name} {' '.join(subject.split())}")


def text_label(text: str) -> str:
    return _short(" ".join(text.split()))


def _short(text: str) -> str:
    return text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1] + "…"


class ItemBook:
    """The items of one session, in the order they entered the context."""

    def __init__(self) -> None:
        self.items: dict[str, ContextItem] = {}
        self._users = 0

    def item(self, key: str, kind: str, label: str, tool: str = "") -> str:
        if key not in self.items:
            self.items[key] = ContextItem(key, kind, label, tool=tool)
        return key

    def user_message(self, text: str) -> str:
        self._users += 1
        return self.item(f"user:{self._users}", "user", text_label(text))

    def fresh(self) -> ItemBook:
        """The same items, sizes and compactions, with no re-reads priced yet."""
        book = ItemBook()
        book._users = self._users
        book.items = {
            key: ContextItem(i.key, i.kind, i.label, i.tokens, dropped=i.dropped, tool=i.tool)
            for key, i in self.items.items()
        }
        return book

    def grew(self, key: str, tokens: int) -> None:
        found = self.items[key]
        found.tokens += tokens
        # Back in the context after a compaction (the lead's own turns go on).
        found.dropped = False

    def ranked(self) -> list[ContextItem]:
        """Costliest re-read first."""
        return sorted(self.items.values(), key=lambda i: (-i.reread_usd, -i.reread_tokens))


@dataclass(frozen=True)
class LeadCall:
    """One lead call, for pricing the items it re-read: its prompt is the first `blocks`
    blocks of context generation `generation`."""

    turn: int
    generation: int
    blocks: int
    total_input: int
    cache_read: int
    usd_per_token: float


def price_items(
    book: ItemBook, generations: list[list[tuple[int, str]]], calls: list[LeadCall]
) -> None:
    """Credit every call's cache read to the front of its prompt (engine/attribution.py's
    rule: block counts scaled to the reported input, the first `cache_read` tokens credited
    in order, a shortfall spread pro rata) and sum it by item, in time linear in blocks and
    calls: a call credits a prefix, so each block's share is its tokens times the sum of
    the scales of the calls that reach past it (difference arrays), not a walk of every
    prompt (quadratic: 20 s for a 20 MB session)."""
    shares: dict[str, float] = {}
    for number, blocks in enumerate(generations):
        mine = [c for c in calls if c.generation == number and c.cache_read > 0]
        if mine:
            _credit(book, blocks, mine, shares)
    total = sum(c.cache_read for c in calls)
    from engine.attribution import round_to_total

    for key, tokens in round_to_total(shares, total).items():
        book.items[key].reread_tokens = tokens


def _credit(
    book: ItemBook, blocks: list[tuple[int, str]], calls: list[LeadCall], shares: dict[str, float]
) -> None:
    import bisect
    from itertools import accumulate

    size = len(blocks)
    cum = [0, *accumulate(n for n, _ in blocks)]
    scale = [0.0] * (size + 1)  # difference array: tokens' multiplier
    priced = [0.0] * (size + 1)  # the same, times the call's price
    part = [0.0] * size  # partly credited tokens
    part_usd = [0.0] * size
    # Per call: how far it reached (blocks credited at all) and its turn.
    reach: list[tuple[int, int]] = []
    for call in calls:
        n = min(call.blocks, size)
        counted = cum[n]
        if not counted:
            continue
        factor = call.total_input / counted
        # Blocks wholly within the credited prefix: cum[k] * factor <= cache_read.
        k = bisect.bisect_right(cum, call.cache_read / factor, 0, n + 1) - 1
        multiplier = factor
        if k == n and counted * factor < call.cache_read:
            multiplier = call.cache_read / counted  # reported more than counted: pro rata
        scale[0] += multiplier
        scale[k] -= multiplier
        priced[0] += multiplier * call.usd_per_token
        priced[k] -= multiplier * call.usd_per_token
        furthest = k
        if k < n:
            rest = call.cache_read - cum[k] * factor
            if rest > 0:
                part[k] += rest
                part_usd[k] += rest * call.usd_per_token
                furthest = k + 1
        reach.append((furthest, call.turn))
    running = running_usd = 0.0
    first_block: dict[str, int] = {}
    for index, (tokens, key) in enumerate(blocks):
        running += scale[index]
        running_usd += priced[index]
        credited = tokens * running + part[index]
        if credited > 0:
            shares[key] = shares.get(key, 0.0) + credited
            book.items[key].reread_usd += tokens * running_usd + part_usd[index]
        first_block.setdefault(key, index)
    # An item is re-read by the calls that reach its first block in this generation.
    reach.sort()
    reaches = [r for r, _ in reach]
    latest = list(accumulate(reversed([t for _, t in reach]), max))[::-1]
    earliest = list(accumulate(reversed([t for _, t in reach]), min))[::-1]
    for key, index in first_block.items():
        at = bisect.bisect_right(reaches, index)
        if at == len(reach):
            continue
        found = book.items[key]
        found.calls += len(reach) - at
        found.first_turn = min(found.first_turn or earliest[at], earliest[at])
        found.last_turn = max(found.last_turn, latest[at])


# Anthropic's 5-minute cache write costs 1.25x input and a cache read 0.1x: a token written
# costs 12.5 times a token read (API_FACTS, prices).
WRITE_PER_READ = 12.5


@dataclass(frozen=True)
class CapSaving:
    item: ContextItem
    cut_tokens: int
    saved_reread_tokens: int
    saved_usd: float


def cap_savings(items: list[ContextItem], tool: str, cap: int) -> list[CapSaving]:
    """What capping `tool`'s results at `cap` tokens would have saved, item by item: the
    tokens cut are written once (at 12.5x the read price) and not re-read by the calls that
    re-read the item. An estimate: each re-read is taken to read the whole item, and the
    agent's later turns are taken as they were (a capped result may make it ask again)."""
    found = []
    # The lead's read price, from all it re-read (one model, or their mix).
    read_tokens = sum(i.reread_tokens for i in items)
    per_read = sum(i.reread_usd for i in items) / read_tokens if read_tokens else 0.0
    for item in items:
        if item.tool != tool or item.tokens <= cap:
            continue
        cut = item.tokens - cap
        share = cut / item.tokens
        saved_reads = round(item.reread_tokens * share)
        saved = item.reread_usd * share + cut * per_read * WRITE_PER_READ
        found.append(CapSaving(item, cut, saved_reads, saved))
    return found
