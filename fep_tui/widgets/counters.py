"""The live counters: turn, elapsed, per-role buckets, re-read tokens and dollars, verdict."""

from __future__ import annotations

from rich.text import Text

from fep_tui.roles import short_role
from fep_tui.widgets.text_panel import TextPanel
from sessions.header import SessionHeader
from sessions.timeline import Snapshot


class CountersBar(TextPanel):
    """Renders one Snapshot; updated from the screen's tick, never per event."""

    DEFAULT_CSS = """
    CountersBar { height: auto; padding: 0 1; background: $boost; }
    """

    def show(self, snapshot: Snapshot, header: SessionHeader, status: str | None = None) -> None:
        self.set_text(render_counters(snapshot, header, status))


def render_counters(snapshot: Snapshot, header: SessionHeader, status: str | None = None) -> Text:
    """`status` overrides the snapshot's own (a replay is never "running")."""
    text = Text()
    text.append(
        f" {header.label} ",
        style="bold reverse green" if header.origin == "live" else "bold reverse yellow",
    )
    text.append(f" {header.arm}·{header.task}·s{header.seed}")
    text.append(f" │ turn {snapshot.lead_turn} │ {snapshot.t:,.1f}s │ ")
    if snapshot.judge is None:
        text.append("judge -", style="dim")
    elif snapshot.judge.passed:
        text.append("judge GREEN", style="bold green")
    else:
        text.append("judge RED", style="bold red")
    text.append(f" │ ${snapshot.total_cost_usd:.4f} │ {status or snapshot.status}")
    for role, counters in snapshot.roles.items():
        u = counters.usage
        writes = u.get("cache_write_5m", 0) + u.get("cache_write_1h", 0)
        text.append("\n")
        text.append(f"{short_role(role):<4} ", style="bold")
        text.append(f"{counters.model.removeprefix('claude-')[:10]:<10} ", style="dim")
        text.append(
            f"in {u.get('input_tokens', 0):,} out {u.get('output_tokens', 0):,} cw {writes:,} "
        )
        # Cumulative cache reads are the re-read tokens: one figure, with its dollars.
        text.append(
            f"re-read {u.get('cache_read', 0):,} ${counters.cache_read_usd:.4f}", style="magenta"
        )
        text.append(f" │ ${counters.cost_usd:.4f}")
    return text
