"""A small, fixed comparison: eight sessions made from the recorded fixture.

Each copy gets its own arm, seed, cost, wall time and re-read scale, so the table, the
tests, the charts and side by side have different numbers to show, and snapshots stay
byte-stable (a real batch's wall times would differ from run to run).
"""

from __future__ import annotations

import json
from pathlib import Path

FIXTURE = Path(__file__).parent / "fixtures" / "b-tiny-seed0.jsonl"
# arm -> (cost scale, wall seconds, re-read scale) for seeds 0 and 1
VARIANTS = {
    "A": ((0.80, 40.0, 0.6), (0.84, 44.0, 0.62)),
    "B": ((1.00, 30.0, 1.0), (1.06, 33.0, 1.05)),
    "C": ((1.30, 55.0, 0.7), (1.22, 50.0, 0.68)),
    "D": ((0.55, 25.0, 2.1), (0.60, 27.0, 2.3)),
}
FAILED = {("D", 1)}


def make_compare_dir(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    lines = FIXTURE.read_text().splitlines()
    for arm, seeds in VARIANTS.items():
        for seed, (cost, wall, reread) in enumerate(seeds):
            out = []
            for index, line in enumerate(lines):
                data = json.loads(line)
                if index == 0:
                    data.update(arm=arm, seed=seed, trial_id=f"fixture-{arm}-tiny-s{seed}")
                elif data.get("kind") == "usage":
                    data["total_cost_usd"] = round(data["total_cost_usd"] * cost, 6)
                    data["role_cache_read"] = int(data["role_cache_read"] * reread)
                elif data.get("kind") == "trial_end":
                    data["total_cost_usd"] = round(data["total_cost_usd"] * cost, 6)
                    data["wall_s"] = wall
                    data["success"] = (arm, seed) not in FAILED
                    for totals in data["roles"].values():
                        usage = totals["usage"]
                        usage["cache_read"] = int(usage["cache_read"] * reread)
                out.append(json.dumps(data, separators=(",", ":")))
            (directory / f"fixture-{arm}-tiny-s{seed}.jsonl").write_text("\n".join(out) + "\n")
    return directory


def published_line(
    arm: str,
    task: str,
    trial: int,
    usage_by_role: dict[str, dict[str, int]],
    cost_usd_by_role: dict[str, float],
    *,
    wall_sec: float = 60.0,
    iterations: int = 12,
) -> str:
    """One successful trial in the published per-trial JSONL format."""
    return json.dumps(
        {
            "arm": arm,
            "task": task,
            "trial": trial,
            "success": True,
            "blocked": False,
            "wall_sec": wall_sec,
            "iterations": iterations,
            "usage_by_role": usage_by_role,
            "cost_usd_by_role": cost_usd_by_role,
            "total_cost_usd": sum(cost_usd_by_role.values()),
            "verify_final": {"exit_code": 0, "summary": "ok"},
            "error": None,
        }
    )


def copy_trial(target: Path, trial_id: str, source: Path = FIXTURE) -> Path:
    """The fixture session as another trial: the same events under a new trial id (a plain
    copy is the same trial, and a comparison counts it once)."""
    lines = source.read_text().splitlines()
    header = json.loads(lines[0]) | {"trial_id": trial_id}
    target.write_text("\n".join([json.dumps(header, separators=(",", ":")), *lines[1:]]) + "\n")
    return target
