"""Reads a session file tolerantly: whole lines load, a cut or broken line is noted, never fatal."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from engine.events import Event, EventFormatError, TrialEnded, decode_event
from sessions.format import SessionFileError, TailGuard
from sessions.header import SessionHeader, parse_header


@dataclass
class Session:
    path: Path
    header: SessionHeader
    events: list[Event]
    problems: list[str] = field(default_factory=list)

    @property
    def end(self) -> TrialEnded | None:
        last = self.events[-1] if self.events else None
        return last if isinstance(last, TrialEnded) else None

    @property
    def complete(self) -> bool:
        return self.end is not None


def load_session(path: Path) -> Session:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise SessionFileError(f"{path}: no such session file") from None
    except OSError as exc:
        raise SessionFileError(f"{path}: cannot read ({exc.strerror})") from None
    if not raw.strip():
        raise SessionFileError(f"{path}: empty file, not a session")
    lines = raw.split(b"\n")
    header = parse_header(lines[0], path)
    session = Session(path, header, [])
    cut_last = not raw.endswith(b"\n")
    guard = TailGuard()
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        repeated = guard.problem(line, number)
        if repeated is not None:
            session.problems.append(repeated)
            continue
        try:
            session.events.append(decode_event(line))
        except (ValueError, EventFormatError, TypeError) as exc:
            is_last = number == len(lines)
            if is_last and cut_last:
                session.problems.append(
                    f"line {number}: cut off mid-line (the trial was interrupted)"
                )
            else:
                session.problems.append(f"line {number}: skipped a broken event ({_short(exc)})")
    if not session.complete:
        session.problems.append("no trial_end event: the session is incomplete")
    return session


def _short(exc: Exception) -> str:
    return str(exc).splitlines()[0][:120]
