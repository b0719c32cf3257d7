"""Comparison data: one row per trial from session files or published results, and the
per arm x task table and pairwise tests built from them. pandas, no UI."""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from engine.pricing import PUBLISHED, UnpricedModelError, get_rate_card
from engine.usage import Usage
from sessions.analysis.statistics import (
    bootstrap_median_ci,
    cliffs_delta,
    cliffs_magnitude,
    mann_whitney,
)
from sessions.analysis.summary_index import indexed_rows
from sessions.analysis.whatif import WhatIf, reprice
from sessions.format import SessionFileError
from sessions.reader import load_session
from sessions.store import read_head_and_end

BUCKETS = ("input_tokens", "output_tokens", "cache_write_5m", "cache_write_1h", "cache_read")


class ImportFormatError(ValueError):
    """A published-results file with a bad line; the message names the file and line."""


@dataclass
class TrialRows:
    rows: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    failed_to_start: int = 0
    parsed: int = 0  # session files read this time; the others came from the summary index

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows)


def session_row(path: Path) -> dict[str, Any]:
    """The trial a session file records; SessionFileError if it is not a finished one."""
    read = read_head_and_end(path)
    header, end = read.header, read.end
    if end is None:
        raise SessionFileError(f"{path}: half-written (no trial_end event)")
    roles: dict[str, Any] = end.get("roles", {})
    lead = "orchestrator" if "orchestrator" in roles else "solo"
    row: dict[str, Any] = {
        "arm": header.get("arm"),
        "task": header.get("task"),
        "trial": header.get("trial_id", path.stem),
        "source": "session",
        "simulated": bool(header.get("simulated", True)),
        "success": bool(end.get("success")),
        "status": end.get("status"),
        "wall_s": float(end.get("wall_s", 0.0)),
        "turns": int(roles.get(lead, {}).get("turns", 0)),
        "cost_usd": float(end.get("total_cost_usd", 0.0)),
        "lead_cache_read": int(roles.get(lead, {}).get("usage", {}).get("cache_read", 0)),
        "path": str(path),
    }
    for role, totals in roles.items():
        for bucket in BUCKETS:
            row[f"{role}.{bucket}"] = int(totals.get("usage", {}).get(bucket, 0))
        row[f"{role}.cost_usd"] = float(totals.get("cost_usd", 0.0))
    return row


def collect(directories: Iterable[Path], imports: Iterable[Path] = ()) -> TrialRows:
    found = TrialRows()
    for directory in directories:
        indexed = indexed_rows(Path(directory), session_row)
        found.rows.extend(indexed.rows)
        found.rejected.extend(indexed.rejected)
        found.parsed += indexed.parsed
    for path in imports:
        imported = import_published(path)
        found.rows.extend(imported.rows)
        found.failed_to_start += imported.failed_to_start
    return found


def add_whatif(frame: pd.DataFrame, whatif: WhatIf) -> pd.DataFrame:
    """A `whatif_cost_usd` column, and beside it the cost under the recorded terms that the
    change is measured against. A session is re-simulated through the cache model. An
    imported row has only its token buckets: they are re-priced (another card, caching
    off, writes at the 1h price), and a summary cap, which needs the turns, gives NaN."""
    costs, baselines = [], []
    for _, row in frame.iterrows():
        if row["source"] == "session":
            repriced = reprice(load_session(Path(row["path"])), whatif)
            costs.append(repriced.whatif_usd)
            baselines.append(repriced.resimulated_usd)
        else:
            whatif_usd, baseline_usd = reprice_buckets(row, whatif)
            costs.append(whatif_usd)
            baselines.append(baseline_usd)
    return frame.assign(whatif_cost_usd=costs, resimulated_cost_usd=baselines)


def source_labels(frame: pd.DataFrame) -> list[str]:
    """Where the rows came from, for titles: SIMULATED sessions, live ones, published."""
    labels = {
        "published" if source != "session" else "SIMULATED" if simulated else "live"
        for source, simulated in zip(frame["source"], frame["simulated"], strict=True)
    }
    return sorted(labels)


def whatif_note(frame: pd.DataFrame, whatif: WhatIf) -> str:
    """One line saying how the what-if column was made, for every place that shows it."""
    parts = [f"what-if: {whatif.label()}"]
    sources = set(frame["source"])
    if "session" in sources:
        parts.append("sessions re-simulated through the cache model, same turns assumed")
    if sources - {"session"}:
        parts.append(
            "imported rows: a summary cap needs their turns (shown as -)"
            if whatif.summary_cap is not None
            else "imported rows re-priced from their token buckets"
        )
    parts.append("Δ is against the same trials under the recorded terms")
    return "; ".join(parts)


