"""Whole-process start-up of the command line.

Targets (issue 15): `fep-tui --help` and `fep-tui --version` each return in under 0.5 s;
`compare --import` of 40 published-format rows takes at most 12x a bare start of the same
interpreter (`python -c pass`). The 10,000-row figure is printed beside it. Each figure is
the best of RUNS whole processes.
Run: .venv/bin/python -m bench.cli_start
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.report import report

TARGET_HELP_S = 0.5
TARGET_IMPORT_RATIO = 12.0
RUNS = 5


def best(argv: list[str]) -> float:
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        subprocess.run(argv, capture_output=True, check=True)
        times.append(time.perf_counter() - started)
    return min(times)


def published(path: Path, rows: int) -> None:
    lines = []
    for n in range(rows):
        arm = "AB"[n % 2]
        usage = {
            "input_tokens": 1000 + n,
            "output_tokens": 4000,
            "cache_creation_input_tokens": 20000,
            "cache_read_input_tokens": 300000 + 100 * n,
        }
        cost = 0.5 + (n % 7) / 10
        lines.append(
            json.dumps(
                {
                    "arm": arm,
                    "task": f"T{n % 3 + 1}",
                    "trial": n,
                    "success": n % 5 != 0,
                    "wall_sec": 300.0 + n % 50,
                    "iterations": 10 + n % 9,
                    "usage_by_role": {"claude-opus-4-7": usage},
                    "cost_usd_by_role": {"claude-opus-4-7": cost},
                    "total_cost_usd": cost,
                }
            )
        )
    path.write_text("\n".join(lines) + "\n")


def main() -> None:
    cli = [sys.executable, "-m", "fep_tui.cli"]
    bare = best([sys.executable, "-c", "pass"])
    print(f"bare interpreter start: {bare * 1000:.0f} ms")
    report("fep-tui --help", best([*cli, "--help"]), TARGET_HELP_S, "s")
    report("fep-tui --version", best([*cli, "--version"]), TARGET_HELP_S, "s")
    with tempfile.TemporaryDirectory() as tmp:
        for rows in (40, 10_000):
            path = Path(tmp) / f"published-{rows}.jsonl"
            published(path, rows)
            took = best([*cli, "compare", "--import", str(path), "--format", "json"])
            print(f"compare --import, {rows:,} rows: {took:.2f} s ({took / bare:.0f}x bare start)")
            if rows == 40:
                report("compare --import 40 rows / bare", took / bare, TARGET_IMPORT_RATIO, "x")


if __name__ == "__main__":
    main()
