"""One trial of a comparison, typed: what a session file or a published result says of it.

`compare`, the compare screen, the charts, the what-if and the notebook frames all read these
fields by name; a field a trial does not have (a cut-off trial's verdict, a published row's
seed) is None. The summary index keeps them as JSON (sessions/analysis/summary_index.py).
"""

from __future__ import annotations

import math

import msgspec

from engine.usage import Usage


class RoleFigures(msgspec.Struct, frozen=True, kw_only=True):
    """One role's tokens by bucket and its dollars in one trial. A published row is keyed
    by model: its roles also carry the model, and a cost only where the file gave one."""

    usage: Usage = msgspec.field(default_factory=Usage.of)
    cost_usd: float = math.nan
    model: str | None = None


class TrialRow(msgspec.Struct, frozen=True, kw_only=True):
    # What the trial is, and where it came from.
    arm_name: str
    task: str
    trial: str
    origin: str  # "session" (a session file) or "published" (an imported row)
    source: str  # SIMULATED, LIVE, PUBLISHED, MEASURED (...)
    simulated: bool
    config: str  # the configuration's fingerprint: same arm and terms, same id
    configuration: str  # the configuration itself, as JSON ("" for a published row)
    path: str
    outcome: str  # success, failed, not judged, never started, error, ...
    reason: str = ""
    seed: int | None = None
    rate_card: str | None = None
    # The last events of the file written twice: counted once, and said.
    duplicated_tail: bool = False
    # How it ended: None where the trial has no end (cut off) or the source does not say.
    success: bool | None = None
    status: str | None = None
    wall_s: float | None = None
    turns: int | None = None  # the lead's model calls
    model_calls: int | None = None
    cost_usd: float | None = None
    lead_cache_read: int | None = None
    lead_cache_read_usd: float | None = None
    # Whether an executor (or the advisor) took part in the arm but was never called;
    # None: the arm has none.
    executor_unused: bool | None = None
    advisor_unused: bool | None = None
    roles: dict[str, RoleFigures] = msgspec.field(default_factory=dict)
    # A published row's place in its file: two rows of the same file are two trials.
    row_key: str = ""
    # Set on the way to a table: the group's label (sessions/analysis/groups.py) and the
    # what-if's costs (comparison.add_whatif).
    arm: str = ""
    whatif_cost_usd: float | None = None
    resimulated_cost_usd: float | None = None