def reprice_buckets(row: pd.Series, whatif: WhatIf) -> tuple[float, float]:
    """(what-if cost, cost at the published card) of an imported row, from its buckets."""
    if whatif.summary_cap is not None:
        return math.nan, math.nan
    card = get_rate_card(whatif.rate_card) if whatif.rate_card else PUBLISHED
    whatif_usd = baseline_usd = 0.0
    for column in row.index:
        model = row[column]
        if not column.endswith(".model") or not isinstance(model, str):
            continue
        role = column.removesuffix(".model")
        usage = Usage(**{b: int(row[f"{role}.{b}"]) for b in BUCKETS})
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
        return Usage(input_tokens=usage.total_input, output_tokens=usage.output_tokens)
    if whatif.write_ttl == "1h":
        return Usage(
            input_tokens=usage.input_tokens,
            output_tokens=usage.output_tokens,
            cache_write_1h=usage.cache_write,
            cache_read=usage.cache_read,
        )
    return usage


def import_published(path: Path) -> TrialRows:
    """Published per-trial results, JSONL or CSV. Rows with no iterations and no success
    never started (the published analysis drops them); they are counted, not kept."""
    rows = TrialRows()
    try:
        text = path.read_text()
    except OSError as exc:
        raise ImportFormatError(f"{path}: cannot read ({exc.strerror})") from None
    records: list[tuple[int, dict[str, Any]]] = []
    if path.suffix == ".csv":
        for number, record in enumerate(csv.DictReader(text.splitlines()), start=2):
            records.append((number, _from_csv(record, path, number)))
    else:
        for number, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                records.append((number, _from_jsonl(line, path, number)))
    for _, row in records:
        if row["turns"] == 0 and not row["success"]:
            rows.failed_to_start += 1
        else:
            rows.rows.append(row)
    return rows


