"""Headless output of a running trial: one line per model turn, or one JSON object per event."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from typing import Any, TextIO

from rich.console import Console

from engine.billing import billing_label
from engine.events import (
    ApiRetry,
    Delegation,
    Event,
    ExecutorSummary,
    JudgeStarted,
    JudgeVerdict,
    ReplyCut,
    RoleTotals,
    ThinkingText,
    ToolCall,
    ToolRefused,
    ToolResult,
    TrialEnded,
    TrialError,
    TrialStarted,
    TurnStarted,
    TurnUsage,
)
from engine.roles import is_executor
from fep_tui.roles import executor_named, short_role
from fep_tui.stdout import Stdout, discard_stdout
from fep_tui.tables import Column, console, print_table
from sessions.header import LEAD_ROLES, header_from_trial_start
from sessions.panes import describe_call
from sessions.timeline import Timeline
from tasks.sandbox import CONTAINMENT_WORDS

ROLE_COLUMNS = [
    Column("role", "role"),
    Column("model", "model"),
    Column("turns", "turns", "int", priority=1),
    Column("in", "in", "tokens"),
    Column("out", "out", "tokens"),
    Column("write", "c.write", "tokens"),
    Column("read", "c.read", "tokens"),
    Column("reread_usd", "re-read $", "usd"),
    Column("cost_usd", "cost $", "usd"),
]


# After this long without output, a line (on a terminal, a status updated in place) says
# what the trial is waiting for. Ticks come once a second, so it is never silent for 5 s.
QUIET_S = 4.0
# A tool call's duration is printed when it took at least this long.
SLOW_CALL_S = 1.0


class TurnPrinter:
    """Human-readable progress: each turn's four buckets, re-read so far and running dollars,
    tool calls with their duration, and what the trial waits for when it is quiet."""

    def __init__(
        self, console: Console | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        # soft_wrap: a turn line stays one line when piped or in a narrow terminal.
        self.console = console or Stdout(
            highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 110
        )
        self.label = ""
        # The same fold the app's counters read, for the summaries' share at the end.
        self.timeline: Timeline | None = None
        self._clock = clock
        self._last_output = self._since = clock()
        self._waiting_on = "starting the trial"
        self._status_shown = False
        self._calls: dict[str, float] = {}

    def _say(self, *objects: Any) -> None:
        if self._status_shown:
            self.console.file.write("\r\x1b[2K")
            self._status_shown = False
        self.console.print(*objects)
        self._last_output = self._clock()

    def _wait_for(self, what: str) -> None:
        self._waiting_on, self._since = what, self._clock()

    def tick(self) -> None:
        """Called about once a second while the trial runs: after QUIET_S of silence, say
        what the trial is waiting for, in place on a terminal, as a plain line otherwise."""
        now = self._clock()
        if now - self._last_output < QUIET_S:
            return
        text = f"  … {self._waiting_on}: {now - self._since:.0f} s"
        if self.console.is_terminal:
            self.console.file.write("\r\x1b[2K" + text)
            self.console.file.flush()
            self._status_shown = True
        else:
            self._say(text)

    def emit(self, event: Event) -> None:
        out = self._say
        if self.timeline is not None:
            self.timeline.add(self.timeline.length, event)
        self._follow(event)
        if isinstance(event, TrialStarted):
            header = header_from_trial_start(event)
            self.label = header.label
            self.timeline = Timeline(header)
            roles = ", ".join(f"{r} {m} ({event.providers[r]})" for r, m in event.models.items())
            out(
                f"[bold]{self.label}[/] trial {event.trial_id}: "
                f"arm {event.arm} on task {event.task}, seed {event.seed}"
            )
            out(f"  roles: {roles}; rate card: {event.rate_card['name']}")
            out(f"  agent's shell and judge: {CONTAINMENT_WORDS.get(event.containment, '?')}")
        elif isinstance(event, TurnUsage):
            u = event.usage
            # Executor lines are indented under the delegating orchestrator turn.
            role = ("  " if is_executor(event.role) else "") + short_role(event.role)
            out(
                f"[dim]{self.label}[/] {role} t{event.turn:<3} "
                f"in {u.input_tokens:>6,} out {u.output_tokens:>5,} "
                f"cw {u.cache_write:>6,} cr {u.cache_read:>6,} "
                f"| re-read {event.role_cache_read:>7,} ${event.role_cache_read_usd:.4f} "
                f"| total ${event.total_cost_usd:.4f}"
                + (f" [yellow]({billing_label(event.billing)})[/]" if event.billing else "")
            )
        elif isinstance(event, ToolCall):
            indent = "      " if is_executor(event.role) else "  "
            out(f"{indent}[cyan]-> {event.name}[/] {describe_call(event.name, event.input)}")
        elif isinstance(event, ToolRefused):
            out(f"  [red]refused[/] {event.name} {event.path!r}: {event.reason}")
        elif isinstance(event, ThinkingText):
            indent = "      " if is_executor(event.role) else "  "
            out(f"{indent}[dim]thought first: {event.tokens:,} tokens[/]")
        elif isinstance(event, Delegation):
            out(f"  [magenta]delegation {event.delegation}[/] to {executor_named(event.executor)}")
        elif isinstance(event, ExecutorSummary):
            cut = f", cut from {event.original_chars:,} chars" if event.truncated else ""
            out(f"  [magenta]<- summary {event.delegation}[/]: {event.tokens:,} tokens{cut}")
        elif isinstance(event, ReplyCut):
            then = (
                f"calling again with max_tokens {event.retry_max_tokens:,}"
                if event.retry_max_tokens
                else "the role's turn ends"
            )
            out(
                f"  [yellow]{event.role} turn {event.turn} stopped at {event.stop_reason} "
                f"({event.max_tokens:,}): its tools were not run; {then}[/]"
            )
        elif isinstance(event, ApiRetry):
            then = "retrying" if event.will_retry else "giving up"
            wait = f" after {event.retry_after_s:g} s" if event.retry_after_s is not None else ""
            where = f"{event.role} turn {event.turn}, attempt {event.attempt}"
            out(f"  [yellow]{event.provider} {event.message}[/] on {where}: {then}{wait}")
        elif isinstance(event, TrialError):
            # A fault the trial recovered from is a note; "error" is for what ended a role.
            out(
                f"[red]error[/]: {event.message}"
                if event.fatal
                else f"[yellow]note[/]: {event.message}"
            )
        elif isinstance(event, JudgeVerdict):
            colour = "green" if event.passed else "red"
            out(f"judge: [{colour}]{event.summary}[/]")
        elif isinstance(event, TrialEnded):
            self._summary(event)

    def _summary(self, event: TrialEnded) -> None:
        """The per-role table and the verdict, fitted to the terminal (or whole when piped)."""
        out = console()
        rows = [
            {
                "role": short_role(role),
                "model": totals.model.removeprefix("claude-"),
                "turns": totals.turns,
                "in": totals.usage.input_tokens,
                "out": totals.usage.output_tokens,
                "write": totals.usage.cache_write,
                "read": totals.usage.cache_read,
                "reread_usd": totals.cache_read_usd,
                "cost_usd": totals.cost_usd,
            }
            for role, totals in event.roles.items()
        ]
        print_table(f"{self.label} per-role usage (tokens)", ROLE_COLUMNS, rows, out)
        self._summaries(out)
        verdict = "[green]success[/]" if event.success else "[red]no success[/]"
        reason = f" ({event.reason})" if event.reason else ""
        lead = next((t for r, t in event.roles.items() if r in LEAD_ROLES), RoleTotals())
        out.print(
            f"{self.label} trial {event.status}{reason}: {verdict}, "
            f"{lead.turns} lead turns, {event.turns} model calls, "
            f"{event.wall_s:.1f} s, total ${event.total_cost_usd:.4f}"
        )

    def _summaries(self, out: Console) -> None:
        """What the executor's summaries cost the lead: their share of its re-reads, and
        each delegation's cache write plus every later re-read."""
        if self.timeline is None or not self.timeline.header.return_cap:
            return
        snapshot = self.timeline.snapshot()
        share = snapshot.summaries
        unpriced = self.timeline.header.lead_unpriced
        dollars = "price unknown" if unpriced else f"${share.usd:.4f}"
        out.print(
            f"[magenta]executor summaries: {share.tokens:,} of {share.of:,} tokens the lead "
            f"re-read ({share.percent_text}), {dollars}[/] "
            f"({self.timeline.header.return_cap})"
        )
        for view in snapshot.delegations:
            cost = self.timeline.reread(view.number)
            if unpriced:
                out.print(
                    f"  delegation {view.number}: re-read {cost.tokens:,} tokens on "
                    f"{cost.turns} later turn(s), price unknown"
                )
                continue
            out.print(
                f"  delegation {view.number}: ${cost.total_usd:.4f} = write "
                f"{cost.write_tokens:,} tokens ${cost.write_usd:.4f} + re-read "
                f"{cost.tokens:,} tokens on {cost.turns} later turn(s) ${cost.usd:.4f}"
            )

    def _follow(self, event: Event) -> None:
        """What the trial waits for after `event`, and a slow tool call's duration."""
        now = self._clock()
        if isinstance(event, TurnStarted):
            self._wait_for(f"{short_role(event.role)} turn {event.turn}: the model is answering")
        elif isinstance(event, ToolCall):
            self._calls[event.call_id] = now
            self._wait_for(f"{event.name} running ({short_role(event.role)} turn {event.turn})")
        elif isinstance(event, ToolResult):
            took = now - self._calls.pop(event.call_id, now)
            if took >= SLOW_CALL_S:
                indent = "        " if is_executor(event.role) else "    "
                self._say(f"{indent}[dim]{event.name} took {took:.1f} s[/]")
            self._wait_for(f"{short_role(event.role)} turn {event.turn}: the next step")
        elif isinstance(event, JudgeStarted):
            self._say("judge running (mypy, ruff, pytest)…")
            self._wait_for("judge running")


OUTPUT_CLOSED = "its output was closed"


class UntilClosed:
    """Passes events to a printer until the reader of standard output goes away
    (`fep-tui run ... | head`); then `closed` is set, and the trial is stopped rather than
    dying mid-event or running on unseen."""

    def __init__(self, printer: TurnPrinter | JsonLinesPrinter) -> None:
        self.printer = printer
        self.closed = False

    def emit(self, event: Event) -> None:
        self._guarded(lambda: self.printer.emit(event))

    def tick(self) -> None:
        if isinstance(self.printer, TurnPrinter):
            self._guarded(self.printer.tick)

    def _guarded(self, say: Callable[[], None]) -> None:
        if self.closed:
            return
        try:
            say()
        except BrokenPipeError:
            self.closed = True
            discard_stdout()


class JsonLinesPrinter:
    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdout

    def emit(self, event: Event) -> None:
        self.write(event.to_dict())

    def write(self, data: dict[str, Any]) -> None:
        self.stream.write(json.dumps(data) + "\n")
        self.stream.flush()
