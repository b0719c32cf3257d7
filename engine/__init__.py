"""The trial engine: arms, the agent loop, tools, model backends, the simulator, accounting.

It never imports textual; everything here runs headless.
"""

from engine.arms import BUILTIN_ARMS, ArmFileError, ArmSpec, RoleSpec, UnknownArmError, resolve_arm
from engine.events import Event, EventSink
from engine.pricing import RATE_CARDS, RateCard, get_rate_card
from engine.trial import TrialConfig, TrialConfigError, TrialOutcome, run_trial
from engine.version import ENGINE_VERSION

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
