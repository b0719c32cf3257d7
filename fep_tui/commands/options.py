"""Options several commands share, declared once, and the CLI's own error.

Light on purpose: every command module imports this, and `--help` of a command imports
that module.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Literal

from cyclopts import Parameter

from engine.errors import FepError


class UsageError(FepError):
    """A flag or argument the command cannot use."""


SessionsDir = Annotated[
    Path | None,
    Parameter(
        name="--sessions-dir",
        help="where session files are (default: $FEP_SESSIONS_DIR or the user data dir)",
    ),
]
ArmsFile = Annotated[
    Path | None,
    Parameter(name="--arms-file", help="TOML file with extra arms (default: $FEP_ARMS_FILE)"),
]
RateCardName = Annotated[
    str,
    Parameter(name="--rate-card", help="price with this card: official or published"),
]
PricesFile = Annotated[
    Path | None,
    Parameter(
        name="--prices",
        help="TOML file pricing models the price database lacks (default: $FEP_PRICES_FILE)",
    ),
]


def use_prices_file(path: Path | None) -> None:
    """Make `path` the user's price file for this process and the trials it starts (Ray
    workers and subprocesses read the variable), after checking it: one line naming the
    file, line and key if it is wrong."""
    from engine.price_file import ENV_VAR, load_price_file, prices_from_environment

    if path is not None:
        load_price_file(path)
        os.environ[ENV_VAR] = str(path.resolve())
    prices_from_environment()


SandboxPolicy = Annotated[
    Literal["auto", "required", "off"] | None,
    Parameter(
        name="--sandbox",
        help="contain the agent's shell and the judge: auto (bubblewrap where it works, else "
        "a clean environment and a warning; the default unless the arm sets `sandbox`), "
        "required (refuse without bubblewrap), off",
    ),
]
Backend = Literal["sim", "live"]
# `--ray` alone is True (a local Ray instance); `--ray ADDRESS` is the address.
Ray = Annotated[
    bool | str | None,
    Parameter(
        name="--ray",
        metavar="[ADDRESS]",
        negative="",
        show_default=False,
        help="run each trial as a Ray task: alone, on a local Ray instance; with `auto` or "
        "`ray://HOST:10001`, on that cluster (needs pip install 'fep-tui[ray]')",
    ),
]
# A bool that is only ever switched on: no --no-X twin, no "[default: False]".
Flag = Parameter(negative="", show_default=False)
Json = Annotated[
    bool, Parameter(name="--json", negative="", show_default=False, help="print JSON instead")
]
