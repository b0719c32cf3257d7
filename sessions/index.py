"""A byte-offset index of a session file, built in one pass, so a large file opens at once.

The pass reads each line's first bytes for its kind and time (events are written with `kind`
and `t` first) and fully parses only the light skeleton events into a `Timeline`. Text
deltas and tool traffic stay on disk until a pane needs a window of them. A line that does
not parse is skipped and named in `problems`; a line cut off at the end marks the file
incomplete.
"""

from __future__ import annotations

import os
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from engine.events import EVENT_TYPES, Event, EventFormatError, decode_event
from sessions.format import SessionFileError, TailGuard
from sessions.header import SessionHeader, parse_header
from sessions.line_layout import BULK_PREFIXES, HEAD, SKELETON_KINDS
from sessions.timeline import Timeline

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
        # Blocks, not mmap: resident memory stays small however large the file is. A block
        # is indexed up to its last newline, and the next one is read from there.
        line_number, size = 1, _BLOCK_BYTES
        while block := handle.read(size):
            cut = block.rfind(b"\n") + 1
            if cut == 0 and len(block) == size:
                size *= 2  # one line longer than a block
                handle.seek(base)
                continue
            if cut == 0:
                break  # what is left is a last line without its newline
            line_number = self._scan_block(block, cut, base, line_number)
            base, size = base + cut, _BLOCK_BYTES
            read(base)
            if cut < len(block):
                handle.seek(base)
        self.data_end = base
        if block.strip():
            note = f"line {line_number + 1}: cut off mid-line (the trial was interrupted)"
            self.problems.append(note)

    def _scan_block(self, block: bytes, cut: int, base: int, line_number: int) -> int:
        """Index the whole lines in `block[:cut]`, which starts at byte `base`, after line
        `line_number`; returns the number of its last line."""
        # numpy is imported here, not with the module: listing sessions never builds an
        # index, and numpy takes 0.1 s to import.
        import numpy as np

        from sessions.line_heads import block_heads

        heads = block_heads(block, cut, BULK_PREFIXES)
        times, keep = heads.times, ~np.isnan(heads.times)
        first_position, dropped = len(self.offsets), 0
        ended_at = -1 if self._guard.ended else None
        # Bulk lines are always kept, so a line's position is its place in the block less
        # the lines dropped before it, all of which are read here.
        for i in np.flatnonzero(~keep).tolist() if ended_at is None else []:
            start, end = int(heads.starts[i]), int(heads.ends[i])
            t = self._read_line(block[start:end], first_position + i - dropped, line_number + i + 1)
            if t is None:
                dropped += 1
            else:
                times[i], keep[i] = t, True
            if self._guard.ended:
                ended_at = i  # the trial's end: what follows is dropped below
                break
        if ended_at is not None:
            # Every line after the trial's end is named and dropped, bulk lines too.
            for i in range(ended_at + 1, len(heads.ends)):
                keep[i] = False
                line = block[int(heads.starts[i]) : int(heads.ends[i])]
                problem = self._guard.problem(line, line_number + i + 1) if line else None
                if problem is not None:
                    self.problems.append(problem)
        self.offsets.frombytes((heads.starts[keep] + base).tobytes())
        self.times.frombytes(times[keep].tobytes())
        return line_number + len(heads.ends)

    def _read_line(self, line: bytes, position: int, line_number: int) -> float | None:
        """Check one line and fold it if it counts; its time, or None (and a problem) when
        it is dropped."""
        if not line:
            return None
        head = HEAD.match(line)
        repeated = self._guard.problem(line, line_number, head[1] if head else None)
        if repeated is not None:
            self.problems.append(repeated)
            return None
        kind = _KINDS.get(head[1]) if head else None
        if kind is None or kind in SKELETON_KINDS:
            try:
                event = decode_event(line)
            except (ValueError, EventFormatError, TypeError, AttributeError) as exc:
                note = f"line {line_number}: skipped a broken event ({_first_line(exc)})"
                self.problems.append(note)
                return None
            self.timeline.add(position, event, line)
            return event.t
        assert head is not None
        try:
            return float(head[2])
        except ValueError:
            self.problems.append(f"line {line_number}: skipped an event with a bad time")
            return None

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
        for position in range(start, stop):
            # By offset, not by splitting the chunk: dropped lines (broken, blank, repeated)
            # can sit between two indexed ones.
            at = self.offsets[position] - first
            newline = chunk.find(b"\n", at)
            line = chunk[at:newline] if newline >= 0 else chunk[at:]
            try:
                events.append((position, decode_event(line)))
            except (ValueError, EventFormatError, TypeError, AttributeError) as exc:
                note = f"event {position}: skipped a broken event ({_first_line(exc)})"
                if note not in self.problems:
                    self.problems.append(note)
        return events


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0][:100] if str(exc) else type(exc).__name__
