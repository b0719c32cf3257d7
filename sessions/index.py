"""A byte-offset index of a session file, built in one pass, so a large file opens at once.

The pass reads each line's first bytes for its kind and time (events are written with `kind`
and `t` first) and fully parses only the light skeleton events into a `Timeline`. Text
deltas and tool traffic stay on disk until a pane needs a window of them. A line that does
not parse is skipped and named in `problems`; a line cut off at the end marks the file
incomplete.
"""

from __future__ import annotations

import json
import mmap
from array import array
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.events import EVENT_TYPES, Event, EventFormatError, event_from_dict
from sessions.format import SessionFileError
from sessions.reader import parse_header
from sessions.timeline import SKELETON_KINDS, Timeline

_PREFIX = b'{"kind":"'
_HEAD_BYTES = 96


@dataclass
class SessionIndex:
    path: Path
    header: dict[str, Any]
    offsets: array[int]
    times: array[float]
    data_end: int
    timeline: Timeline
    problems: list[str] = field(default_factory=list)

    @property
    def length(self) -> int:
        return len(self.offsets)

    @property
    def complete(self) -> bool:
        return self.timeline.snapshot().end is not None

    @property
    def simulated(self) -> bool:
        return bool(self.header.get("simulated", True))

    def lead_turn_positions(self) -> list[int]:
        return [position for position, _ in self.timeline.lead_turn_starts()]

    @classmethod
    def build(cls, path: Path) -> SessionIndex:
        try:
            handle = path.open("rb")
        except FileNotFoundError:
            raise SessionFileError(f"{path}: no such session file") from None
        except OSError as exc:
            raise SessionFileError(f"{path}: cannot read ({exc.strerror})") from None
        with handle:
            size = path.stat().st_size
            if size == 0:
                raise SessionFileError(f"{path}: empty file, not a session")
            with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
                return cls._scan(path, data, size)

    @classmethod
    def _scan(cls, path: Path, data: mmap.mmap, size: int) -> SessionIndex:
        first_end = data.find(b"\n")
        header_line = data[: first_end if first_end >= 0 else size]
        if not header_line.strip():
            raise SessionFileError(f"{path}: empty file, not a session")
        header = parse_header(header_line.decode("utf-8", errors="replace"), path)
        index = cls(path, header, array("q"), array("d"), size, Timeline(header))
        position = first_end + 1 if first_end >= 0 else size
        line_number = 1
        while position < size:
            line_number += 1
            end = data.find(b"\n", position)
            if end < 0:
                index.problems.append(
                    f"line {line_number}: cut off mid-line (the trial was interrupted)"
                )
                index.data_end = position
                break
            if end > position:
                index._add_line(data, position, end, line_number)
            position = end + 1
        if index.timeline.snapshot().end is None:
            index.problems.append("no trial_end event: the session is incomplete")
        return index

    def _add_line(self, data: mmap.mmap, start: int, end: int, line_number: int) -> None:
        head = data[start : min(end, start + _HEAD_BYTES)]
        kind, t = _kind_and_time(head)
        if kind is None or kind in SKELETON_KINDS:
            try:
                parsed = json.loads(data[start:end])
                event = event_from_dict(parsed)
            except (ValueError, EventFormatError, TypeError, AttributeError) as exc:
                self.problems.append(
                    f"line {line_number}: skipped a broken event ({_first_line(exc)})"
                )
                return
            kind, t = event.kind, event.t
            self.timeline.add(len(self.offsets), event)
        elif kind not in EVENT_TYPES:
            self.problems.append(f"line {line_number}: skipped an unknown event kind {kind!r}")
            return
        self.offsets.append(start)
        self.times.append(t)

    def read(self, start: int, stop: int) -> list[tuple[int, Event]]:
        """Events [start, stop) with their positions; broken lines are skipped and noted."""
        start, stop = max(0, start), min(self.length, stop)
        if start >= stop:
            return []
        first = self.offsets[start]
        last = self.offsets[stop] if stop < self.length else self.data_end
        with self.path.open("rb") as handle:
            handle.seek(first)
            chunk = handle.read(last - first)
        events = []
        for offset, line in enumerate(chunk.split(b"\n")[: stop - start]):
            try:
                events.append((start + offset, event_from_dict(json.loads(line))))
            except (ValueError, EventFormatError, TypeError, AttributeError) as exc:
                note = f"event {start + offset}: skipped a broken event ({_first_line(exc)})"
                if note not in self.problems:
                    self.problems.append(note)
        return events


def _kind_and_time(head: bytes) -> tuple[str | None, float]:
    if not head.startswith(_PREFIX):
        return None, 0.0
    quote = head.find(b'"', len(_PREFIX))
    kind = head[len(_PREFIX) : quote].decode("ascii", errors="replace")
    t_at = head.find(b'"t":', quote)
    if t_at < 0:
        return None, 0.0
    t_end = t_at + 4
    while t_end < len(head) and head[t_end] not in b",}":
        t_end += 1
    try:
        return kind, float(head[t_at + 4 : t_end])
    except ValueError:
        return None, 0.0


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0][:100] if str(exc) else type(exc).__name__
