"""Where in a TOML file a table, or one of its keys, is: `file:line` for an error message.

tomllib gives values, not positions; an error in a user's file must name the line to fix,
not the top of the file. Used by the arms file and the price file.
"""

from __future__ import annotations

import re


class TablePlace:
    """`file:line` of `[SECTION.NAME]` (or `SECTION.NAME = ...`), or of one of its keys."""

    def __init__(self, text: str, origin: str, section: str, name: str) -> None:
        self.text, self.origin = text, origin
        quoted = rf"\"?{re.escape(name)}\"?"
        section = re.escape(section)
        found = re.compile(
            rf"^[ \t]*(\[\s*{section}\.{quoted}\s*[\].]|{section}\.{quoted}\s*[.=]|{quoted}\s*=)",
            re.MULTILINE,
        ).search(text)
        self.start = found.start() if found else 0

    def __call__(self, *keys: str) -> str:
        """The line of the first of `keys` after the table's start, else the table's line."""
        at = self.start
        for key in keys:
            found = re.compile(rf"(^|[{{,\s]){re.escape(key)}\s*=", re.MULTILINE).search(
                self.text, self.start
            )
            if found:
                at = found.start()
                break
        line = self.text.count("\n", 0, at) + 1
        # The match may begin on the newline before the key.
        if self.text[at : at + 1] == "\n":
            line += 1
        return f"{self.origin}:{line}"
