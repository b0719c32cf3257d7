"""Home's filter: `arm:A task:T1 status:failed` by field, and free words by the start of a field.

Free words match where a field starts, so "A" finds arm A and not the A inside SIMULATED.
"""

from __future__ import annotations

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
            value = lowered[name]
            # Dates match by prefix (`started:2026-12`); everything else exactly.
            if not (value.startswith(wanted) if name == "started" else value == wanted):
                return False
        return all(any(v.startswith(word) for v in lowered.values()) for word in self.words)


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
