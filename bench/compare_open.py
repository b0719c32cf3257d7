"""The comparison over many sessions: build the summary index, then re-open it.

Targets (issue: batch runs and comparison): 10,000 session files compare (rows, arm table
with bootstrap CIs, pairwise tests) in under 2 s once their summary index
exists; building the index reads each new or changed file once; the bootstrap for a 4 x 3
grid takes well under a second.
Run: .venv/bin/python -m bench.compare_open [FILES]
"""

from __future__ import annotations

import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

from bench.report import report
from engine.arms import resolve_arm
from engine.events import TrialStarted
from engine.pricing import OFFICIAL
from sessions.analysis.comparison import arm_table, collect, pairwise
from sessions.header import header_from_trial_start

TARGET_OPEN_S = 2.0
TARGET_BOOTSTRAP_S = 1.0
ARMS, TASKS = ("A", "B", "C", "D"), ("T1", "T2", "T3")
SPECS = {arm: resolve_arm(arm).to_dict() for arm in ARMS}
CARD = OFFICIAL.to_dict()


def write_sessions(directory: Path, count: int) -> None:
    """Small sessions in the real format: a header, one usage event and the trial end
    (the comparison reads only a file's head and end, so the middle does not matter)."""
    rng = random.Random(0)
    for n in range(count):
        arm, task = ARMS[n % 4], TASKS[(n // 4) % 3]
        cost = round(rng.lognormvariate(-2.0, 0.4) * (1 + ARMS.index(arm) * 0.2), 6)
        header = header_from_trial_start(
            TrialStarted(
                t=0.0,
                trial_id=f"bench-{n:05d}",
                arm=arm,
                arm_spec=SPECS[arm],
                task=task,
                models={"solo": "claude-opus-4-7"},
                providers={"solo": "anthropic"},
                backend="sim",
                simulated=True,
                rate_card=CARD,
                seed=n,
                engine_version="bench",
                started_at="2026-11-01T00:00:00+00:00",
            )
        ).to_dict()
        end = {
            "kind": "trial_end",
            "t": 60.0,
            "status": "completed",
            "success": rng.random() < 0.85,
            "turns": rng.randint(8, 40),
            "wall_s": round(rng.uniform(60, 600), 2),
            "total_cost_usd": cost,
            "roles": {
                "solo": {
                    "turns": 20,
                    "cost_usd": cost,
                    "usage": {
                        "input_tokens": 900,
                        "output_tokens": 4000,
                        "cache_write_5m": 20000,
                        "cache_write_1h": 0,
                        "cache_read": rng.randint(50_000, 400_000),
                    },
                }
            },
            "reason": "",
        }
        (directory / f"bench-{n:05d}.jsonl").write_text(
            json.dumps(header, separators=(",", ":"))
            + "\n"
            + json.dumps(end, separators=(",", ":"))
            + "\n"
        )


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        write_sessions(directory, count)
        started = time.perf_counter()
        first = collect([directory])
        build_s = time.perf_counter() - started
        print(f"index built: {first.parsed:,} files read in {build_s:.2f} s")

        started = time.perf_counter()
        again = collect([directory])
        rows = again.labelled()
        table = arm_table(rows, "A")
        pairs = pairwise(rows)
        open_s = time.perf_counter() - started
        report(f"compare {count:,} sessions (indexed)", open_s, TARGET_OPEN_S, "s")
        print(
            f"  files re-read: {again.parsed} (target 0); rows {len(rows):,}, "
            f"cells {len(table)}, pairs {len(pairs)}"
        )
        # A figure for rejected files would be no figure at all.
        assert len(rows) == count and not again.rejected, again.rejected[:3]

        for path in sorted(directory.glob("*.jsonl"))[:10]:
            os.utime(path, ns=(1, 1))
        changed = collect([directory])
        print(f"  after touching 10 files: {changed.parsed} re-read (target 10)")

        started = time.perf_counter()
        arm_table(rows, "A")
        report(
            "arm table, 4 x 3 grid with bootstrap",
            time.perf_counter() - started,
            TARGET_BOOTSTRAP_S,
            "s",
        )


if __name__ == "__main__":
    main()
