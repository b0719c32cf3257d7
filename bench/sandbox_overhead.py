"""What the sandbox adds to each of the agent's bash calls.

Target (issue: contain the agent): under 20 ms per call. 200 `true` calls through the
agent's own bash tool, with the clean environment alone and then inside bubblewrap; the
difference per call is the sandbox's cost.
Run: .venv/bin/python -m bench.sandbox_overhead [CALLS]
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path

from bench.report import report
from engine.messages import ToolUseBlock
from engine.tools import Bash
from tasks.sandbox import Containment, Sandbox, bubblewrap_problem

TARGET_MS = 20.0


async def per_call(workspace: Path, containment: Containment, calls: int) -> float:
    sandbox = Sandbox(workspace, containment)
    bash = Bash(workspace, sandbox=sandbox)
    call = ToolUseBlock("c", "bash", {"command": "true"})
    try:
        await bash.run(call)  # the first call pays one-off costs (cgroup, page cache)
        started = time.perf_counter()
        for _ in range(calls):
            outcome = await bash.run(call)
            assert outcome.content.startswith("exit code: 0"), outcome.content
        return (time.perf_counter() - started) / calls
    finally:
        sandbox.close()


def main() -> None:
    calls = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    problem = bubblewrap_problem()
    if problem is not None:
        print(f"no sandbox to measure: {problem}")
        return
    with tempfile.TemporaryDirectory() as directory:
        workspace = Path(directory)
        plain = asyncio.run(per_call(workspace, "environment", calls))
        boxed = asyncio.run(per_call(workspace, "bubblewrap", calls))
    print(f"{calls} `true` calls: {plain * 1000:.1f} ms each without, {boxed * 1000:.1f} ms inside")
    report("sandbox cost per bash call", (boxed - plain) * 1000, TARGET_MS, "ms")


if __name__ == "__main__":
    main()
