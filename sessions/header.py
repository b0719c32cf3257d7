"""The typed session header: what trial a file records, and under which configuration.

Line 1 of every session file. It is decoded with the same typed decoder as the events, so a
header with a field of the wrong type is a `SessionFileError` naming the field, never a
crash further down. `lead_role`, `source` and `configuration` are answered here and nowhere
else.

Schema 2 adds `source`, `task_version` and `fingerprint`. A schema 1 file has none of them:
its source follows from `simulated`, its task version is unknown, and its fingerprint is
computed from the configuration it does record.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

from engine.events import TrialStarted, describe_validation_error
from engine.pricing import RateCard, model_alias
from engine.roles import is_executor
from sessions.format import FORMAT_NAME, SCHEMA_VERSION, SessionFileError

if TYPE_CHECKING:
    from engine.arms import ArmSpec

# Ours (simulated, live), a paper's (published), or an agent's trace, named by its
# importer (claude-code, codex, and any registered in sessions/analysis/importers.py).
Source = str
OWN_SOURCES = frozenset({"simulated", "live", "published"})
# How each source is labelled wherever a figure is shown: simulated numbers are never
# presented as measurements.
SOURCE_LABELS: dict[str, str] = {
    "simulated": "SIMULATED",
    "live": "LIVE",
    "published": "PUBLISHED",
    "claude-code": "MEASURED (Claude Code)",
}
# `lead` is the main thread of an imported Claude Code session.
LEAD_ROLES = ("orchestrator", "solo", "lead")
SHELL_WORDS = {
    "bubblewrap": "shell sandboxed",
    "environment": "shell NOT sandboxed (clean env only)",
    "none": "shell NOT contained",
}


class TraceOrigin(msgspec.Struct, frozen=True, kw_only=True):
    """Where an imported session (Claude Code's or Codex CLI's) came from, so a re-import
    can tell an unchanged transcript (same checksum) from one that grew."""

    path: str
    sha256: str
    size: int
    session_id: str
    project: str
    cwd: str = ""
    claude_code_version: str = ""
    # Lines left out while reading, by reason ("3 progress lines").
    skipped: dict[str, int] = msgspec.field(default_factory=dict)
    # Delegations whose subagent transcript was not found: their summaries are still
    # attributed, their executor's own calls are missing.
    unlinked_delegations: int = 0
    # The session this one resumes: its history, copied at the top of this file, is
    # billed there, not twice.
    continues: str = ""
    # Claude Code often records a call's output as the streaming start's count (1-10)
    # though it wrote thousands. Per role where that happened: the output counted from
    # the content instead (a floor: tiktoken, and no hidden thinking), and what that
    # output would add to the recorded cost.
    output_estimated: dict[str, int] = msgspec.field(default_factory=dict)
    output_estimated_usd: dict[str, float] = msgspec.field(default_factory=dict)
    # Which agent wrote the trace, and its version (Claude Code's is also above, where
    # older files keep it).
    tool: str = "claude-code"
    tool_version: str = ""
    # The agent as people call it ("Codex CLI"), for a label no table here has.
    tool_label: str = ""


class SessionHeader(msgspec.Struct, frozen=True, kw_only=True):
    format: str
    schema: int
    trial_id: str
    arm: str
    arm_spec: dict[str, Any]
    task: str
    models: dict[str, str]
    providers: dict[str, str]
    backend: str
    simulated: bool
    rate_card: dict[str, Any]
    seed: int
    engine_version: str
    started_at: str
    t: float = 0.0
    source: Source | None = None
    task_version: str = ""
    fingerprint: str = ""
    # How the agent's shell and the judge were contained (tasks/sandbox.py); "" before it
    # was recorded.
    containment: str = ""
    # Models the rate card has no price for: their tokens are shown, their cost is unknown
    # (never $0).
    unpriced: list[str] = msgspec.field(default_factory=list)
    trace: TraceOrigin | None = None
    # The machine a trial ran on when it ran on a Ray cluster (engine/ray_runner.py).
    node: str = ""

    @property
    def lead_role(self) -> str:
        """The role whose turns are the trial's turns: the orchestrator, else the solo model."""
        for role in LEAD_ROLES:
            if role in self.models:
                return role
        return "solo"

    @property
    def lead_unpriced(self) -> bool:
        """Whether no card prices the lead's model: the dollars of its re-reads (the
        summaries' cost, each delegation's) are unknown, never $0."""
        return self.models.get(self.lead_role) in self.unpriced

    @property
    def origin(self) -> Source:
        if self.source is not None:
            return self.source
        return "simulated" if self.simulated else "live"

    @property
    def label(self) -> str:
        known = SOURCE_LABELS.get(self.origin)
        if known is not None:
            return known
        tool = (self.trace.tool_label if self.trace else "") or self.origin
        return f"MEASURED ({tool})"

    @property
    def shell(self) -> str:
        """How the agent's shell was contained, in a few words for a screen."""
        return SHELL_WORDS.get(self.containment, "containment not recorded")

    @property
    def card(self) -> RateCard:
        return RateCard.from_dict(self.rate_card)

    @property
    def card_name(self) -> str:
        return str(self.rate_card.get("name", ""))

    @property
    def arm_definition(self) -> ArmSpec | None:
        """The arm the trial ran, typed (engine/arms.ArmSpec.from_dict, for every schema);
        None for an imported trace, whose header names its agent and model instead. The
        stored dict stays as written: the fingerprint is made from it."""
        # Imported here: the arms module (and the sandbox's policies it checks) is not
        # needed to list or open a session.
        from engine.arms import ArmSpec

        try:
            return ArmSpec.from_dict(self.arm_spec)
        except (TypeError, ValueError):
            return None

    @property
    def configuration(self) -> dict[str, Any]:
        """Everything that makes two trials comparable: the arm's full definition (not its
        name or description), the rate card's prices, the source, the task and its
        version, and the engine version."""
        spec = {k: v for k, v in self.arm_spec.items() if k not in ("name", "description")}
        return {
            "arm": spec,
            "rate_card": {
                "name": self.rate_card.get("name"),
                "prices": self.rate_card.get("prices"),
            },
            "source": self.origin,
            "task": self.task,
            "task_version": self.task_version,
            "engine_version": self.engine_version,
        }

    @property
    def configuration_id(self) -> str:
        """The stored fingerprint, or for a schema 1 file the one computed now."""
        return self.fingerprint or fingerprint(self.configuration)

    def lead_price(self, bucket: str) -> float:
        """Dollars per million tokens of one usage bucket (`cache_read`, `cache_write_5m`,
        ...) for the lead model at the session's card; a local model's are 0."""
        role = self.lead_role
        if self.providers.get(role) == "ollama":
            return 0.0
        prices = self.rate_card.get("prices", {})
        return float(prices.get(model_alias(self.models.get(role, "")), {}).get(bucket, 0.0))

    @property
    def delegates(self) -> bool:
        """Whether the lead hands work to executors (an orchestrated arm, or a Claude Code
        session whose main agent ran subagents)."""
        return any(is_executor(role) for role in self.models)

    @property
    def measured_not_judged(self) -> bool:
        return self.origin not in OWN_SOURCES

    @property
    def return_cap(self) -> str:
        """How the executor's summaries are capped, in a few words ("" for a solo arm)."""
        arm = self.arm_definition
        executor = arm.executor if arm is not None else None
        if executor is None:
            return ""
        if executor.return_policy == "bounded":
            return f"diff cap {executor.return_cap_tokens:,} tokens"
        return f"return cap {executor.return_cap_chars:,} chars"

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = msgspec.to_builtins(self)
        return data


