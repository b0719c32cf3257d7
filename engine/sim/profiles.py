"""How the simulated models differ: turns taken, mistakes made, how much they say, how
often they skip part of the work, and how often a lead does the work itself instead of
delegating.

These are invented stand-ins shaped like what the studies report (AgentOpt: a strong
planner often never calls its solver; small models miss more), not measurements. The
profiles of the models the built-in arms use (Opus, Haiku, Qwen) never skip a fix and
always delegate, so their simulated trials stay as they were."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

SummaryStyle = Literal["terse", "moderate", "verbose"]


@dataclass(frozen=True)
class Profile:
    name: str
    # Several tool calls in one turn (parallel tool use) instead of one call per turn.
    batch_calls: bool
    # Chance per fix of a first str_replace whose old_str does not match (then re-view).
    mistake_rate: float
    summary_style: SummaryStyle
    narration_sentences: int
    # Views each edited file again after editing (and quotes it when reporting back).
    reviews_after_edit: bool
    # Simulated speeds, used for the simulator's clock and Ollama's durations.
    output_tokens_per_s: float
    prefill_tokens_per_s: float
    # Chance per fix that the model believes it is done without making it (the judge
    # then fails the trial).
    skip_rate: float = 0.0
    # As an orchestrator: chance per trial that it does the work itself and never calls
    # its executor.
    self_work_rate: float = 0.0


OPUS_LIKE = Profile("opus-like", True, 0.0, "terse", 1, False, 55.0, 4000.0)
HAIKU_LIKE = Profile("haiku-like", False, 0.2, "moderate", 2, False, 120.0, 8000.0)
QWEN_LIKE = Profile("qwen-like", False, 0.3, "verbose", 3, True, 45.0, 1500.0)
SONNET_LIKE = Profile(
    "sonnet-like", True, 0.05, "terse", 1, False, 70.0, 5000.0, skip_rate=0.02, self_work_rate=0.5
)
SMALL_PLANNER = Profile(
    "small-planner", False, 0.35, "moderate", 2, False, 60.0, 2500.0, skip_rate=0.12
)

# What the Messages API serves (models overview pages, checked 2026-12-06); a retired model
# is refused separately (engine/pricing.py RETIRED).
ANTHROPIC_MODELS = (
    "claude-opus-5-5",
    "claude-opus-5",
    "claude-opus-4-8",
    "claude-sonnet-5-5",
    "claude-sonnet-5",
    "claude-haiku-5-5",
    "claude-fable-5-1",
    "claude-fable-5",
    "claude-opus-4-7",
    "claude-opus-4-6",
    "claude-opus-4-5",
    "claude-opus-4-1",
    "claude-sonnet-4-6",
    "claude-sonnet-4-5",
    "claude-haiku-4-5",
)
OLLAMA_MODELS = ("qwen3.5:9b", "qwen2.5-coder:7b", "ministral-3:8b", "llama2:7b")
# What /api/show lists per model; a chat with tools on a model without "tools" is a 400.
OLLAMA_CAPABILITIES: dict[str, tuple[str, ...]] = {
    "qwen3.5:9b": ("completion", "tools", "thinking"),
    "qwen2.5-coder:7b": ("completion", "tools"),
    "ministral-3:8b": ("completion", "tools"),
    "llama2:7b": ("completion",),
}


def profile_for(model: str) -> Profile:
    if "haiku" in model:
        return HAIKU_LIKE
    if "sonnet" in model:
        return SONNET_LIKE
    if "ministral" in model:
        return SMALL_PLANNER
    if model.startswith("claude-"):
        return OPUS_LIKE
    return QWEN_LIKE