def _from_jsonl(line: str, path: Path, number: int) -> dict[str, Any]:
    try:
        data = json.loads(line)
        usage: dict[str, dict[str, int]] = data.get("usage_by_role") or {}
        costs: dict[str, float] = data.get("cost_usd_by_role") or {}
        models = {
            model: Usage(
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


def _from_csv(record: dict[str, str], path: Path, number: int) -> dict[str, Any]:
    try:
        models = {
            model: Usage(
                input_tokens=int(record[f"{family}_in"] or 0),
                output_tokens=int(record[f"{family}_out"] or 0),
                cache_write_5m=int(record[f"{family}_cache_w"] or 0),
                cache_read=int(record[f"{family}_cache_r"] or 0),
            )
            for family, model in _CSV_MODELS.items()
        }
        models = {model: usage for model, usage in models.items() if usage != Usage()}
        if _truthy(record.get("qwen_present") or ""):
            models[LOCAL_MODEL] = Usage()  # a local executor: present, priced at zero
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
) -> dict[str, Any]:
    """A comparison row from the fields both published formats share."""
    return {
        "arm": str(record["arm"]),
        "task": str(record["task"]),
        "trial": f"{path.name}:{record['trial']}",
        "source": "published",
        "simulated": False,
        "success": success,
        "status": "completed" if success else "failed",
        "wall_s": float(record["wall_sec"]),
        "turns": int(record["iterations"]),
        "cost_usd": cost_usd,
        "lead_cache_read": models[lead].cache_read if lead in models else 0,
        "path": str(path),
        **_role_columns(models, lead, costs),
    }


def _truthy(text: str) -> bool:
    return text.strip().lower() in ("1", "true", "yes")


def _role_columns(models: dict[str, Usage], lead: str, costs: dict[str, float]) -> dict[str, Any]:
    """The same per-role columns a session row has. Published results are keyed by model:
    the lead is the orchestrator when another model took part, else it worked solo, and
    the next model is the executor."""
    others = [m for m in models if m != lead]
    roles = {lead: "orchestrator" if others else "solo"} if lead in models else {}
    roles.update({m: "executor" if i == 0 else f"executor-{i + 1}" for i, m in enumerate(others)})
    columns: dict[str, Any] = {}
    for model, role in roles.items():
        usage = models[model]
        for bucket in BUCKETS:
            columns[f"{role}.{bucket}"] = getattr(usage, bucket)
        columns[f"{role}.cost_usd"] = float(costs[model]) if model in costs else math.nan
        columns[f"{role}.model"] = model
    return columns


def arm_table(frame: pd.DataFrame, baseline: str | None = None) -> pd.DataFrame:
    """Per arm x task: trials, successes, rate, success-only medians with the cost CI,
    cost per success, and the lead's re-read ratio over the baseline arm."""
    records = []
    for (task, arm), group in frame.groupby(["task", "arm"], sort=True):
        won = group[group["success"]]
        rate = len(won) / len(group)
        median_cost = float(won["cost_usd"].median()) if len(won) else math.nan
        low, high = bootstrap_median_ci(won["cost_usd"].tolist())
        records.append(
            {
                "task": task,
                "arm": arm,
                "trials": len(group),
                "successes": len(won),
                "success_rate": rate,
                "median_cost_usd": median_cost,
                "cost_ci_low": low,
                "cost_ci_high": high,
                "median_wall_s": float(won["wall_s"].median()) if len(won) else math.nan,
                "median_turns": float(won["turns"].median()) if len(won) else math.nan,
                "cost_per_success_usd": median_cost / rate if rate else math.nan,
                "median_lead_cache_read": float(won["lead_cache_read"].median())
                if len(won)
                else math.nan,
                **_whatif_columns(won),
            }
        )
    table = pd.DataFrame(records)
    if baseline is not None and len(table):
        rows = table[table["arm"] == baseline]
        base = dict(zip(rows["task"], rows["median_lead_cache_read"], strict=True))
        table["reread_ratio"] = [
            reads / base[task] if base.get(task) else math.nan
            for task, reads in zip(table["task"], table["median_lead_cache_read"], strict=True)
        ]
    return table


def _whatif_columns(won: pd.DataFrame) -> dict[str, float]:
    """The what-if median and its change against the same trials re-simulated as recorded
    (so the cache model's own error, if any, cancels out)."""
    if "whatif_cost_usd" not in won:
        return {}
    median = float(won["whatif_cost_usd"].median()) if len(won) else math.nan
    baseline = float(won["resimulated_cost_usd"].median()) if len(won) else math.nan
    change = median / baseline - 1.0 if baseline else math.nan
    return {"whatif_median_cost_usd": median, "whatif_change": change}


def role_buckets(frame: pd.DataFrame) -> pd.DataFrame:
    """Per task, arm and role: the success-only median of each token bucket and of the
    role's cost (imported rows too: their models are mapped to roles on import)."""
    records = []
    roles = sorted({c.split(".")[0] for c in frame.columns if c.endswith(".cost_usd")})
    for (task, arm), group in frame.groupby(["task", "arm"], sort=True):
        won = group[group["success"]]
        for role in roles:
            columns = [f"{role}.{b}" for b in BUCKETS]
            if columns[0] not in won or won[columns[0]].isna().all():
                continue
            record: dict[str, Any] = {"task": task, "arm": arm, "role": role}
            for bucket, column in zip(BUCKETS, columns, strict=True):
                record[bucket] = float(won[column].median()) if len(won) else math.nan
            record["cost_usd"] = float(won[f"{role}.cost_usd"].median()) if len(won) else math.nan
            records.append(record)
    return pd.DataFrame(records)


def pairwise(frame: pd.DataFrame) -> pd.DataFrame:
    """Every pair of arms within a task: Mann-Whitney U and Cliff's delta on the
    success-only costs (the same trials the medians are taken over)."""
    records = []
    for task, by_task in frame.groupby("task", sort=True):
        arms = sorted(by_task["arm"].unique())
        costs = {
            a: by_task[(by_task["arm"] == a) & by_task["success"]]["cost_usd"].tolist()
            for a in arms
        }
        for i, first in enumerate(arms):
            for second in arms[i + 1 :]:
                test = mann_whitney(costs[first], costs[second])
                delta = cliffs_delta(costs[first], costs[second])
                records.append(
                    {
                        "task": task,
                        "arm_a": first,
                        "arm_b": second,
                        "n_a": len(costs[first]),
                        "n_b": len(costs[second]),
                        "u": test.u,
                        "p": test.p,
                        "method": test.method,
                        "cliffs_delta": delta,
                        "magnitude": cliffs_magnitude(delta),
                    }
                )
    return pd.DataFrame(records)
