"""The columns of a Claude Code sessions listing and one row's values, shared by
`fep-tui traces` and the app's traces screen; and those of one session's context items,
shared by `fep-tui traces SESSION` and the trial screen's items (`i`)."""

from __future__ import annotations

from pathlib import Path

from fep_tui.tables import Column
from sessions.analysis.claude_code.context_items import ContextItem
from sessions.analysis.claude_code.store import TraceSummary

UNKNOWN = "unknown"
# The figures first: a screen 80 columns wide shows them without scrolling.
COLUMNS = [
    Column("project", "project"),
    Column("reread_usd", "re-read $", "usd"),
    Column("reread_tokens", "re-read tok", "tokens", priority=1),
    Column("cost", "cost $", "usd"),
    Column("delegations", "subagents", "int", priority=2),
    Column("calls", "calls", "int", priority=5),
    Column("compactions", "compacted", "int", priority=6),
    Column("started", "started", priority=3),
    Column("lead", "lead model", priority=4),
]


def largest_first(summary: TraceSummary) -> tuple[float, int]:
    """Sort key: largest re-read cost of subagent results first, unknown prices last."""
    usd = summary.subagent_reread_usd
    return (-(usd if usd is not None else -1.0), -summary.subagent_reread_tokens)


def trace_row(summary: TraceSummary) -> dict[str, object]:
    return {
        "started": summary.started_at[:16].replace("T", " "),
        "project": Path(summary.cwd).name if summary.cwd else summary.project,
        "lead": summary.lead_model,
        "calls": summary.model_calls,
        "delegations": summary.delegations,
        "cost": _at_least(summary) if summary.cost_usd is None else summary.cost_usd,
        "reread_tokens": summary.subagent_reread_tokens,
        "reread_usd": UNKNOWN
        if summary.subagent_reread_usd is None
        else summary.subagent_reread_usd,
        "compactions": summary.compactions,
    }


def _at_least(summary: TraceSummary) -> str:
    """A session with a model nothing prices: what the rest cost, as a floor."""
    priced = summary.cost_at_least
    return f"≥ {priced:.4f}" if priced > 0 else UNKNOWN


ITEM_COLUMNS = [
    Column("item", "item"),
    Column("kind", "kind", priority=3),
    Column("tokens", "tokens", "tokens", priority=2),
    Column("calls", "calls", "int", priority=1),
    Column("reread_tokens", "re-read", "tokens", priority=4),
    Column("reread_usd", "re-read $", "usd"),
    Column("turns", "turns", priority=5),
]


def item_row(item: ContextItem) -> dict[str, object]:
    """`turns`: the lead turns that re-read it, and whether a compaction dropped it."""
    turns = f"{item.first_turn}-{item.last_turn}" if item.calls else "-"
    return {
        **item.to_dict(),
        "item": item.label,
        "turns": turns + (" (compacted)" if item.dropped else ""),
    }
