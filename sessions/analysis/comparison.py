"""Comparison data: one typed row per trial from session files or published results
(TrialRow), and the per arm x task table and pairwise tests built from them. No UI."""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec

from engine.errors import FepError
from engine.events import RoleTotals
from engine.pricing import PUBLISHED, UnpricedModelError, get_rate_card
from engine.roles import is_arm_executor
from engine.usage import BUCKETS, Usage
from sessions.analysis.groups import label_groups
from sessions.analysis.statistics import (
    bootstrap_median_ci,
    cliffs_delta,
    cliffs_magnitude,
    mann_whitney,
)
from sessions.analysis.summary_index import indexed_rows
from sessions.analysis.table import Row, group_by, median, values
from sessions.analysis.trial_row import RoleFigures, TrialRow
from sessions.analysis.whatif import WhatIf, reprice_file
from sessions.format import FORMAT_NAME, SessionFileError
from sessions.header import SOURCE_LABELS
from sessions.index_cache import is_index_file
from sessions.outcome import CUT_OFF_REASON, JUDGED, outcome_of
from sessions.store import read_head_and_end


class ImportFormatError(FepError, ValueError):
    """A published-results file with a bad line; the message names the file and line."""


@dataclass(frozen=True)
class Excluded:
    """A trial left out of rates, medians and tests, and why."""

    task: str
    arm: str
    source: str
    outcome: str
    reason: str
    trial: str

    def line(self) -> str:
        where = f"{self.task} {self.arm} {self.source} {self.trial}"
        return f"excluded ({self.outcome}): {where}: {self.reason}"


@dataclass
class TrialRows:
    """Judged trials (success or failed) as rows; everything else is named, not pooled."""

    rows: list[TrialRow] = field(default_factory=list)
    # Imported transcripts (measured, not judged): named among the excluded for compare,
    # kept whole here for the notebook API's one row per trial.
    measured: list[TrialRow] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    excluded: list[Excluded] = field(default_factory=list)
    # Trials met again under the same trial id (a directory named twice, a copied file).
    duplicates: int = 0
    problems: list[str] = field(default_factory=list)
    parsed: int = 0  # session files read this time; the others came from the summary index

    def labelled(self) -> list[TrialRow]:
        """The judged rows, each with its group's `arm` label."""
        return label_groups(self.rows)

    def notes(self) -> list[str]:
        """Lines every format prints under its tables: what was left out and why."""
        lines = [*self.problems]
        if self.duplicates:
            lines.append(
                f"{self.duplicates} trial(s) met more than once (same trial id): counted once"
            )
        lines.extend(e.line() for e in self.excluded)
        lines.extend(f"rejected: {reason}" for reason in self.rejected)
        return lines


def session_row(path: Path) -> TrialRow:
    """The trial a session file records, judged or not; SessionFileError if it is no session."""
    read = read_head_and_end(path)
    header, end = read.header, read.end
    row = TrialRow(
        arm_name=header.arm,
        task=header.task,
        trial=header.trial_id,
        seed=header.seed,
        origin="session",
        source=header.label,
        simulated=header.origin == "simulated",
        config=header.configuration_id,
        configuration=json.dumps(header.configuration, sort_keys=True),
        path=str(path),
        duplicated_tail=read.end_lines > 1,
        rate_card=header.card_name,
        outcome=outcome_of(None, False, 1),
        reason=CUT_OFF_REASON,
    )
    if end is None:
        return row
    lead = end.roles.get(header.lead_role) or RoleTotals()
    return msgspec.structs.replace(
        row,
        outcome=outcome_of(end.status, end.success, end.turns),
        reason=end.reason,
        success=end.success,
        status=end.status,
        wall_s=end.wall_s,
        turns=lead.turns,
        model_calls=end.turns,
        cost_usd=end.total_cost_usd,
        lead_cache_read=lead.usage.cache_read,
        lead_cache_read_usd=lead.cache_read_usd,
        # The AgentOpt finding: a strong lead often does the work itself. None: the arm
        # has no such role.
        executor_unused=any_never_called(end.roles, is_arm_executor),
        advisor_unused=never_called(end.roles, "advisor"),
        roles={
            role: RoleFigures(usage=totals.usage, cost_usd=totals.cost_usd)
            for role, totals in end.roles.items()
        },
    )


