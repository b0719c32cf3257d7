"""The deterministic judge: mypy, ruff check and pytest exit codes plus a task verifier.

No model ever judges. Each tool's output is parsed for counts so a session can show how
far from green a tree is, but pass/fail is decided by exit codes alone.
"""

from __future__ import annotations

import json
import re
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from tasks.sandbox import Sandbox

ToolName = Literal["mypy", "ruff", "pytest", "ruff-format"]

_MYPY_FOUND = re.compile(r"Found (\d+) errors? in")
_PYTEST_COUNT = re.compile(r"(\d+) (passed|failed|errors?|skipped|xfailed|xpassed|deselected)")
_ERROR_LINE = re.compile(r"^ERROR (\S+)(?: - |$)", re.MULTILINE)
_RUFF_FORMAT_SUMMARY = re.compile(r"(\d+) files? would be reformatted")
_JUDGE_TIMEOUT_S = 900
# The judge as a command the agent runs (tasks/harness.py): fep-tui answers it itself.
HARNESS_COMMAND = "fep-check"


@dataclass(frozen=True)
class JudgeCommand:
    tool: ToolName
    argv: tuple[str, ...]
    # Reported with the others but never decides pass or fail (`ruff format --check`).
    informational: bool = False


@dataclass(frozen=True)
class ToolVerdict:
    """One tool's outcome. `errors` is mypy/ruff error count or pytest failures + errors."""

    tool: str
    exit_code: int
    errors: int
    passed: int = 0
    failed: int = 0
    collection_errors: int = 0
    skipped: int = 0
    tail: str = ""
    informational: bool = False

    @property
    def ok(self) -> bool:
        return self.exit_code == 0


@dataclass(frozen=True)
class JudgeResult:
    passed: bool
    tools: tuple[ToolVerdict, ...]
    verifier_problems: tuple[str, ...] = ()
    duration_s: float = 0.0
    extra: Mapping[str, Any] = field(default_factory=dict)
    # Protected files (configuration, conftest, the task's tests) the agent had changed:
    # put back before the tools ran, and a failed verdict whatever the tools said.
    protected: tuple[str, ...] = ()

    def verdict(self, tool: str) -> ToolVerdict | None:
        return next((v for v in self.tools if v.tool == tool), None)

    def one_line(self) -> str:
        parts = []
        for v in self.tools:
            if v.tool == "pytest":
                part = f"pytest {v.passed} passed/{v.failed} failed"
                if v.collection_errors:
                    part += f"/{v.collection_errors} collection errors"
            elif v.informational:
                part = f"({v.tool}: {v.errors} file(s) to reformat, informational)"
            else:
                part = f"{v.tool} {'ok' if v.ok else f'{v.errors} err'}"
            parts.append(part)
        if self.verifier_problems:
            parts.append(f"verifier: {len(self.verifier_problems)} problem(s)")
        line = ", ".join(parts)
        if self.protected:
            shown = ", ".join(self.protected[:3])
            more = f" and {len(self.protected) - 3} more" if len(self.protected) > 3 else ""
            line = f"protected file changed: {shown}{more}; {line}"
        return ("GREEN  " if self.passed else "RED  ") + line

    def to_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "tools": [asdict(v) for v in self.tools],
            "verifier_problems": list(self.verifier_problems),
            "duration_s": round(self.duration_s, 3),
            "extra": dict(self.extra),
            "protected": list(self.protected),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> JudgeResult:
        return cls(
            passed=bool(data["passed"]),
            tools=tuple(ToolVerdict(**v) for v in data.get("tools", [])),
            verifier_problems=tuple(data.get("verifier_problems", [])),
            duration_s=float(data.get("duration_s", 0.0)),
            extra=dict(data.get("extra", {})),
            protected=tuple(data.get("protected", ())),
        )


def parse_mypy(exit_code: int, output: str) -> ToolVerdict:
    found = _MYPY_FOUND.search(output)
    errors = int(found.group(1)) if found else (0 if exit_code == 0 else 1)
    return ToolVerdict("mypy", exit_code, errors, tail=_tail(output))


