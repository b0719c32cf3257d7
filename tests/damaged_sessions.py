"""A corpus of damaged session files, each made from the recorded fixture.

Every file is its own trial (its own trial id), so a comparison of the directory should
count each judged one once, whatever damage it carries.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.compare_fixtures import FIXTURE

BOM = b"\xef\xbb\xbf"


def _lines(trial_id: str) -> list[str]:
    lines = FIXTURE.read_text().splitlines()
    header = json.loads(lines[0]) | {"trial_id": trial_id}
    return [json.dumps(header, separators=(",", ":")), *lines[1:]]


def _first(lines: list[str], kind: str) -> int:
    return next(i for i, line in enumerate(lines) if f'"kind":"{kind}"' in line[:30])


def _edit(lines: list[str], index: int, **changes: object) -> None:
    data = json.loads(lines[index]) | changes
    lines[index] = json.dumps(data, separators=(",", ":"))


def make_damaged_dir(directory: Path) -> dict[str, tuple[Path, int | None]]:
    """name -> (file, the 1-based line a reader must name, or None for the header/BOM)."""
    directory.mkdir(parents=True, exist_ok=True)
    made: dict[str, tuple[Path, int | None]] = {}

    def write(name: str, lines: list[str], line: int | None, prefix: bytes = b"") -> None:
        path = directory / f"{name}.jsonl"
        path.write_bytes(prefix + ("\n".join(lines) + "\n").encode())
        made[name] = (path, line)

    lines = _lines("damaged-wrong-type")
    at = _first(lines, "usage")
    _edit(lines, at, t="soon")
    write("wrong-type", lines, at + 1)

    lines = _lines("damaged-missing-usage-key")
    at = _first(lines, "usage")
    data = json.loads(lines[at])
    del data["usage"]["cache_read"]
    lines[at] = json.dumps(data, separators=(",", ":"))
    write("missing-usage-key", lines, at + 1)

    lines = _lines("damaged-unknown-kind")
    lines.insert(3, json.dumps({"kind": "teleport", "t": 1.0}))
    write("unknown-kind", lines, 4)

    lines = _lines("damaged-duplicated-tail")
    tail = lines[-6:]
    write("duplicated-tail", [*lines, *tail], len(lines) + 1)

    write("bom", _lines("damaged-bom"), None, prefix=BOM)

    lines = _lines("damaged-header-type")
    header = json.loads(lines[0]) | {"seed": "zero"}
    lines[0] = json.dumps(header)
    write("header-type", lines, None)
    return made