def any_never_called(roles: Mapping[str, RoleTotals], plays: Callable[[str], bool]) -> bool | None:
    """Whether some role `plays` tells took part in the arm but made no model call (an
    arm with two executors whose lead only ever used one); None: the arm has none."""
    called = [totals.turns > 0 for role, totals in roles.items() if plays(role)]
    return None if not called else not all(called)


def never_called(roles: Mapping[str, RoleTotals], role: str) -> bool | None:
    """Whether `role` took part in the arm but made no model call in the trial."""
    totals = roles.get(role)
    return None if totals is None else totals.turns == 0


def collect(directories: Iterable[Path], imports: Iterable[Path] = ()) -> TrialRows:
    found = TrialRows()
    seen: set[str] = set()

    def add(row: TrialRow) -> None:
        key = row.row_key or row.trial
        if key in seen:
            found.duplicates += 1
            return
        seen.add(key)
        if row.duplicated_tail:
            found.problems.append(
                f"{row.path}: its last events are written twice (a duplicated tail); "
                "counted once, from its first trial_end"
            )
        if row.outcome in JUDGED:
            found.rows.append(row)
            return
        if row.outcome == "not judged":
            found.measured.append(row)
        found.excluded.append(
            Excluded(row.task, row.arm_name, row.source, row.outcome, row.reason or "-", row.trial)
        )

    for directory in directories:
        if Path(directory).is_file():
            # One session file named on its own (the notebook API takes files too); the
            # index beside it, caught by the same glob, is no trial.
            if is_index_file(Path(directory)):
                continue
            try:
                add(session_row(Path(directory)))
            except (SessionFileError, OSError) as exc:
                found.rejected.append(f"{directory}: {exc}")
            found.parsed += 1
            continue
        indexed = indexed_rows(Path(directory), session_row)
        for row in indexed.rows:
            add(row)
        found.rejected.extend(indexed.rejected)
        found.parsed += indexed.parsed
    for path in imports:
        for row in import_published(path).rows:
            add(row)
    return found


def add_whatif(rows: Sequence[TrialRow], whatif: WhatIf) -> list[TrialRow]:
    """A `whatif_cost_usd` field, and beside it the cost under the recorded terms that the
    change is measured against. A session is re-simulated through the cache model. An
    imported row has only its token buckets: they are re-priced (another card, caching
    off, writes at the 1h price), and a summary cap, which needs the turns, gives NaN."""
    priced = []
    for row in rows:
        if row.origin == "session":
            repriced = reprice_file(Path(row.path), whatif)
            whatif_usd, baseline_usd = repriced.whatif_usd, repriced.resimulated_usd
        else:
            whatif_usd, baseline_usd = reprice_buckets(row, whatif)
        priced.append(
            msgspec.structs.replace(
                row, whatif_cost_usd=whatif_usd, resimulated_cost_usd=baseline_usd
            )
        )
    return priced


def source_labels(rows: Sequence[TrialRow]) -> list[str]:
    """Where the rows came from, for titles: SIMULATED, LIVE, PUBLISHED."""
    return sorted({row.source for row in rows})


def whatif_note(rows: Sequence[TrialRow], whatif: WhatIf) -> str:
    """One line saying how the what-if column was made, for every place that shows it."""
    parts = [f"what-if: {whatif.label()}"]
    origins = {row.origin for row in rows}
    if "session" in origins:
        parts.append("sessions re-simulated through the cache model, same turns assumed")
    if origins - {"session"}:
        parts.append(
            "imported rows: a summary cap needs their turns (shown as -)"
            if whatif.summary_cap is not None
            else "imported rows re-priced from their token buckets"
        )
    parts.append("Δ is against the same trials under the recorded terms")
    return "; ".join(parts)


