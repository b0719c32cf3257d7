"""Where a Claude Code session's files are.

Sessions live at `~/.claude/projects/<project-dir>/<session-id>.jsonl`. A session's subagent
work has been written in three ways:

- inline, as sidechain lines (`isSidechain: true`) in the session file itself (older
  versions);
- `agent-<id>.jsonl` beside the session files, each line naming its `sessionId`;
- `<session-id>/subagents/agent-<id>.jsonl` (current versions), with an
  `agent-<id>.meta.json` beside it naming its type (`{"agentType": "Explore"}`), and
  `<session-id>/subagents/workflows/<workflow-id>/agent-<id>.jsonl` for a workflow's agents.

`agent-acompact-*` files are Claude Code's own compaction calls, not delegations.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import msgspec

from engine.errors import FepError
from sessions.analysis.claude_code.transcript import transcript_problem

AGENT_PREFIX = "agent-"
COMPACTION_PREFIX = "agent-acompact"
WORKFLOWS = "workflows"
SUFFIX = ".jsonl"


class TraceInputError(FepError, ValueError):
    pass


def default_projects_dir() -> Path:
    """Where Claude Code keeps sessions: `$CLAUDE_CONFIG_DIR/projects`, else
    `~/.claude/projects`."""
    config = os.environ.get("CLAUDE_CONFIG_DIR")
    return (Path(config) if config else Path.home() / ".claude") / "projects"


@dataclass(frozen=True)
class SessionFiles:
    main: Path
    agents: tuple[Path, ...] = ()
    compaction: tuple[Path, ...] = ()

    @property
    def session_id(self) -> str:
        return self.main.stem

    @property
    def project(self) -> str:
        return self.main.parent.name

    def all(self) -> tuple[Path, ...]:
        return (self.main, *self.agents)


@dataclass
class _Project:
    """A project directory's sessions, and its side-by-side agent files by session id
    (read from each agent file's first line, once per directory)."""

    directory: Path
    sessions: list[Path] = field(default_factory=list)
    beside: dict[str, list[Path]] = field(default_factory=dict)
    subdirectories: set[str] = field(default_factory=set)


class _Head(msgspec.Struct):
    sessionId: str | None = None  # Claude Code's field name


def sessions_under(path: Path) -> Iterator[SessionFiles]:
    """Every session in `path`: one session file, a project directory, or a directory of
    project directories (`~/.claude/projects`)."""
    path = path.expanduser().absolute()
    if path.is_file():
        if path.name.startswith(AGENT_PREFIX):
            raise TraceInputError(
                f"{path} is a subagent's file; pass its session's file or its project directory"
            )
        problem = transcript_problem(path)
        if problem is not None:
            raise TraceInputError(problem)
        yield _files_of(path, _project(path.parent, sessions=False))
        return
    if not path.is_dir():
        raise TraceInputError(f"{path}: no such file or directory")
    projects = [path] if _has_sessions(path) else sorted(p for p in path.iterdir() if p.is_dir())
    for directory in projects:
        project = _project(directory, sessions=True)
        for session in project.sessions:
            yield _files_of(session, project)


def session_files(main: Path) -> SessionFiles:
    """The files of the session whose main file is `main`, found again (a live session
    gains agent files as it goes); `main` is not checked again."""
    return _files_of(main, _project(main.parent, sessions=False))


def _has_sessions(directory: Path) -> bool:
    return any(
        p.suffix == SUFFIX and not p.name.startswith(AGENT_PREFIX) for p in directory.iterdir()
    )


def _jsonl_names(directory: Path) -> tuple[list[str], set[str]]:
    """The .jsonl file names in `directory` and its subdirectory names, from one scandir:
    listing 10,000 sessions with glob and a stat each took 0.6 s."""
    files, dirs = [], set()
    with os.scandir(directory) as entries:
        for entry in entries:
            if entry.name.endswith(SUFFIX):
                files.append(entry.name)
            elif entry.is_dir():
                dirs.add(entry.name)
    return sorted(files), dirs


def _project(directory: Path, *, sessions: bool) -> _Project:
    project = _Project(directory)
    names, project.subdirectories = _jsonl_names(directory)
    for name in names:
        if name.startswith(AGENT_PREFIX):
            agent = directory / name
            session_id = _first_session_id(agent)
            if session_id:
                project.beside.setdefault(session_id, []).append(agent)
        elif sessions:
            project.sessions.append(directory / name)
    return project


def _files_of(main: Path, project: _Project) -> SessionFiles:
    found: list[Path] = []
    if main.stem in project.subdirectories:
        nested = main.parent / main.stem / "subagents"
        with contextlib.suppress(FileNotFoundError, NotADirectoryError):
            names, dirs = _jsonl_names(nested)
            found = [nested / n for n in names if n.startswith(AGENT_PREFIX)]
            if WORKFLOWS in dirs:
                found += _workflow_agents(nested / WORKFLOWS)
    found += project.beside.get(main.stem, [])
    agents = tuple(p for p in found if not p.name.startswith(COMPACTION_PREFIX))
    compaction = tuple(p for p in found if p.name.startswith(COMPACTION_PREFIX))
    return SessionFiles(main, agents, compaction)


def _workflow_agents(directory: Path) -> list[Path]:
    found: list[Path] = []
    for workflow in sorted(p for p in directory.iterdir() if p.is_dir()):
        names, _ = _jsonl_names(workflow)
        found += [workflow / n for n in names if n.startswith(AGENT_PREFIX)]
    return found


class _Meta(msgspec.Struct):
    agentType: str | None = None  # Claude Code's field name


_META = msgspec.json.Decoder(_Meta)


def agent_type(agent: Path) -> str | None:
    """The type an agent file's `.meta.json` gives it (`Explore`), if it has one; an agent
    under `workflows/` without one is a `workflow` agent."""
    meta = agent.with_name(agent.stem + ".meta.json")
    try:
        given = _META.decode(meta.read_bytes()).agentType
    except (OSError, msgspec.DecodeError):
        given = None
    if given:
        return given
    return "workflow" if agent.parent.parent.name == WORKFLOWS else None


_HEAD = msgspec.json.Decoder(_Head)


def _first_session_id(path: Path) -> str | None:
    try:
        with path.open("rb") as handle:
            for raw in handle:
                if raw.strip():
                    return _HEAD.decode(raw).sessionId
    except (OSError, msgspec.DecodeError, msgspec.ValidationError):
        return None
    return None