def fingerprint(configuration: dict[str, Any]) -> str:
    """A short, stable id of a configuration: the same definition gives the same id on any
    machine, whatever the arm is called."""
    canonical = json.dumps(configuration, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:12]


def header_from_trial_start(event: TrialStarted) -> SessionHeader:
    """The header a trial's file starts with, built from the engine's own trial_start."""
    data = event.to_dict()
    data.pop("kind")
    draft = SessionHeader(
        format=FORMAT_NAME,
        schema=SCHEMA_VERSION,
        source="simulated" if event.simulated else "live",
        **data,
    )
    return msgspec.structs.replace(draft, fingerprint=fingerprint(draft.configuration))


_HEADER_DECODER = msgspec.json.Decoder(SessionHeader)


def parse_header(line: bytes | str, path: Path) -> SessionHeader:
    """Line 1 of `path` as a typed header; SessionFileError saying what is wrong."""
    # Editors on some systems save UTF-8 with a byte-order mark; it is not part of the JSON.
    if isinstance(line, bytes):
        line = line.decode("utf-8", errors="replace")
    line = line.removeprefix("\ufeff")
    try:
        raw = json.loads(line)
    except ValueError:
        raise SessionFileError(f"{path}: not a fep-tui session (first line is not JSON)") from None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT_NAME:
        raise SessionFileError(f"{path}: not a fep-tui session (no session header)")
    schema = raw.get("schema")
    if not isinstance(schema, int) or schema > SCHEMA_VERSION:
        raise SessionFileError(
            f"{path}: written by a newer fep-tui (schema {schema}, "
            f"this one reads {SCHEMA_VERSION}); upgrade fep-tui"
        )
    raw.pop("kind", None)
    try:
        return msgspec.convert(raw, SessionHeader)
    except msgspec.ValidationError as exc:
        reason = describe_validation_error(str(exc))
        raise SessionFileError(f"{path}:1: bad session header ({reason})") from None