def reprice_buckets(row: TrialRow, whatif: WhatIf) -> tuple[float, float]:
    """(what-if cost, cost at the published card) of an imported row, from its buckets."""
    if whatif.summary_cap is not None:
        return math.nan, math.nan
    card = get_rate_card(whatif.rate_card) if whatif.rate_card else PUBLISHED
    whatif_usd = baseline_usd = 0.0
    for figures in row.roles.values():
        model = figures.model
        if model is None:
            continue
        usage = figures.usage
        # Claude models are billed per token; anything else ran locally, at zero.
        provider = "anthropic" if model.startswith("claude-") else "ollama"
        try:
            baseline_usd += PUBLISHED.price(model, provider).cost(usage)
            whatif_usd += card.price(model, provider).cost(_under(usage, whatif))
        except UnpricedModelError:
            return math.nan, math.nan
    return whatif_usd, baseline_usd


def _under(usage: Usage, whatif: WhatIf) -> Usage:
    """The same prompt tokens billed under `whatif`; with no turn times, 1h writes change
    the price of each write, not which later reads hit."""
    if not whatif.caching:
        return Usage.of(input_tokens=usage.total_input, output_tokens=usage.output_tokens)
    if whatif.write_ttl == "1h":
        return Usage.of(
            input_tokens=usage.input_tokens,
            output_tokens=usage.output_tokens,
            cache_write_1h=usage.cache_write,
            cache_read=usage.cache_read,
        )
    return usage


def import_published(path: Path) -> TrialRows:
    """Published per-trial results, JSONL or CSV. Rows with no iterations and no success
    never started (the published analysis drops them): they become `never started` rows,
    which `collect` lists with the other excluded trials."""
    rows = TrialRows()
    try:
        text = path.read_text()
    except OSError as exc:
        raise ImportFormatError(f"{path}: cannot read ({exc.strerror})") from None
    if not text.strip():
        raise ImportFormatError(f"{path}: empty file, no published rows to import")
    if f'"{FORMAT_NAME}"' in text.lstrip().split("\n", 1)[0]:
        raise ImportFormatError(
            f"{path} is a fep-tui session, not published results: pass its directory "
            f"({path.parent}) without --import"
        )
    records: list[tuple[int, TrialRow]] = []
    if path.suffix == ".csv":
        for number, record in enumerate(csv.DictReader(text.splitlines()), start=2):
            records.append((number, _from_csv(record, path, number)))
    else:
        for number, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                records.append((number, _from_jsonl(line, path, number)))
    in_file: set[str] = set()
    for number, row in records:
        if row.turns == 0 and not row.success:
            row = msgspec.structs.replace(
                row, outcome="never started", reason="published row with no iterations"
            )
        # A row is a trial of its own: the study re-ran an arm, task and trial index after a
        # failed start or a crash and kept both rows. Only the same file named twice (the
        # same real path and line) is a duplicate, which `collect` counts once.
        if row.trial in in_file:
            row = msgspec.structs.replace(row, trial=f"{row.trial} (line {number})")
        in_file.add(row.trial)
        rows.rows.append(msgspec.structs.replace(row, row_key=f"{path.resolve()}:{number}"))
    return rows


def _from_jsonl(line: str, path: Path, number: int) -> TrialRow:
    try:
        data = json.loads(line)
        usage: dict[str, dict[str, int]] = data.get("usage_by_role") or {}
        costs: dict[str, float] = data.get("cost_usd_by_role") or {}
        models = {
            model: Usage.of(
                input_tokens=int(u.get("input_tokens", 0)),
                output_tokens=int(u.get("output_tokens", 0)),
                # The published format does not split writes by TTL; 5m is the default one.
                cache_write_5m=int(u.get("cache_creation_input_tokens", 0)),
                cache_read=int(u.get("cache_read_input_tokens", 0)),
            )
            for model, u in usage.items()
        }
        # The lead is the model that cost the most: the orchestrator, or the solo model.
        lead = max(costs, key=lambda m: costs[m]) if costs else next(iter(usage), "")
        return _published_row(
            path,
            data,
            success=bool(data["success"]),
            cost_usd=float(data["total_cost_usd"]),
            models=models,
            lead=lead,
            costs=costs,
        )
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise _bad_line(path, number, exc) from None


