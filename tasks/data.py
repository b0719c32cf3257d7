"""Where tasks keep what they build once per machine: typer's tree and environment, and
mypy caches of the clean trees."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs


def data_dir() -> Path:
    """$FEP_TUI_DATA_DIR, else the platform's user data directory."""
    override = os.environ.get("FEP_TUI_DATA_DIR")
    return Path(override) if override else Path(platformdirs.user_data_dir("fep-tui"))
