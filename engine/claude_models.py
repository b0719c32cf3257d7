"""A Claude model id read as its family and version: what the rules keyed on "4.6 and
later" (inference region, advisor pairs, sampling parameters, context window) compare."""

from __future__ import annotations

import re

_MODEL = re.compile(r"^claude-(haiku|sonnet|opus|fable)-(\d+)(?:-(\d{1,2}))?(?:-\d{8})?$")


def claude_version(model: str) -> tuple[str, tuple[int, int]] | None:
    """`claude-opus-4-7` -> ("opus", (4, 7)); a dated id reads as its alias; None for any
    other name."""
    found = _MODEL.match(model)
    if found is None:
        return None
    return found.group(1), (int(found.group(2)), int(found.group(3) or 0))