# The flat CSV names model families; these are the models the published study ran.
_CSV_MODELS = {"opus": "claude-opus-4-7", "haiku": "claude-haiku-4-5"}
LOCAL_MODEL = "qwen (local)"


def _from_csv(record: dict[str, str], path: Path, number: int) -> TrialRow:
    try:
        models = {
            model: Usage.of(
                input_tokens=int(record[f"{family}_in"] or 0),
                output_tokens=int(record[f"{family}_out"] or 0),
                cache_write_5m=int(record[f"{family}_cache_w"] or 0),
                cache_read=int(record[f"{family}_cache_r"] or 0),
            )
            for family, model in _CSV_MODELS.items()
        }
        models = {model: usage for model, usage in models.items() if usage != Usage.of()}
        if _truthy(record.get("qwen_present") or ""):
            models[LOCAL_MODEL] = Usage.of()  # a local executor: present, priced at zero
        lead = next(iter(models), "")  # Opus leads whenever it ran
        return _published_row(
            path,
            record,
            success=_truthy(record["success"]),
            cost_usd=float(record["cost_usd"]),
            models=models,
            lead=lead,
            costs={},
        )
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise _bad_line(path, number, exc) from None


def _bad_line(path: Path, number: int, exc: Exception) -> ImportFormatError:
    # A KeyError prints only the key; say what it means.
    reason = f"missing field {exc}" if isinstance(exc, KeyError) else str(exc)
    return ImportFormatError(f"{path}:{number}: not a published result ({reason})")


def _published_row(
    path: Path,
    record: Mapping[str, Any],
    *,
    success: bool,
    cost_usd: float,
    models: dict[str, Usage],
    lead: str,
    costs: dict[str, float],
) -> TrialRow:
    """A comparison row from the fields both published formats share."""
    return TrialRow(
        arm_name=str(record["arm"]),
        task=str(record["task"]),
        # The study numbers trials within an arm and task: all three make the trial's id.
        trial=f"{path.name}:{record['arm']}:{record['task']}:{record['trial']}",
        origin="published",
        source=SOURCE_LABELS["published"],
        simulated=False,
        # The study's own arms: one configuration per arm name, told apart by its source.
        config="published",
        configuration="",
        outcome="success" if success else "failed",
        success=success,
        status="completed" if success else "failed",
        wall_s=float(record["wall_sec"]),
        turns=int(record["iterations"]),
        cost_usd=cost_usd,
        lead_cache_read=models[lead].cache_read if lead in models else 0,
        path=str(path),
        roles=_role_figures(models, lead, costs),
    )


def _truthy(text: str) -> bool:
    return text.strip().lower() in ("1", "true", "yes")


def _role_figures(
    models: dict[str, Usage], lead: str, costs: dict[str, float]
) -> dict[str, RoleFigures]:
    """The same roles a session row has. Published results are keyed by model: the lead is
    the orchestrator when another model took part, else it worked solo, and the next model
    is the executor."""
    others = [m for m in models if m != lead]
    roles = {lead: "orchestrator" if others else "solo"} if lead in models else {}
    roles.update({m: "executor" if i == 0 else f"executor-{i + 1}" for i, m in enumerate(others)})
    return {
        role: RoleFigures(
            usage=models[model],
            cost_usd=float(costs[model]) if model in costs else math.nan,
            model=model,
        )
        for model, role in roles.items()
    }


