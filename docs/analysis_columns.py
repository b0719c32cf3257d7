"""Write the column tables of docs/analysis.md from fep_tui.analysis's column specs.

Run: .venv/bin/python docs/analysis_columns.py (tests/unit/test_analysis.py checks the file
is current).
"""

from __future__ import annotations

from pathlib import Path

from fep_tui.analysis import (
    CALL_COLUMNS,
    DELEGATION_COLUMNS,
    ROLE_COLUMNS_DOC,
    TRIAL_COLUMNS,
    Column,
)

DOC = Path(__file__).with_name("analysis.md")
START, END = "<!-- columns:start -->", "<!-- columns:end -->"


def _table(title: str, columns: tuple[Column, ...], after: str = "") -> str:
    lines = [f"### {title}", "", "| column | type | what it is |", "|---|---|---|"]
    lines += [f"| `{c.name}` | {c.dtype} | {c.doc} |" for c in columns]
    if after:
        lines += ["", after]
    return "\n".join(lines)


def columns_text() -> str:
    return "\n\n".join(
        [
            _table("trials_df", TRIAL_COLUMNS, f"Then {ROLE_COLUMNS_DOC}."),
            _table("calls_df", CALL_COLUMNS),
            _table("delegations_df", DELEGATION_COLUMNS),
        ]
    )


def render(text: str) -> str:
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    return f"{head}{START}\n{columns_text()}\n{END}{tail}"


if __name__ == "__main__":
    DOC.write_text(render(DOC.read_text()))
