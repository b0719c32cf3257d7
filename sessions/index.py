"""A byte-offset index of a session file, built in one pass, so a large file opens at once.

The pass reads each line's first bytes for its kind and time (events are written with `kind`
and `t` first) and fully parses only the light skeleton events into a `Timeline`. Text
deltas and tool traffic stay on disk until a pane needs a window of them. A line that does
not parse is skipped and named in `problems`; a line cut off at the end marks the file
incomplete.
"""

from __future__ import annotations

import os
import re
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from engine.events import EVENT_TYPES, Event, EventFormatError, decode_event
from sessions.format import SKELETON_KINDS, SessionFileError, TailGuard
from sessions.header import SessionHeader, parse_header
from sessions.timeline import Timeline

# Events are written `{"kind":"...","t":...`; anything else is parsed in full.
_HEAD = re.compile(rb'\{"kind":"([a-z_]+)","t":([-0-9.eE+]+)')
_KINDS = {kind.encode(): kind for kind in EVENT_TYPES}
_BLOCK_BYTES = 4 << 20
Progress = Callable[[int, int], None]


@dataclass
class SessionIndex:
    path: Path
    header: SessionHeader
    offsets: array[int]
    times: array[float]
    data_end: int
    timeline: Timeline
    problems: list[str] = field(default_factory=list)
    _guard: TailGuard = field(default_factory=TailGuard, repr=False)

    @property
    def length(self) -> int:
        return len(self.offsets)

    @property
    def complete(self) -> bool:
        return self.timeline.ended

    def lead_turn_positions(self) -> list[int]:
        return [position for position, _ in self.timeline.lead_turn_starts()]

    @classmethod
    def build(cls, path: Path, progress: Progress | None = None) -> SessionIndex:
        """One pass over the file. `progress(done, total)` is told the bytes read after each
        block; it may raise to stop the build (a user who closed the screen)."""
        try:
            handle = path.open("rb")
        except FileNotFoundError:
            raise SessionFileError(f"{path}: no such session file") from None
        except OSError as exc:
            raise SessionFileError(f"{path}: cannot read ({exc.strerror})") from None
        with handle:
            header_line = handle.readline()
            if not header_line.strip():
                raise SessionFileError(f"{path}: empty file, not a session")
            header = parse_header(header_line, path)
            index = cls(path, header, array("q"), array("d"), 0, Timeline(header))
            total = os.fstat(handle.fileno()).st_size
            index._scan(handle, len(header_line), lambda done: progress and progress(done, total))
        if not index.timeline.ended:
            index.problems.append("no trial_end event: the session is incomplete")
        return index

    def _scan(self, handle: BinaryIO, base: int, read: Callable[[int], object]) -> None:
        # Blocks, not mmap: resident memory stays small however large the file is.
        carry, line_number = b"", 1
        while block := handle.read(_BLOCK_BYTES):
            read(handle.tell())
            lines = (carry + block).split(b"\n")
            carry = lines.pop()
            for line in lines:
                line_number += 1
                if line:
                    self._add_line(line, base, line_number)
                base += len(line) + 1
        self.data_end = base
        if carry.strip():
            note = f"line {line_number + 1}: cut off mid-line (the trial was interrupted)"
            self.problems.append(note)

    def _add_line(self, line: bytes, offset: int, line_number: int) -> None:
        head = _HEAD.match(line)
        repeated = self._guard.problem(line, line_number, head[1] if head else None)
        if repeated is not None:
            self.problems.append(repeated)
            return
        kind = _KINDS.get(head[1]) if head else None
        if kind is None or kind in SKELETON_KINDS:
            try:
                event = decode_event(line)
            except (ValueError, EventFormatError, TypeError, AttributeError) as exc:
                note = f"line {line_number}: skipped a broken event ({_first_line(exc)})"
                self.problems.append(note)
                return
            # Checked whole; usage and turn starts are then held as lines, decoded when read,
            # so a long session's index does not keep every one as an object.
            if not self.timeline.add_line(len(self.offsets), line):
                self.timeline.add(len(self.offsets), event)
            t = event.t
        else:
            assert head is not None
            try:
                t = float(head[2])
            except ValueError:
                self.problems.append(f"line {line_number}: skipped an event with a bad time")
                return
        self.offsets.append(offset)
        self.times.append(t)

    def raw_lines(self, positions: list[int]) -> list[tuple[int, bytes]]:
        """The stored lines of the events at `positions` (ascending), read with one handle."""
        found = []
        with self.path.open("rb") as handle:
            for position in positions:
                handle.seek(self.offsets[position])
                found.append((position, handle.readline().rstrip(b"\n")))
        return found

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
                events.append((start + offset, decode_event(line)))
            except (ValueError, EventFormatError, TypeError, AttributeError) as exc:
                note = f"event {start + offset}: skipped a broken event ({_first_line(exc)})"
                if note not in self.problems:
                    self.problems.append(note)
        return events


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0][:100] if str(exc) else type(exc).__name__
