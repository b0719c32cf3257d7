"""Importing Claude Code sessions at the size of a heavy user's `~/.claude/projects`.

Targets (issue: real traces): a generated 2 GB projects directory (10,000 sessions with
subagents) is imported for the first time in under 60 s; `traces` lists it afterwards in
under 2 s; a re-import with nothing changed takes under 2 s (the summary index).

The generated sessions have the shape of real ones: a main file where each lead call is
written one line per block, tool results whose text is also repeated in `toolUseResult`
(as Claude Code writes a Read's file), one or two Task delegations, and each subagent's
own file under `<session>/subagents/`. Every text is a different slice of a random pool,
so no token count is served from a cache. The directory is generated once and kept.

When ccusage (the most used peer) is on PATH, or FEP_TUI_CCUSAGE names it, its `session
--json --offline` runs on the same files in the same run, and the first import is printed
as a ratio to it (target 1 or under: no slower than the peer on a first look). Every file
is read once before either runs, so neither pays alone for the disk. ccusage 20
ships native binaries only; 18.0.11 is the last pure-JavaScript one
(`npm install ccusage@18.0.11`).

Run: .venv/bin/python -m bench.import_traces [--sessions N]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.report import report

TARGET_IMPORT_S = 60.0
TARGET_LIST_S = 2.0
TARGET_REIMPORT_S = 2.0
SESSIONS = 10_000
PROJECTS = 40
KEEP = Path(tempfile.gettempdir()) / "fep-bench-claude-projects"
# Code-like words; "token:" and "api_key=" make some texts look secret-ish, as real code
# does, so redaction does its real work.
_CODE = "def return self import from class if else for in while with as try except raise value"
_MORE = "result items config path total cart price order user session cache read write model"
WORDS = [
    *f"{_CODE} {_MORE} call agent task summary file line test None".split(),
    "token:",
    "api_key=v1",
]


def _pool(size: int, rng: random.Random) -> str:
    lines = []
    total = 0
    while total < size:
        line = "    " * rng.randint(0, 3) + " ".join(rng.choices(WORDS, k=rng.randint(3, 12)))
        lines.append(line)
        total += len(line) + 1
    return "\n".join(lines)


class _Session:
    def __init__(self, sid: str, cwd: str, rng: random.Random, pool: str) -> None:
        self.sid, self.cwd, self.rng, self.pool = sid, cwd, rng, pool
        self.second = 0
        self.n = 0

    def text(self, size: int) -> str:
        start = self.rng.randrange(0, len(self.pool) - size)
        return self.pool[start : start + size]

    def line(self, kind: str, message: dict[str, Any], **extra: Any) -> str:
        self.second += self.rng.randint(1, 20)
        self.n += 1
        data = {
            "parentUuid": f"{self.sid}-{self.n - 1}",
            "isSidechain": extra.pop("sidechain", False),
            "userType": "external",
            "cwd": self.cwd,
            "sessionId": self.sid,
            "version": "2.0.61",
            "type": kind,
            "message": message,
            "uuid": f"{self.sid}-{self.n}",
            "timestamp": f"2026-10-{1 + self.second // 86400:02d}T"
            f"{self.second // 3600 % 24:02d}:{self.second // 60 % 60:02d}:"
            f"{self.second % 60:02d}.000Z",
            **extra,
        }
        return json.dumps(data)

    def assistant(
        self, msg: str, blocks: list[dict[str, Any]], read: int, model: str, **extra: Any
    ) -> list[str]:
        usage = {
            "input_tokens": self.rng.randint(1, 9),
            "cache_creation_input_tokens": 600,
            "cache_read_input_tokens": read,
            "cache_creation": {"ephemeral_5m_input_tokens": 600, "ephemeral_1h_input_tokens": 0},
            "output_tokens": self.rng.randint(20, 400),
        }
        message = {"id": msg, "type": "message", "role": "assistant", "model": model}
        return [
            self.line(
                "assistant",
                {**message, "content": [block], "stop_reason": None, "usage": usage},
                requestId=f"req_{msg}",
                **extra,
            )
            for block in blocks
        ]

    def result(self, call: str, text: str, **extra: Any) -> str:
        content = [{"type": "tool_result", "tool_use_id": call, "content": text}]
        return self.line("user", {"role": "user", "content": content}, **extra)


def _tool_use(call_id: str, name: str, **tool_input: Any) -> dict[str, Any]:
    return {"type": "tool_use", "id": call_id, "name": name, "input": tool_input}


def write_session(project: Path, index: int, rng: random.Random, pool: str, target: int) -> int:
    sid = f"{index:08d}-0000-4000-8000-{index:012d}"
    s = _Session(sid, f"/home/dev/{project.name}", rng, pool)
    main = [s.line("user", {"role": "user", "content": s.text(200)})]
    agents: dict[str, list[str]] = {}
    read = 12_000
    call = 0
    written = 0
    while written < target:
        call += 1
        if call % 12 == 4 and len(agents) < 2:
            agent = f"a{index:x}{call}"
            prompt = s.text(300)
            task = _tool_use(
                f"toolu_t{call}", "Task", description="look", prompt=prompt, subagent_type="Explore"
            )
            main += s.assistant(f"msg_{sid}_{call}", [task], read, "claude-opus-4-5-20251101")
            sub = [s.line("user", {"role": "user", "content": prompt}, sidechain=True)]
            for step in range(12):
                grep = _tool_use(f"toolu_{agent}_{step}", "Read", file_path=f"src/m{step}.py")
                sub += s.assistant(
                    f"msg_{agent}_{step}",
                    [grep],
                    3000 + step * 900,
                    "claude-haiku-4-5-20251001",
                    sidechain=True,
                    agentId=agent,
                )
                text = s.text(2500)
                sub.append(
                    s.result(
                        f"toolu_{agent}_{step}",
                        text,
                        sidechain=True,
                        agentId=agent,
                        toolUseResult={"type": "text", "file": {"content": text}},
                    )
                )
            agents[agent] = sub
            summary = s.text(rng.randint(800, 3000))
            main.append(
                s.result(
                    f"toolu_t{call}",
                    summary,
                    toolUseResult={"status": "completed", "agentId": agent, "content": []},
                )
            )
        else:
            reply = {"type": "text", "text": s.text(rng.randint(100, 600))}
            read_call = _tool_use(f"toolu_r{call}", "Read", file_path=f"src/f{call}.py")
            main += s.assistant(
                f"msg_{sid}_{call}", [reply, read_call], read, "claude-opus-4-5-20251101"
            )
            text = s.text(rng.randint(1500, 4000))
            main.append(
                s.result(
                    f"toolu_r{call}",
                    text,
                    toolUseResult={"type": "text", "file": {"content": text}},
                )
            )
        read += 1500
        written = sum(map(len, main)) + sum(sum(map(len, lines)) for lines in agents.values())
    (project / f"{sid}.jsonl").write_text("\n".join(main) + "\n")
    for agent, lines in agents.items():
        where = project / sid / "subagents"
        where.mkdir(parents=True, exist_ok=True)
        (where / f"agent-{agent}.jsonl").write_text("\n".join(lines) + "\n")
    return written


def generate(root: Path, sessions: int) -> int:
    marker = root / f".generated-{sessions}"
    if marker.exists():
        return int(marker.read_text())
    shutil.rmtree(root, ignore_errors=True)
    rng = random.Random(7)
    pool = _pool(4_000_000, rng)
    total = 0
    for n in range(sessions):
        project = root / f"-home-dev-project{n % PROJECTS:02d}"
        project.mkdir(parents=True, exist_ok=True)
        total += write_session(project, n, rng, pool, rng.randint(120_000, 280_000))
    marker.write_text(str(total))
    return total


def _timed(args: list[str], env_dir: Path) -> float:
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "fep_tui.cli", *args, "--sessions-dir", str(env_dir)],
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed: {done.stderr.strip()}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sessions", type=int, default=SESSIONS)
    count = parser.parse_args().sessions
    root = KEEP if count == SESSIONS else KEEP.with_name(f"{KEEP.name}-{count}")
    start = time.perf_counter()
    size = generate(root, count)
    print(
        f"projects directory: {root}, {count:,} sessions, {size / 1e9:.2f} GB "
        f"(ready in {time.perf_counter() - start:.0f} s)"
    )
    # Both tools read the same files; whichever goes first would otherwise pay for reading
    # them from disk and the other find them in the page cache.
    warmed = _read_all(root)
    print(f"page cache warmed: {warmed / 1e9:.2f} GB read once before either tool runs")
    scale = count / SESSIONS
    with tempfile.TemporaryDirectory(prefix="fep-bench-import-") as sessions:
        target = Path(sessions)
        first = _timed(["import", "claude-code", str(root)], target)
        report("first import (whole process)", first, TARGET_IMPORT_S * scale, "s")
        again = _timed(["import", "claude-code", str(root)], target)
        report("re-import, nothing changed", again, TARGET_REIMPORT_S, "s")
        listed = _timed(["traces", "--root", str(root)], target)
        report("traces after import", listed, TARGET_LIST_S, "s")
    peer = os.environ.get("FEP_TUI_CCUSAGE") or shutil.which("ccusage")
    if peer is None:
        print("ccusage: not on PATH (FEP_TUI_CCUSAGE=PATH names it); no peer comparison")
        return
    theirs = _ccusage(peer, root)
    print(f"ccusage session --json --offline on the same files: {theirs:.1f} s")
    report("first import against ccusage's first look (ratio)", first / theirs, 1.0, "x")


def _read_all(root: Path) -> int:
    total = 0
    for path in root.rglob("*.jsonl"):
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                total += len(chunk)
    return total


def _ccusage(command: str, root: Path) -> float:
    """ccusage's time over `root`: it reads `$CLAUDE_CONFIG_DIR/projects`."""
    with tempfile.TemporaryDirectory(prefix="fep-bench-ccusage-") as config:
        (Path(config) / "projects").symlink_to(root)
        start = time.perf_counter()
        done = subprocess.run(
            [command, "session", "--json", "--offline"],
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, "CLAUDE_CONFIG_DIR": config},
        )
        elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"ccusage failed: {done.stderr.strip()[:300]}")
    return elapsed


if __name__ == "__main__":
    main()
