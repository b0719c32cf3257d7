"""Which model may advise which: an invalid pair is a 400 on every call that carries the
advisor tool, so it is refused before a trial spends anything.

The rules (docs: agents-and-tools/tool-use/advisor-tool; Claude Code's advisor page,
"Choosing an advisor", checked 2026-12-06): "The advisor must be Claude Sonnet 4.6 or a
more capable model, and at least as capable as the executor"; Haiku can call an advisor
but cannot be one. Capability is read from the model id: the tier (Haiku < Sonnet < Opus
< Fable), then the version within a tier. A higher tier of an older version (Opus 4.6
advising Sonnet 5) is not ranked by the docs and is let through.
"""

from __future__ import annotations

from engine.claude_models import claude_version

_TIERS = {"haiku": 0, "sonnet": 1, "opus": 2, "fable": 3}
_FLOOR = (_TIERS["sonnet"], (4, 6))


def _rank(model: str) -> tuple[int, tuple[int, int]] | None:
    read = claude_version(model)
    return None if read is None else (_TIERS[read[0]], read[1])


def advisor_pair_problem(executor: str, advisor: str) -> str | None:
    """Why `advisor` cannot advise `executor`, in a sentence; None when the pair is valid."""
    rank = _rank(advisor)
    if rank is None:
        return f"the advisor must be a Claude model (Sonnet 4.6 or later); got {advisor}"
    tier, version = rank
    if tier == _TIERS["haiku"]:
        return f"{advisor} cannot be an advisor (Haiku can only call one); use Sonnet 4.6 or later"
    if tier == _FLOOR[0] and version < _FLOOR[1]:
        return f"the advisor must be Claude Sonnet 4.6 or a more capable model; got {advisor}"
    own = _rank(executor)
    if own is None:
        return f"the advisor tool is for Claude executors; {executor} cannot call it"
    own_tier, own_version = own
    if (tier < own_tier and version <= own_version) or (tier == own_tier and version < own_version):
        return (
            f"the advisor must be at least as capable as the executor: {advisor} cannot "
            f"advise {executor}"
        )
    return None