def parse_ruff_json(exit_code: int, output: str) -> ToolVerdict:
    try:
        diagnostics = json.loads(output) if output.strip() else []
        errors = len(diagnostics) if isinstance(diagnostics, list) else 1
        tail = "\n".join(
            f"{d['filename'].rsplit('/', 1)[-1]}:{d['location']['row']}: {d['code']} {d['message']}"
            for d in diagnostics[:20]
        )
    except (ValueError, KeyError, TypeError):
        errors, tail = (0 if exit_code == 0 else 1), _tail(output)
    return ToolVerdict("ruff", exit_code, errors, tail=tail)


def parse_pytest(exit_code: int, output: str) -> ToolVerdict:
    counts: dict[str, int] = {}
    summary = _pytest_summary_line(output)
    for number, word in _PYTEST_COUNT.findall(summary):
        key = "error" if word.startswith("error") else word
        counts[key] = counts.get(key, 0) + int(number)
    failed, collection = counts.get("failed", 0), counts.get("error", 0)
    # pytest-xdist reports a module that fails to import once per worker; count modules.
    errored = set(_ERROR_LINE.findall(output))
    if errored:
        collection = sum(1 for item in errored if "::" not in item)
        failed += len(errored) - collection  # errors in a test's setup or teardown
    errors = failed + collection
    if exit_code not in (0, 5) and errors == 0:
        errors = 1
    return ToolVerdict(
        "pytest",
        exit_code,
        errors,
        passed=counts.get("passed", 0),
        failed=failed,
        collection_errors=collection,
        skipped=counts.get("skipped", 0),
        tail=_tail(output),
    )


def parse_ruff_format(exit_code: int, output: str) -> ToolVerdict:
    # Read from the summary: recent ruff prints diffs, not a "Would reformat" line per file.
    summary = _RUFF_FORMAT_SUMMARY.search(output)
    errors = int(summary.group(1)) if summary else 0
    return ToolVerdict("ruff-format", exit_code, errors, tail=_tail(output))


def run_judge(
    root: Path,
    commands: Sequence[JudgeCommand],
    problems: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    sandbox: Sandbox | None = None,
    protected: Sequence[str] = (),
) -> JudgeResult:
    """Run each command in `root`; pass = every exit code 0 and no verifier problem. With a
    sandbox, the commands run in it with its environment (the judge runs tests the model
    wrote); without one, in this process's environment with `env` on top."""
    started = time.monotonic()
    verdicts: list[ToolVerdict] = []
    # Without a sandbox, this process's environment with `env` on top.
    sandbox = sandbox or Sandbox(root, "none", dict(env or {}))
    for command in commands:
        try:
            ran = sandbox.run(command.argv, root, _JUDGE_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            ran = 124, f"{command.tool} timed out after {_JUDGE_TIMEOUT_S}s"
        if ran is None:
            problems = [*problems, "the judge was stopped before it finished"]
            break
        code, output = ran
        verdict = _PARSERS[command.tool](code, output)
        if command.informational:
            verdict = replace(verdict, informational=True)
        verdicts.append(verdict)
    passed = all(v.ok or v.informational for v in verdicts) and not problems and not protected
    return JudgeResult(
        passed,
        tuple(verdicts),
        tuple(problems),
        time.monotonic() - started,
        protected=tuple(protected),
    )


def _pytest_summary_line(output: str) -> str:
    for line in reversed(output.strip().splitlines()):
        if _PYTEST_COUNT.search(line):
            return line
    return ""


def _tail(output: str, lines: int = 12, chars: int = 4_000) -> str:
    """The last lines of a tool's output, for the session and the screen; at most `chars`,
    however long the agent's tests made each line."""
    return "\n".join(output.strip().splitlines()[-lines:])[-chars:]


_PARSERS = {
    "mypy": parse_mypy,
    "ruff": parse_ruff_json,
    "pytest": parse_pytest,
    "ruff-format": parse_ruff_format,
}
