"""The console every command prints its results through.

A reader that stops early (`fep-tui compare DIR | head`) is not an error. Rich answers a
broken pipe by exiting with status 1, which fails a script run with `set -o pipefail`;
here it raises BrokenPipeError instead, and the command line ends quietly with status 0
(fep_tui/cli.py), whichever command was printing.
"""

from __future__ import annotations

import os
import sys

from rich.console import Console


class Stdout(Console):
    def on_broken_pipe(self) -> None:
        raise BrokenPipeError


def discard_stdout() -> None:
    """Send what is still buffered for a closed pipe nowhere, rather than to one more
    BrokenPipeError when Python flushes standard output at exit."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
