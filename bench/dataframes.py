"""The notebook API's frames: trials over many indexed sessions, calls over a long one.

Targets (issue: trials in a notebook): `trials_df` over 10,000 indexed sessions in under
2 s, `calls_df` over a 200k-event session in under 1 s (its index already built, as a
notebook re-run finds it).
Run: .venv/bin/python -m bench.dataframes [SESSIONS] [EVENTS]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from bench.compare_open import write_sessions
from bench.report import report
from bench.synthetic import write_session
from fep_tui.analysis import calls_df, trials_df
from sessions.analysis.comparison import collect
from sessions.index_cache import open_index

TARGET_TRIALS_S = 2.0
TARGET_CALLS_S = 1.0


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    events = int(sys.argv[2]) if len(sys.argv) > 2 else 200_000
    with tempfile.TemporaryDirectory() as tmp:
        many = Path(tmp) / "many"
        many.mkdir()
        write_sessions(many, count)
        collect([many])  # the summary index, built once as compare builds it
        import pandas  # noqa: F401  (a notebook has it loaded already)

        started = time.perf_counter()
        trials = trials_df([many])
        report(f"trials_df, {count:,} indexed sessions", time.perf_counter() - started,
               TARGET_TRIALS_S, "s")  # fmt: skip
        assert len(trials) == count, len(trials)

        long = Path(tmp) / "long"
        long.mkdir()
        written = write_session(long / "long-trial.jsonl", events)
        open_index(long / "long-trial.jsonl")
        started = time.perf_counter()
        calls = calls_df([long], strict=False)[0]
        report(f"calls_df, one {written:,}-event session", time.perf_counter() - started,
               TARGET_CALLS_S, "s")  # fmt: skip
        print(f"  {len(calls):,} model calls")


if __name__ == "__main__":
    main()
