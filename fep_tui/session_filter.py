"""Home's filter: `arm:A task:T1 status:failed` by field, and free words by the start of a field.

Free words match where a field or a word of it starts, so "A" finds arm A and not the A
inside SIMULATED, and "judged" or "claude" find an imported trace (`not judged`,
`MEASURED (Claude Code)`). A field's value of several words is written with hyphens
(`status:not-judged`); `source:` matches the source's first word (`source:measured`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sessions import SessionSummary

FIELDS = ("arm", "task", "seed", "status", "source", "started", "id")
ALIASES = {"outcome": "status", "trial": "id"}


class FilterError(ValueError):
    pass


def field_values(summary: SessionSummary, status: str) -> dict[str, str]:
    return {
        "arm": summary.arm,
        "task": summary.task,
        "seed": str(summary.seed),
        "status": status,
        "source": summary.source,
        "started": summary.started_at,
        "id": summary.trial_id,
    }


@dataclass(frozen=True)
class SessionFilter:
    fields: dict[str, str] = field(default_factory=dict)
    words: tuple[str, ...] = ()

    def matches(self, values: dict[str, str]) -> bool:
        lowered = {k: v.lower() for k, v in values.items()}
        for name, wanted in self.fields.items():
            if not _field_matches(name, lowered[name], wanted):
                return False
        starts = [w for v in lowered.values() for w in (v, *_WORDS.split(v)) if w]
        return all(any(s.startswith(word) for s in starts) for word in self.words)


_WORDS = re.compile(r"[\s()]+")


def _field_matches(name: str, value: str, wanted: str) -> bool:
    # Dates match by prefix (`started:2026-12`); everything else exactly, a value of
    # several words with hyphens for its spaces.
    if name == "started":
        return value.startswith(wanted)
    if name == "source" and value.split(" ", 1)[0] == wanted:
        return True
    return wanted in (value, "-".join(_WORDS.split(value)).strip("-"))


def parse_filter(text: str) -> SessionFilter:
    fields: dict[str, str] = {}
    words: list[str] = []
    for token in text.lower().split():
        name, colon, value = token.partition(":")
        if not colon:
            words.append(token)
            continue
        name = ALIASES.get(name, name)
        if name not in FIELDS:
            raise FilterError(f"no field {name!r} to filter by: use {', '.join(FIELDS)}")
        if value:
            fields[name] = value
    return SessionFilter(fields, tuple(words))
