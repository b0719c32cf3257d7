"""The agent's tools: `str_replace_editor` and `bash`, both working inside one workspace.

Every path the editor touches is resolved and must stay inside the workspace; an escape
(`..`, an absolute path elsewhere, a symlink pointing out) is refused as a tool error the
model sees, and reported so the trial can log it.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from engine.messages import SOURCE_TOOLS, ToolSpec, ToolUseBlock
from tasks.harness import report
from tasks.judge import HARNESS_COMMAND, JudgeResult
from tasks.output_budget import READ_CHUNK, OutputBudget
from tasks.sandbox import Sandbox, kill_group
from tasks.workspace_files import UnsafeEntry, read_text, write_bytes

BASH_TIMEOUT_S = 120.0
# Runs the task's judge from fep-tui, outside the agent's reach (see Bash._run_harness).
HarnessRunner = Callable[[], Awaitable[JudgeResult]]
OUTPUT_CAP_CHARS = 16_000
_VIEW_LIMIT_LINES = 2_000


@dataclass(frozen=True)
class PathRefusal:
    path: str
    reason: str


@dataclass(frozen=True)
class ToolOutcome:
    content: str
    is_error: bool = False
    refusal: PathRefusal | None = None
    source: str = SOURCE_TOOLS
    # The harness result, when the command ran the task's harness (`fep-check`).
    harness: dict[str, Any] | None = None


class Tool(Protocol):
    spec: ToolSpec

    async def run(self, call: ToolUseBlock) -> ToolOutcome: ...


class WorkspaceEscape(Exception):
    def __init__(self, path: str, reason: str) -> None:
        super().__init__(reason)
        self.path = path
        self.reason = reason


def resolve_in_workspace(root: Path, raw: str) -> Path:
    """The real path `raw` names, or WorkspaceEscape if it lies outside `root`."""
    if not raw or "\x00" in raw:
        raise WorkspaceEscape(raw, "empty or invalid path")
    base = root.resolve()
    candidate = Path(raw)
    joined = candidate if candidate.is_absolute() else base / candidate
    if not Path(os.path.normpath(joined)).is_relative_to(base):
        if candidate.is_absolute():
            raise WorkspaceEscape(raw, "absolute path outside the workspace")
        raise WorkspaceEscape(raw, "'..' leads outside the workspace")
    resolved = joined.resolve()
    if not resolved.is_relative_to(base):
        raise WorkspaceEscape(raw, "path leaves the workspace through a symlink")
    return resolved


def cap_output(text: str, limit: int = OUTPUT_CAP_CHARS) -> str:
    """Keep the head and the tail; the middle of a long output is rarely what matters."""
    if len(text) <= limit:
        return text
    half = limit // 2
    cut = len(text) - 2 * half
    return f"{text[:half]}\n[... {cut} characters cut ...]\n{text[-half:]}"


EDITOR_SPEC = ToolSpec(
    name="str_replace_editor",
    description=(
        "View, create and edit files in the workspace. `view` shows a file with line numbers "
        "(or lists a directory); `create` writes a new file; `str_replace` replaces one exact, "
        "unique occurrence of old_str with new_str; `insert` adds new_str after line insert_line "
        "(0 for the top). Paths are relative to the workspace root."
    ),
    input_schema={
        "type": "object",
        "properties": {
            "command": {"type": "string", "enum": ["view", "create", "str_replace", "insert"]},
            "path": {"type": "string", "description": "File or directory path."},
            "file_text": {"type": "string", "description": "Content for `create`."},
            "old_str": {"type": "string", "description": "Exact text to replace."},
            "new_str": {"type": "string", "description": "Replacement or inserted text."},
            "insert_line": {"type": "integer", "description": "Line to insert after."},
            "view_range": {
                "type": "array",
                "items": {"type": "integer"},
                "description": "[start, end] lines for `view`; end -1 means to the end.",
            },
        },
        "required": ["command", "path"],
    },
)


def bash_spec(timeout_s: float) -> ToolSpec:
    return ToolSpec(
        name="bash",
        description=(
            "Run a bash command in the workspace root and return its exit code and combined "
            f"output. Commands time out after {int(timeout_s)} s; long output is cut in the "
            "middle. mypy, ruff and pytest are on PATH."
        ),
        input_schema={
            "type": "object",
            "properties": {"command": {"type": "string", "description": "The command to run."}},
            "required": ["command"],
        },
    )


class StrReplaceEditor:
    """Runs in fep-tui's own process, on a tree the agent shapes: every file is read and
    written through `tasks.workspace_files`, never through a link, a FIFO or a device."""

    spec = EDITOR_SPEC

    def __init__(self, root: Path, owner: tuple[int, int] | None = None) -> None:
        self.root = root
        # Who must own what the editor makes: the sandbox's user, so the agent's shell
        # can change it afterwards (None: the user running fep-tui).
        self.owner = owner

    async def run(self, call: ToolUseBlock) -> ToolOutcome:
        args = call.input
        raw_path = str(args.get("path", ""))
        try:
            path = resolve_in_workspace(self.root, raw_path)
        except WorkspaceEscape as escape:
            message = f"Error: refused: {escape.reason} ({raw_path!r})"
            return ToolOutcome(message, True, PathRefusal(raw_path, escape.reason))
        try:
            return ToolOutcome(self._dispatch(str(args.get("command", "")), path, args))
        except _EditorError as exc:
            return ToolOutcome(f"Error: {exc}", True)
        except UnsafeEntry as exc:
            return ToolOutcome(f"Error: refused: {exc}", True)
        except OSError as exc:
            return ToolOutcome(f"Error: {raw_path}: {exc.strerror or exc}", True)

    def _dispatch(self, command: str, path: Path, args: dict[str, Any]) -> str:
        rel = path.relative_to(self.root.resolve()) if path != self.root.resolve() else Path(".")
        if command == "view":
            return self._view(path, rel, args.get("view_range"))
        if command == "create":
            text = _require_str(args, "file_text")
            write_bytes(self.root.resolve(), rel.as_posix(), text.encode(), self.owner)
            return f"Created {rel} ({len(text.splitlines())} lines)."
        if command == "str_replace":
            return self._str_replace(path, rel, _require_str(args, "old_str"), args)
        if command == "insert":
            return self._insert(path, rel, args)
        raise _EditorError(f"unknown command {command!r}; use view, create, str_replace or insert")

    def _view(self, path: Path, rel: Path, view_range: Any) -> str:
        if path.is_dir():
            entries = sorted(
                str(p.relative_to(path)) + ("/" if p.is_dir() else "")
                for p in path.rglob("*")
                if not any(
                    part.startswith(".") or part == "__pycache__"
                    for part in p.relative_to(path).parts
                )
                and len(p.relative_to(path).parts) <= 2
            )
            return f"Contents of {rel}/:\n" + "\n".join(entries)
        if not path.exists():
            raise _EditorError(f"{rel} does not exist")
        lines = self._read(rel).splitlines()
        start, end = 1, len(lines)
        if isinstance(view_range, list) and len(view_range) == 2:
            start = max(1, int(view_range[0]))
            end = len(lines) if int(view_range[1]) == -1 else min(len(lines), int(view_range[1]))
        shown = lines[start - 1 : end][:_VIEW_LIMIT_LINES]
        numbered = "\n".join(f"{n:6}\t{line}" for n, line in enumerate(shown, start))
        # Capped like bash output: a file of very long lines (minified, generated) would
        # otherwise fill a local model's context in one call.
        return cap_output(f"{rel}:\n{numbered}")

    def _str_replace(self, path: Path, rel: Path, old: str, args: dict[str, Any]) -> str:
        if not path.is_file():
            raise _EditorError(f"{rel} is not a file")
        # Required, never defaulted: a cut or careless call without new_str would delete
        # old_str and report success.
        new = _require_str(args, "new_str")
        text = self._read(rel)
        count = text.count(old)
        if count == 0:
            raise _EditorError(f"no match for old_str in {rel}; view the file and copy it exactly")
        if count > 1:
            raise _EditorError(f"old_str occurs {count} times in {rel}; include more context")
        self._write(rel, text.replace(old, new))
        line = text[: text.index(old)].count("\n") + 1
        return f"Edited {rel}: replaced {len(old.splitlines())} line(s) at line {line}."

    def _insert(self, path: Path, rel: Path, args: dict[str, Any]) -> str:
        if not path.is_file():
            raise _EditorError(f"{rel} is not a file")
        after = args.get("insert_line")
        if not isinstance(after, int):
            raise _EditorError("insert needs an integer insert_line")
        lines = self._read(rel).splitlines(keepends=True)
        if not 0 <= after <= len(lines):
            raise _EditorError(f"insert_line {after} is outside 0..{len(lines)}")
        new = _require_str(args, "new_str")
        lines.insert(after, new if new.endswith("\n") else new + "\n")
        self._write(rel, "".join(lines))
        return f"Inserted {len(new.splitlines())} line(s) into {rel} after line {after}."

    def _read(self, rel: Path) -> str:
        return read_text(self.root.resolve(), rel.as_posix())

    def _write(self, rel: Path, text: str) -> None:
        write_bytes(self.root.resolve(), rel.as_posix(), text.encode(), self.owner)


class Bash:
    def __init__(
        self,
        root: Path,
        timeout_s: float = BASH_TIMEOUT_S,
        env: Mapping[str, str] | None = None,
        sandbox: Sandbox | None = None,
        harness: HarnessRunner | None = None,
    ) -> None:
        self.root = root
        self.timeout_s = timeout_s
        self.harness = harness
        # Without a sandbox, the user's own shell (the task's variables on top).
        self.sandbox = sandbox or Sandbox(root, "none", dict(env or {}))
        self.spec = bash_spec(timeout_s)

    async def run(self, call: ToolUseBlock) -> ToolOutcome:
        command = call.input.get("command")
        if not isinstance(command, str) or not command.strip():
            return ToolOutcome("Error: bash needs a non-empty command", True)
        if self.harness is not None and command.strip() == HARNESS_COMMAND:
            return await self._run_harness(self.harness)
        launch = self.sandbox.launch([self._shell(), "-c", command])
        try:
            # A new session: the timeout kills the whole group, bubblewrap and all it runs.
            proc = await asyncio.create_subprocess_exec(
                *launch.argv,
                preexec_fn=launch.preexec,
                pass_fds=launch.pass_fds,
                cwd=self.root,
                env=launch.env,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
                start_new_session=True,
            )
        except OSError as exc:
            return ToolOutcome(f"Error: cannot start bash ({exc.strerror or exc})", True)
        finally:
            launch.close()
        budget = OutputBudget(OUTPUT_CAP_CHARS // 2, OUTPUT_CAP_CHARS // 2)
        try:
            # Not wait_for: in Python 3.11 it loses a cancellation that arrives as the
            # command ends, and the cancelled trial runs on.
            async with asyncio.timeout(self.timeout_s):
                await _read_into(proc, budget)
        except TimeoutError:
            kill_group(proc.pid)
            await proc.wait()
            return ToolOutcome(f"Error: command timed out after {self.timeout_s:g} s", True)
        except asyncio.CancelledError:
            # Reaped before the cancellation goes on, so no process or pipe outlives the
            # trial's loop (the app stops its engine loop right after).
            kill_group(proc.pid)
            await proc.wait()
            raise
        return ToolOutcome(f"exit code: {proc.returncode}\n{budget.text()}")

    async def _run_harness(self, harness: HarnessRunner) -> ToolOutcome:
        """`fep-check`, answered by fep-tui itself: it runs the task's judge (in the sandbox,
        as the final judge does) and records the result it got. The agent's own output is
        never read as a check result, so no `echo` can forge one."""
        result = await harness()
        code = 0 if result.passed else 1
        return ToolOutcome(
            f"exit code: {code}\n{cap_output(report(result))}", harness=result.to_dict()
        )

    def _shell(self) -> str:
        return shutil.which("bash", path=self.sandbox.environment().get("PATH")) or "/bin/bash"


async def _read_into(proc: asyncio.subprocess.Process, budget: OutputBudget) -> None:
    """Read the command's output as it comes, keeping only the budget's head and tail: an
    agent printing a gigabyte costs a few kilobytes here."""
    assert proc.stdout is not None
    while chunk := await proc.stdout.read(READ_CHUNK):
        budget.feed(chunk)
    await proc.wait()


class _EditorError(Exception):
    pass


def _require_str(args: dict[str, Any], key: str) -> str:
    value = args.get(key)
    if not isinstance(value, str):
        raise _EditorError(f"missing string argument {key!r}")
    return value
