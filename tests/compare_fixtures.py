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


def _rewrite(
    target: Path, trial_id: str, header: dict[str, object], end: dict[str, object] | None
) -> None:
    """The fixture with header fields replaced, and its trial_end changed (None: cut off)."""
    lines = FIXTURE.read_text().splitlines()
    out = [json.dumps(json.loads(lines[0]) | header | {"trial_id": trial_id})]
    for line in lines[1:]:
        data = json.loads(line)
        if data["kind"] == "trial_end":
            if end is None:
                break
            data |= end
        out.append(json.dumps(data, separators=(",", ":")))
    target.write_text("\n".join(out) + "\n")


def make_mixed_dir(directory: Path) -> Path:
    """Trials that must not be pooled: arm A at two rate cards, arm B at two return caps
    (two judged trials each), one interrupted B and one live B that never started."""
    from engine.arms import resolve_arm
    from engine.pricing import OFFICIAL, PUBLISHED

    directory.mkdir(parents=True, exist_ok=True)
    a, b = resolve_arm("A"), resolve_arm("B")
    solo = {"models": {"solo": "claude-opus-4-7"}, "providers": {"solo": "anthropic"}}
    for seed in (0, 1):
        for card in (OFFICIAL, PUBLISHED):
            header = {"arm": "A", "arm_spec": a.to_dict(), "rate_card": card.to_dict(), **solo}
            _rewrite(
                directory / f"a-{card.name}-{seed}.jsonl",
                f"A-{card.name}-{seed}",
                header | {"seed": seed},
                {"wall_s": 20.0 + seed},
            )
        for cap in (4000, 1000):
            spec = b.with_return_cap(cap).to_dict()
            _rewrite(
                directory / f"b-cap{cap}-{seed}.jsonl",
                f"B-cap{cap}-{seed}",
                {"arm": "B", "arm_spec": spec, "seed": seed},
                {"wall_s": 30.0 + seed},
            )
    _rewrite(
        directory / "b-interrupted.jsonl",
        "B-interrupted",
        {"arm": "B", "seed": 2},
        {"status": "interrupted", "success": False, "reason": "cancelled by the user"},
    )
    lines = FIXTURE.read_text().splitlines()
    live = json.loads(lines[0]) | {
        "trial_id": "B-never-started",
        "backend": "live",
        "simulated": False,
        "seed": 3,
    }
    end = {
        "kind": "trial_end",
        "t": 0.4,
        "status": "error",
        "success": False,
        "turns": 0,
        "wall_s": 0.4,
        "roles": {},
        "total_cost_usd": 0.0,
        "reason": "authentication_error: invalid x-api-key",
    }
    (directory / "b-never-started.jsonl").write_text(
        json.dumps(live) + "\n" + json.dumps(end) + "\n"
    )
    return directory
