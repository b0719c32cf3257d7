"""Whether the app can run here: it needs a terminal to read keys from and to draw on.

Textual's Linux driver reads keys from stdin and draws on stderr. Started from a script, a
cron job or `nohup` (stdin at end of file), it still starts, cannot be used, and spins a
core at 100% for as long as it is left. So a command that opens the app asks first: `run`
then prints the trial headless instead, and a command that is nothing but the app stops
with one line.
"""

from __future__ import annotations

import os
import sys

from fep_tui.commands.options import UsageError


def served() -> bool:
    """Started by `fep-tui serve` (textual-serve): the browser is the terminal, and the
    app speaks to it over stdin and stdout, which are pipes."""
    return os.environ.get("TEXTUAL_DRIVER", "").endswith(":WebDriver")


def missing_terminal() -> str | None:
    """Which of stdin and stderr is not a terminal, in words; None when the app can run."""
    if served():
        return None
    missing = [
        name
        for name, stream in (("stdin", sys.stdin), ("stderr", sys.stderr))
        if stream is None or not stream.isatty()
    ]
    if not missing:
        return None
    return (
        f"{missing[0]} is not a terminal"
        if len(missing) == 1
        else "stdin and stderr are not terminals"
    )


def require(instead: str) -> None:
    """Stop with one line, saying what to do `instead`, when the app cannot run here."""
    why = missing_terminal()
    if why is not None:
        raise UsageError(f"the app needs a terminal ({why}); {instead}")
