"""The console every command prints its results through.

A reader that stops early (`fep-tui compare DIR | head`) is not an error. Rich answers a
broken pipe by exiting with status 1, which fails a script run with `set -o pipefail`;
here it raises BrokenPipeError instead, and the command line ends quietly with status 0
(fep_tui/cli.py), whichever command was printing.
"""

from __future__ import annotations

from rich.console import Console


class Stdout(Console):
    def on_broken_pipe(self) -> None:
        raise BrokenPipeError
