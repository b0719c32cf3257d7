"""Claude Code sessions rolled up: by day, by project, or by subagent type.

What users of session-cost tools ask for most (totals per day and per project, subagent
totals across sessions, the cache hit rate), with what only fep-tui can add: how much of
the main agent's re-reading was its subagents' results.

Cache hit rate: tokens read from the cache over every input token (uncached input, cache
writes and cache reads). A cost that includes a model nothing prices is a floor, and says
so (`cost_usd_floor`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from sessions.analysis.claude_code.store import TraceSummary

By = Literal["day", "project", "subagent"]


@dataclass
class _Totals:
    sessions: set[str] = field(default_factory=set)
    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cache_write_tokens: int = 0
    cache_read_tokens: int = 0
    cost_usd: float = 0.0
    unpriced: bool = False
    lead_cache_read: int = 0
    subagent_reread_tokens: int = 0
    subagent_reread_usd: float = 0.0

    def add_role(self, session: str, totals: Any) -> None:
        self.sessions.add(session)
        self.calls += totals.calls
        self.input_tokens += totals.input_tokens
        self.output_tokens += totals.output_tokens
        self.cache_write_tokens += totals.cache_write_tokens
        self.cache_read_tokens += totals.cache_read_tokens
        if totals.cost_usd is None:
            self.unpriced = True
        else:
            self.cost_usd += totals.cost_usd

    def row(self, key: str, name: str, with_reread: bool) -> dict[str, Any]:
        read_from_all = self.input_tokens + self.cache_write_tokens + self.cache_read_tokens
        row: dict[str, Any] = {
            name: key,
            "sessions": len(self.sessions),
            "model_calls": self.calls,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cache_write_tokens": self.cache_write_tokens,
            "cache_read_tokens": self.cache_read_tokens,
            "cache_hit_rate": self.cache_read_tokens / read_from_all if read_from_all else None,
            "cost_usd": round(self.cost_usd, 6),
            "cost_usd_floor": self.unpriced,
        }
        if with_reread:
            row |= {
                "subagent_reread_tokens": self.subagent_reread_tokens,
                "subagent_reread_usd": round(self.subagent_reread_usd, 6),
                "subagent_reread_share": (
                    self.subagent_reread_tokens / self.lead_cache_read
                    if self.lead_cache_read
                    else None
                ),
            }
        return row


def rollup(summaries: Iterable[TraceSummary], by: By) -> list[dict[str, Any]]:
    """One row per day, project or subagent type, largest cost first (days: newest first)."""
    groups: dict[str, _Totals] = {}
    for summary in summaries:
        if by == "subagent":
            for role, totals in summary.roles.items():
                if role.startswith("executor-"):
                    kind = role.removeprefix("executor-")
                    groups.setdefault(kind, _Totals()).add_role(summary.session_id, totals)
            continue
        key = summary.started_at[:10] if by == "day" else summary.project
        group = groups.setdefault(key, _Totals())
        for totals in summary.roles.values():
            group.add_role(summary.session_id, totals)
        group.lead_cache_read += summary.lead_cache_read
        group.subagent_reread_tokens += summary.subagent_reread_tokens
        group.subagent_reread_usd += summary.subagent_reread_usd or 0.0
    name = {"day": "day", "project": "project", "subagent": "subagent_type"}[by]
    rows = [t.row(key, name, by != "subagent") for key, t in groups.items()]
    if by == "day":
        return sorted(rows, key=lambda r: str(r[name]), reverse=True)
    return sorted(rows, key=lambda r: (-float(r["cost_usd"]), str(r[name])))
