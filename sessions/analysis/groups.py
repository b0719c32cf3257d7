"""Which trials form one group in a comparison, and how a group is named.

A group is one task, one arm name, one configuration (its fingerprint) and one source. When
an arm name covers more than one group on a task, each is labelled by what differs
(`A · published card`, `B · cap 1000 chars`, `B · published`), so a table, chart or test
never pools trials run under different terms.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Protocol, TypeVar

import msgspec

from sessions.analysis.table import group_by
from sessions.analysis.trial_row import TrialRow

GROUP_KEYS = ("task", "arm_name", "source", "config")


class _Named(Protocol):
    @property
    def task(self) -> str: ...
    @property
    def arm_name(self) -> str: ...


class Grouped(_Named, Protocol):
    """What names a trial's group: a TrialRow, or a re-priced session (`whatif DIR`)."""

    @property
    def source(self) -> str: ...
    @property
    def config(self) -> str: ...
    @property
    def configuration(self) -> str: ...


class Labelled(_Named, Protocol):
    @property
    def arm(self) -> str: ...


G = TypeVar("G", bound=Grouped)


def group_labels(rows: Sequence[G]) -> list[str]:
    """Each row's group label: the arm name, or the name and what sets it apart."""
    labels: dict[GroupKey, str] = {}
    for (_, name), same_name in group_by(rows, ("task", "arm_name")).items():
        # Each group's first row, in the order the groups first appear.
        firsts: dict[GroupKey, G] = {}
        for r in same_name:
            firsts.setdefault(_group_key(r), r)
        keys = list(firsts)
        if len(keys) == 1:
            labels[keys[0]] = str(name)
            continue
        configurations = [_parse(r.configuration) for r in firsts.values()]
        sources = {k[2] for k in keys}
        for key, configuration in zip(keys, configurations, strict=True):
            parts = [key[2].lower()] if len(sources) > 1 else []
            same_source = [c for k, c in zip(keys, configurations, strict=True) if k[2] == key[2]]
            parts.extend(differences(configuration, same_source))
            labels[key] = " · ".join([str(name), *parts])
        _disambiguate(labels, keys)
    return [labels[_group_key(r)] for r in rows]


def label_groups(rows: Sequence[TrialRow]) -> list[TrialRow]:
    """Each row with its group's label as `arm`."""
    return [
        msgspec.structs.replace(row, arm=label)
        for row, label in zip(rows, group_labels(rows), strict=True)
    ]


def _group_key(row: Grouped) -> GroupKey:
    return row.task, row.arm_name, row.source, row.config


def split_note(rows: Sequence[Labelled]) -> str | None:
    """One line naming the arm names that were split into several groups, or None."""
    split = dict.fromkeys((r.arm, r.task) for r in rows if r.arm != r.arm_name)
    if not split:
        return None
    names = ", ".join(f"{arm} ({task})" for arm, task in split)
    return f"arm names run under different configurations or sources are split: {names}"


def differences(configuration: dict[str, Any], others: list[dict[str, Any]]) -> list[str]:
    """Words for what `configuration` sets differently from the others it shares a name with.

    A field one of them lacks while its role is there in all of them was not recorded by
    the fep-tui that wrote that session (`return_policy` and `num_ctx` came later). That is
    not a difference anyone chose: it is left out rather than named as `no executor`, and
    the engine versions, which do differ, tell the groups apart."""
    mine = _flatten(configuration)
    theirs = [_flatten(c) for c in others]
    everywhere = set.intersection(*({_role(p) for p in flat} for flat in theirs)) - {""}
    paths = sorted({p for flat in theirs for p in flat} | set(mine))
    differing = [p for p in paths if len({repr(flat.get(p)) for flat in theirs}) > 1]
    words: list[str] = []
    for path in differing:
        if path.startswith("rate_card.prices"):
            continue  # said by the card's name, or by the fingerprint below
        if _role(path) in everywhere and any(path not in flat for flat in theirs):
            continue
        word = _describe(path, mine.get(path))
        if word and word not in words:
            words.append(word)
    if not words and any(p.startswith("rate_card.prices") for p in differing):
        words.append("card prices differ")
    return words


def _role(path: str) -> str:
    """The role a flattened arm path belongs to (`arm.executor.model` -> executor)."""
    return path.split(".")[1] if path.startswith("arm.") and path.count(".") >= 2 else ""


def _describe(path: str, value: Any) -> str:
    leaf = path.rsplit(".", 1)[-1]
    role = _role(path)
    if value is None:
        return f"no {role}" if role else ""
    if path == "rate_card.name":
        return f"{value} card"
    if leaf == "return_cap_chars":
        return f"cap {value} chars"
    if leaf == "return_cap_tokens":
        return f"cap {value} tokens"
    if leaf == "return_policy":
        return f"{value} returns"
    if leaf == "model":
        return f"{role} {value}"
    if leaf == "max_uses":
        return f"advisor max {value}"
    if path == "engine_version":
        return f"engine {value}"
    if path == "task_version":
        return f"task version {value or 'unknown'}"
    return f"{role + ' ' if role else ''}{leaf} {value}"


GroupKey = tuple[str, str, str, str]


def _disambiguate(labels: dict[GroupKey, str], keys: list[GroupKey]) -> None:
    # Two groups that the words above cannot tell apart keep their fingerprints.
    seen: dict[str, int] = {}
    for key in keys:
        seen[labels[key]] = seen.get(labels[key], 0) + 1
    for key in keys:
        if seen[labels[key]] > 1:
            labels[key] = f"{labels[key]} · {key[3][:6]}"


def _flatten(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in data.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{path}."))
        else:
            flat[path] = value
    return flat


def _parse(text: str) -> dict[str, Any]:
    if not text:
        return {}
    parsed = json.loads(text)
    return parsed if isinstance(parsed, dict) else {}