def arm_table(rows: Sequence[TrialRow], baseline: str | None = None) -> list[Row]:
    """Per arm x task: trials, successes, rate, success-only medians with the cost CI,
    cost per success, and the lead's re-read ratio over the baseline arm."""
    repriced = any(row.whatif_cost_usd is not None for row in rows)
    table: list[dict[str, Any]] = []
    for (task, source, arm), group in group_by(rows, ("task", "source", "arm")).items():
        won = [row for row in group if row.success]
        rate = len(won) / len(group)
        median_cost = median(won, "cost_usd")
        low, high = bootstrap_median_ci(values(won, "cost_usd"))
        table.append(
            {
                "task": task,
                "source": source,
                "arm": arm,
                "trials": len(group),
                "successes": len(won),
                "success_rate": rate,
                "median_cost_usd": median_cost,
                "cost_ci_low": low,
                "cost_ci_high": high,
                "median_wall_s": median(won, "wall_s"),
                "median_turns": median(won, "turns"),
                "cost_per_success_usd": median_cost / rate if rate else math.nan,
                "median_lead_cache_read": median(won, "lead_cache_read"),
                **(_whatif_columns(won) if repriced else {}),
                "executor_never_called": _count_true(group, "executor_unused"),
                "advisor_never_consulted": _count_true(group, "advisor_unused"),
            }
        )
    if baseline is not None:
        # Against the baseline arm of the same task and source: never across sources.
        base = {
            (row["task"], row["source"]): row["median_lead_cache_read"]
            for row in table
            if row["arm"] == baseline
        }
        for row in table:
            reads = base.get((row["task"], row["source"]))
            row["reread_ratio"] = row["median_lead_cache_read"] / reads if reads else math.nan
    return table


def _count_true(group: Sequence[TrialRow], field: str) -> float:
    """Trials where it is True; NaN when no trial has the role (or rows predate it)."""
    known = values(group, field)
    return float(sum(bool(v) for v in known)) if known else math.nan


def _whatif_columns(won: Sequence[TrialRow]) -> dict[str, float]:
    """The what-if median and its change against the same trials re-simulated as recorded
    (so the cache model's own error, if any, cancels out)."""
    whatif = median(won, "whatif_cost_usd")
    baseline = median(won, "resimulated_cost_usd")
    change = whatif / baseline - 1.0 if baseline else math.nan
    return {"whatif_median_cost_usd": whatif, "whatif_change": change}


def role_buckets(rows: Sequence[TrialRow]) -> list[Row]:
    """Per task, arm and role: the success-only median of each token bucket and of the
    role's cost (imported rows too: their models are mapped to roles on import)."""
    table: list[Row] = []
    roles = sorted({role for row in rows for role in row.roles})
    for (task, source, arm), group in group_by(rows, ("task", "source", "arm")).items():
        won = [row for row in group if row.success]
        for role in roles:
            played = [row.roles[role] for row in won if role in row.roles]
            if not played:
                continue
            record: dict[str, Any] = {"task": task, "source": source, "arm": arm, "role": role}
            usages = [figures.usage for figures in played]
            for bucket in BUCKETS:
                record[bucket] = median(usages, bucket)
            record["cost_usd"] = median(played, "cost_usd")
            table.append(record)
    return table


def pairwise(rows: Sequence[TrialRow]) -> list[Row]:
    """Every pair of arms within a task and a source: Mann-Whitney U and Cliff's delta on
    the success-only costs (the same trials the medians are taken over). Trials of
    different sources are never tested against each other."""
    table: list[Row] = []
    for (task, source), by_task in group_by(rows, ("task", "source")).items():
        by_arm = group_by(by_task, ("arm",))
        costs = {
            arm: [r.cost_usd for r in group if r.success and r.cost_usd is not None]
            for (arm,), group in by_arm.items()
        }
        arms = list(costs)
        for i, first in enumerate(arms):
            for second in arms[i + 1 :]:
                test = mann_whitney(costs[first], costs[second])
                delta = cliffs_delta(costs[first], costs[second])
                table.append(
                    {
                        "task": task,
                        "source": source,
                        "arm_a": first,
                        "arm_b": second,
                        "n_a": len(costs[first]),
                        "n_b": len(costs[second]),
                        "u": test.u,
                        "p": test.p,
                        "method": test.method,
                        "cliffs_delta": delta,
                        "magnitude": cliffs_magnitude(delta, len(costs[first]), len(costs[second])),
                    }
                )
    return table
