"""Reading a file the user named (an arms file, a price file, a `--script` plan).

A problem with it is one the user can fix, so it comes back as the caller's `FepError` in
one line naming the file: missing, unreadable, not text, not TOML. Any other error here
(a binary arms file raised UnicodeDecodeError) ended the command in a traceback.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from engine.errors import FepError
from engine.toml_place import TablePlace


def read_user_text(path: Path, what: str, error: type[FepError], hint: str) -> str:
    """The file's text; `what` names it ("arms file"), `hint` says where the name came
    from, for when there is no such file."""
    try:
        return path.read_text()
    except FileNotFoundError:
        raise error(f"{path}: no such {what}; {hint}") from None
    except IsADirectoryError:
        raise error(f"{path}: is a directory, not a {what}; {hint}") from None
    except OSError as exc:
        raise error(f"{path}: cannot read the {what} ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise error(f"{path}: the {what} is not UTF-8 text") from None


def section_tables(
    data: dict[str, Any], text: str, origin: str, section: str, error: type[FepError], shape: str
) -> list[tuple[str, dict[str, Any], TablePlace]]:
    """The `[SECTION.NAME]` tables of a parsed file, each with where it stands (for the
    messages about its keys); `shape` is how such a table is written, for the message when
    there is none."""
    found = data.get(section)
    if not isinstance(found, dict) or not found:
        raise error(f"{origin}: no {shape} tables found")
    tables = []
    for name, table in found.items():
        where = TablePlace(text, origin, section, name)
        if not isinstance(table, dict):
            raise error(f"{where()}: {section}.{name} must be a table")
        tables.append((name, table, where))
    return tables


def parse_toml(text: str, origin: str, error: type[FepError]) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{origin}: not valid TOML: {exc}") from None
