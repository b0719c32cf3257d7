"""The live counters: turn, elapsed, verdict and total; a per-role table of buckets, re-read
tokens and dollars; the executor summaries' share of the lead's re-reads and the return cap.

Fits 80 columns: the role table is 73 wide, and the other lines wrap by whole cells, so a
figure moves to the next line instead of being cut in two.
"""

from __future__ import annotations

from rich.text import Text

from engine.pricing import model_alias
from engine.roles import is_executor
from fep_tui.roles import short_role
from fep_tui.widgets.text_panel import TextPanel
from sessions.header import SessionHeader
from sessions.timeline import Snapshot

SEPARATOR = " │ "
# The per-role table's columns; its dollar columns are labelled here, once.
ROLE_HEAD = "role model             in     out  c.write   re-read  re-read$    cost$"


class CountersBar(TextPanel):
    """Renders one Snapshot; updated from the screen's tick, never per event."""

    DEFAULT_CSS = """
    CountersBar { height: auto; padding: 0 1; background: $boost; }
    """

    _shown: tuple[Snapshot, SessionHeader, str | None] | None = None

    def show(self, snapshot: Snapshot, header: SessionHeader, status: str | None = None) -> None:
        self._shown = (snapshot, header, status)
        self.set_text(render_counters(snapshot, header, status, self.content_size.width or 78))

    def on_resize(self) -> None:
        if self._shown is not None:
            self.show(*self._shown)


def render_counters(
    snapshot: Snapshot, header: SessionHeader, status: str | None = None, width: int = 118
) -> Text:
    """`status` overrides the snapshot's own (a replay is never "running")."""
    label = Text(
        f" {header.label} ",
        style="bold reverse green" if header.origin == "live" else "bold reverse yellow",
    )
    first = [label + Text(f" turn {snapshot.lead_turn}"), Text(f"{snapshot.t:,.1f}s")]
    if header.measured_not_judged:
        first.append(Text("not judged", style="dim"))
    elif snapshot.judge is None:
        first.append(Text("judge -", style="dim"))
    elif snapshot.judge.passed:
        first.append(Text("judge GREEN", style="bold green"))
    else:
        first.append(Text("judge RED", style="bold red"))
    total = f"total ${snapshot.total_cost_usd:.4f}"
    if header.unpriced:
        # A model no card prices: its dollars are unknown, so the total is a floor.
        total = (
            f"total ≥ ${snapshot.total_cost_usd:.4f} (price unknown: {', '.join(header.unpriced)})"
        )
    estimated = header.trace.output_estimated if header.trace else {}
    if estimated and snapshot.end is not None:
        # Claude Code recorded less output than the calls wrote (see TraceOrigin).
        extra = sum(header.trace.output_estimated_usd.values()) if header.trace else 0.0
        total += f" (≥ ${snapshot.total_cost_usd + extra:.4f} by output content)"
    first += [Text(total), Text(status or snapshot.status)]
    first += [Text(mark, style="bold yellow") for mark in never_called(snapshot, header)]
    lines = pack(first, width)
    # Claude Code subagent types are longer than the engine's role names: the role column
    # widens (to 12 at most, still 80 columns in all).
    role_width = max([4, *(len(short_role(role)) for role in snapshot.roles)])
    # So does the model column, for names longer than Claude's (`gpt-5-codex`), to 14.
    shown = {role: _model_name(c.model) for role, c in snapshot.roles.items()}
    model_width = min(14, max([10, *(len(m) + 1 for m in shown.values() if len(m) > 10)]))
    if snapshot.roles:
        head = "role".ljust(role_width + 1) + "model".ljust(model_width) + ROLE_HEAD[15:]
        lines.append(Text(head, style="dim"))
    for role, counters in snapshot.roles.items():
        u = counters.usage
        writes = u.cache_write
        line = Text(f"{short_role(role):<{role_width}} ", style="bold")
        model = shown[role]
        line.append(f"{model[:model_width]:<{model_width}}", style="dim")
        output = tokens(u.output_tokens, 8)
        if role in estimated and snapshot.end is not None:
            # At the end the estimate is whole: the content's count, a floor.
            output = ("≥" + tokens(estimated[role], 7).strip()).rjust(8)
        line.append(f"{tokens(u.input_tokens, 9)}{output}{tokens(writes, 9)}")
        # Cumulative cache reads are the re-read tokens: one figure, with its dollars.
        if counters.model in header.unpriced:
            line.append(tokens(u.cache_read, 10), style="magenta")
            line.append(f"{'unknown':>10}{'unknown':>9}", style="yellow")
        else:
            line.append(
                f"{tokens(u.cache_read, 10)}{dollars(counters.cache_read_usd, 10)}",
                style="magenta",
            )
            line.append(dollars(counters.cost_usd, 9))
        lines.append(line)
    if header.delegates:
        share = snapshot.summaries
        cells = [
            Text(
                f"summaries {share.tokens:,} of {share.of:,} re-read ({share.percent_text}) "
                + ("price unknown" if header.lead_unpriced else f"${share.usd:.4f}"),
                style="bold magenta",
            ),
            Text(
                "split estimated (tiktoken, scaled to reported reads)"
                if header.measured_not_judged
                else header.return_cap,
                style="dim",
            ),
        ]
        lines += pack(cells, width)
    return Text("\n").join(lines)


def never_called(snapshot: Snapshot, header: SessionHeader) -> list[str]:
    """Once a trial has ended: a helper role it had but never called (the AgentOpt
    finding: a strong lead often does the work itself)."""
    if snapshot.end is None:
        return []
    marks = [
        f"{role} never called"
        for role in header.models
        if is_executor(role) and role not in snapshot.roles
    ]
    if "advisor" in header.models and "advisor" not in snapshot.roles:
        marks.append("advisor never consulted")
    return marks


def pack(cells: list[Text], width: int) -> list[Text]:
    """Cells joined by separators, wrapped to `width` by whole cells."""
    lines = [Text()]
    for cell in cells:
        line = lines[-1]
        if line.cell_len and line.cell_len + len(SEPARATOR) + cell.cell_len > width:
            lines.append(Text("  "))
            line = lines[-1]
        elif line.cell_len:
            line.append(SEPARATOR, style="dim")
        line.append_text(cell)
    return lines


def tokens(count: int, width: int) -> str:
    """`count` right-aligned in `width` with at least one space before it: whole with
    separators while it fits, else to three significant figures (15,373,675 -> 15.4M).
    Whole figures too wide for their column ran into their neighbour: 260,21215,373,675."""
    whole = f"{count:,}"
    if len(whole) < width:
        return whole.rjust(width)
    value, unit = float(count), ""
    for larger in ("k", "M", "G"):
        # Rounded first: 999,999 is 1.00M, not 1000k.
        if float(f"{value:.3g}") < 1000:
            break
        value, unit = value / 1000, larger
    short = f"{value:#.3g}".rstrip(".") + unit
    # Never cut a figure: past the column (only beyond 999G) it pushes the line wider.
    return " " + short.rjust(width - 1)


def dollars(usd: float, width: int) -> str:
    """Dollars right-aligned in `width` with a space before them: to 4 decimals while they
    fit, fewer for a large sum."""
    for digits in (4, 2, 0):
        text = f"{usd:,.{digits}f}"
        if len(text) < width:
            return text.rjust(width)
    return " " + text


def _model_name(model: str) -> str:
    return model_alias(model).removeprefix("claude-")
