"""How a trial ended, in the five words every table and listing uses.

- `success`: the agent finished and the judge is green.
- `failed`: the agent finished (or hit its turn limit) and the judge is red.
- `error`: an API or infrastructure failure ended it after it had started.
- `interrupted`: the user stopped it, or the process died (the file has no trial_end).
- `never started`: it ended before any model call came back (a live trial whose key,
  model or server was wrong).
- `not judged`: real work with no judge, such as an imported Claude Code session.

Only `success` and `failed` are outcomes of the arm; success rates, cost per success and the
tests use those alone, and the rest are counted and listed with their reason.
"""

from __future__ import annotations

from typing import Literal

Outcome = Literal["success", "failed", "error", "interrupted", "never started", "not judged"]
# The trial_end status of an imported trace (sessions/analysis/claude_code).
TRACE_STATUS = "trace"
JUDGED: tuple[Outcome, ...] = ("success", "failed")
CUT_OFF_REASON = "cut off: the file has no trial_end (the process was stopped or killed)"


def outcome_of(status: str | None, success: bool, model_calls: int) -> Outcome:
    """`status` is the trial_end's, or None for a file that has none."""
    if status is None:
        return "interrupted" if model_calls else "never started"
    if status == TRACE_STATUS:
        return "not judged"
    if success:
        return "success"
    if status in ("completed", "max_turns", "refused"):
        return "failed"
    if model_calls == 0:
        return "never started"
    return "interrupted" if status == "interrupted" else "error"
