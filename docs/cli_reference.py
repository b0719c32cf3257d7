"""Print every command's --help as the CLI prints it, for the README's command reference.

Run: COLUMNS=100 .venv/bin/python docs/cli_reference.py; tests/unit/test_readme.py checks the
README holds exactly this.
"""

from __future__ import annotations

import contextlib
import io

from fep_tui.cli import main

COMMANDS = (
    ["run"],
    ["replay"],
    ["batch"],
    ["compare"],
    ["whatif"],
    ["doctor"],
    ["sessions", "list"],
    ["search"],
    ["import", "claude-code"],
    ["import", "codex"],
    ["traces"],
    ["watch"],
    ["tasks", "list"],
    ["tasks", "check"],
    ["sandbox", "run"],
    ["serve"],
)


def reference() -> str:
    blocks = []
    for command in COMMANDS:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            main([*command, "--help"])
        text = "\n".join(line.rstrip() for line in out.getvalue().strip().splitlines())
        blocks.append(f"```\n{text}\n```")
    return "\n\n".join(blocks)


if __name__ == "__main__":
    print(reference())
