"""Output read as a stream into a fixed budget: the head, the tail, and a count of the rest.

The agent decides what its commands print, and so does every test it writes for the judge.
Reading a command's output whole (`communicate()`) let one `yes` or a conftest printing
1 GiB take gigabytes of fep-tui's memory. Everything that runs a command in a workspace
reads through an `OutputBudget`, so memory stays flat whatever is printed.
"""

from __future__ import annotations

import os
import selectors
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

READ_CHUNK = 64 * 1024


@dataclass
class OutputBudget:
    """Keeps the first `head` and the last `tail` bytes fed to it; counts what falls between."""

    head: int
    tail: int
    _head: bytearray = field(default_factory=bytearray)
    _tail: bytearray = field(default_factory=bytearray)
    total: int = 0

    def feed(self, chunk: bytes) -> None:
        self.total += len(chunk)
        room = self.head - len(self._head)
        if room > 0:
            self._head += chunk[:room]
            chunk = chunk[room:]
        if chunk and self.tail > 0:
            self._tail += chunk
            if len(self._tail) > self.tail:
                del self._tail[: len(self._tail) - self.tail]

    @property
    def cut(self) -> int:
        return self.total - len(self._head) - len(self._tail)

    def text(self) -> str:
        """What was kept, decoded with replacement; a cut is marked where it happened."""
        head = self._head.decode(errors="replace")
        if not self.cut:
            return head + self._tail.decode(errors="replace")
        tail = self._tail.decode(errors="replace")
        return f"{head}\n[... {self.cut:,} bytes of output cut ...]\n{tail}"


@dataclass(frozen=True)
class Drained:
    """A finished command: its exit code and each stream's budget."""

    returncode: int
    streams: tuple[OutputBudget, ...]

    def text(self) -> str:
        return "".join(stream.text() for stream in self.streams)


def drain(
    proc: subprocess.Popen[bytes], budgets: Sequence[OutputBudget], timeout_s: float
) -> Drained:
    """Read `proc`'s stdout (and stderr, when piped) into `budgets` until both close and it
    exits. Raises subprocess.TimeoutExpired at the deadline; the caller kills the process."""
    pipes = [p for p in (proc.stdout, proc.stderr) if p is not None]
    deadline = time.monotonic() + timeout_s
    with selectors.DefaultSelector() as selector:
        for budget, pipe in zip(budgets, pipes, strict=True):
            selector.register(pipe, selectors.EVENT_READ, budget)
        while selector.get_map():
            left = deadline - time.monotonic()
            if left <= 0:
                raise subprocess.TimeoutExpired(proc.args, timeout_s)
            for key, _ in selector.select(left):
                chunk = os.read(key.fd, READ_CHUNK)
                if chunk:
                    key.data.feed(chunk)
                else:
                    selector.unregister(key.fileobj)
    left = max(0.0, deadline - time.monotonic())
    return Drained(proc.wait(timeout=left), tuple(budgets))
