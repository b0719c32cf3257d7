"""The README's command reference is what the CLI prints."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]


def test_the_command_reference_matches_every_commands_help(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    monkeypatch.syspath_prepend(str(ROOT / "docs"))
    from cli_reference import reference

    readme = (ROOT / "README.md").read_text()
    start = readme.index("<!-- cli-reference:start -->\n") + len("<!-- cli-reference:start -->\n")
    end = readme.index("<!-- cli-reference:end -->")
    assert readme[start:end].strip() == reference().strip(), (
        "regenerate it: COLUMNS=100 .venv/bin/python docs/cli_reference.py"
    )
