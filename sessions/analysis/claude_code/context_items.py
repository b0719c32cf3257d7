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

    def item(self, key: str, kind: str, label: str) -> str:
        if key not in self.items:
            self.items[key] = ContextItem(key, kind, label)
        return key

    def user_message(self, text: str) -> str:
        self._users += 1
        return self.item(f"user:{self._users}", "user", text_label(text))

    def fresh(self) -> ItemBook:
        """The same items, sizes and compactions, with no re-reads priced yet."""
        book = ItemBook()
        book._users = self._users
        book.items = {
            key: ContextItem(i.key, i.kind, i.label, i.tokens, dropped=i.dropped)
            for key, i in self.items.items()
        }
        return book

    def grew(self, key: str, tokens: int) -> None:
        found = self.items[key]
        found.tokens += tokens
        # Back in the context after a compaction (the lead's own turns go on).
        found.dropped = False

    def reread(self, shares: dict[str, int], turn: int, usd_per_token: float) -> None:
        """One lead call's cache read, item by item."""
        for key, tokens in shares.items():
            found = self.items.get(key)
            if found is None or tokens <= 0:
                continue
            found.calls += 1
            found.reread_tokens += tokens
            found.reread_usd += tokens * usd_per_token
            found.first_turn = found.first_turn or turn
            found.last_turn = turn

    def ranked(self) -> list[ContextItem]:
        """Costliest re-read first."""
        return sorted(self.items.values(), key=lambda i: (-i.reread_usd, -i.reread_tokens))
