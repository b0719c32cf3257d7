"""fep-tui's peak memory and the session's size while the agent and the judge print 1 GiB.

Targets (issue: a hostile agent): fep-tui's peak resident memory under 300 MB and the
session file under 8 MB, both flat whatever is printed. A scripted agent (`--script`)
prints 1 GiB through its bash tool, then makes its package print 1 GiB when a process
that imported it exits, as the judge's pytest does. The trial runs headless through the CLI in a
child process; its peak RSS (VmHWM, that process alone, not the sandboxed tools) is read
from /proc while it runs.
Run: .venv/bin/python -m bench.hostile_output [GIB]
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.report import report

RSS_TARGET_MB = 300.0
SESSION_TARGET_MB = 8.0

# At exit, once pytest has stopped capturing file descriptor 1: the flood goes down the
# judge's pipe to fep-tui, not into pytest's capture file.
FLOOD_AT_EXIT = (
    "import atexit, os\n"
    "_chunk = b'judge-flood ' * 5461 + b'\\n'\n"
    "def _flood():\n"
    "    for _ in range({count}):\n"
    "        os.write(1, _chunk)\n"
    "atexit.register(_flood)\n"
)
IMPORT_IT = "echo 'from shopcart import _flood' >> shopcart/__init__.py"


def plan(gib: float) -> dict[str, object]:
    size = int(gib * (1 << 30))
    count = size // (12 * 5461 + 1)
    flood = f"head -c {size} /dev/zero | tr '\\0' 'y'; echo; echo agent-flood-done"
    return {
        "solo": [
            [{"name": "bash", "input": {"command": flood}}],
            [
                {
                    "name": "str_replace_editor",
                    "input": {
                        "command": "create",
                        "path": "shopcart/_flood.py",
                        "file_text": FLOOD_AT_EXIT.format(count=count),
                    },
                },
                {
                    "name": "bash",
                    "input": {
                        "command": "echo 'from shopcart import _flood' >> shopcart/__init__.py"
                    },
                },
            ],
        ]
    }


def peak_rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def main() -> None:
    gib = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
    with tempfile.TemporaryDirectory() as scratch:
        directory = Path(scratch)
        script = directory / "flood.json"
        script.write_text(json.dumps(plan(gib)))
        sessions = directory / "sessions"
        started = time.perf_counter()
        proc = subprocess.Popen(
            [
                sys.executable, "-m", "fep_tui.cli", "run", "--arm", "A", "--task", "tiny",
                "--backend", "sim", "--headless", "--script", str(script),
                "--sessions-dir", str(sessions),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )  # fmt: skip
        peak = 0.0
        while proc.poll() is None:
            peak = max(peak, peak_rss_mb(proc.pid))
            time.sleep(0.05)
        out = proc.stdout.read() if proc.stdout else ""
        wall = time.perf_counter() - started
        files = list(sessions.glob("*.jsonl"))
        if proc.returncode != 0 or not files:
            print(out)
            raise SystemExit(f"the trial did not finish (exit {proc.returncode})")
        size_mb = files[0].stat().st_size / (1 << 20)
        judge = next((line for line in out.splitlines() if line.startswith("judge:")), "?")
    print(f"agent and judge each printed {gib:g} GiB; trial took {wall:.1f} s; {judge}")
    report("fep-tui peak memory (VmHWM)", peak, RSS_TARGET_MB, "MB")
    report("session file size", size_mb, SESSION_TARGET_MB, "MB")


if __name__ == "__main__":
    main()
