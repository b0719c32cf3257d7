"""The trial engine: arms, the agent loop, tools, model backends, the simulator, accounting.

It never imports textual; everything here runs headless. The names below load on first
use (PEP 562), so importing one light module (engine.errors, engine.version) does not
import the agent loop and the SDKs: `fep-tui --help` must start fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from engine.arms import (
        BUILTIN_ARMS,
        ArmFileError,
        ArmSpec,
        RoleSpec,
        UnknownArmError,
        resolve_arm,
    )
    from engine.events import Event, EventSink
    from engine.pricing import RATE_CARDS, RateCard, get_rate_card
    from engine.trial import TrialConfig, TrialConfigError, TrialOutcome, run_trial
    from engine.version import ENGINE_VERSION

_HOMES = {
    "BUILTIN_ARMS": "engine.arms",
    "ArmFileError": "engine.arms",
    "ArmSpec": "engine.arms",
    "RoleSpec": "engine.arms",
    "UnknownArmError": "engine.arms",
    "resolve_arm": "engine.arms",
    "Event": "engine.events",
    "EventSink": "engine.events",
    "RATE_CARDS": "engine.pricing",
    "RateCard": "engine.pricing",
    "get_rate_card": "engine.pricing",
    "TrialConfig": "engine.trial",
    "TrialConfigError": "engine.trial",
    "TrialOutcome": "engine.trial",
    "run_trial": "engine.trial",
    "ENGINE_VERSION": "engine.version",
}

__all__ = [
    "BUILTIN_ARMS",
    "ENGINE_VERSION",
    "RATE_CARDS",
    "ArmFileError",
    "ArmSpec",
    "Event",
    "EventSink",
    "RateCard",
    "RoleSpec",
    "TrialConfig",
    "TrialConfigError",
    "TrialOutcome",
    "UnknownArmError",
    "get_rate_card",
    "resolve_arm",
    "run_trial",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'engine' has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)
