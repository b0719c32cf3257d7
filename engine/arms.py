"""Arms are data: which model plays which role, on which provider, with which caps.

Built-ins A-D reproduce the published arms. Users add arms in a TOML file:

    [arms.S]
    description = "Sonnet 4.6 orchestrates Haiku 4.5"
    orchestrator = { model = "claude-sonnet-4-6", provider = "anthropic" }
    executor = { model = "claude-haiku-4-5", provider = "anthropic", return_cap_chars = 8000 }

or a single `solo = { ... }` role. An orchestrator can have more executors beside the first,
numbered from 2 (`executor-2 = { ... }`, `executor-3`, ...); it chooses one per delegation.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from engine.advisor_pairs import advisor_pair_problem
from engine.billing import INFERENCE_GEOS, accepts_inference_geo
from engine.errors import FepError
from engine.roles import ADVISOR, ORCHESTRATOR, SOLO, executor_number, executor_role
from engine.toml_place import TablePlace
from engine.user_files import parse_toml, read_user_text, section_tables
from tasks.sandbox import POLICIES

PROVIDERS = ("anthropic", "ollama")
RETURN_POLICIES = ("free", "bounded")
PUBLISHED_RETURN_CAP_CHARS = 4000
# Recorded on every role, Anthropic's included, since before Ollama roles had their own
# default: changing it would change every arm's fingerprint, and it applies to none but
# an Ollama role that names it.
DEFAULT_NUM_CTX = 32_768
# What an Ollama role asks for unless it says otherwise: Ollama's context-length docs ask
# for at least 64k tokens for coding agents (API_FACTS section 8), and a typer task's
# executor conversation passes 32k.
OLLAMA_NUM_CTX = 65_536
BOUNDED_DIFF_TOKENS = 400
_ROLE_KEYS = {
    "model",
    "provider",
    "max_turns",
    "max_tokens",
    "return_cap_chars",
    "return_policy",
    "return_cap_tokens",
    "num_ctx",
    "inference_geo",
}
_ARM_KEYS = {"description", "solo", "orchestrator", "executor", "advisor", "sandbox"}


@dataclass(frozen=True)
class RoleSpec:
    model: str
    provider: str
    max_turns: int = 30
    max_tokens: int = 8192
    # Executor only. "free": the executor's own summary, cut to `return_cap_chars` (the
    # published study). "bounded": only the files changed, the judge's one-line status and
    # a unified diff cut to `return_cap_tokens` (the follow-up the study proposed).
    return_cap_chars: int = PUBLISHED_RETURN_CAP_CHARS
    return_policy: str = "free"
    return_cap_tokens: int = BOUNDED_DIFF_TOKENS
    # Ollama only: the context window asked for. Without it Ollama uses 4k on GPUs under
    # 24 GiB and silently drops the oldest messages, the executor's instruction first.
    num_ctx: int = DEFAULT_NUM_CTX
    # Anthropic only: "us" keeps inference in the US, at 1.1x the list price (Opus 4.6,
    # Sonnet 4.6 and later; engine/billing.py).
    inference_geo: str = "global"


ADVISOR_BETA = "advisor-tool-2026-03-01"
ADVISOR_TOOL_TYPE = "advisor_20260301"


@dataclass(frozen=True)
class AdvisorSpec:
    """Anthropic's advisor tool: the lead consults `model` inside its own calls."""

    model: str
    max_uses: int = 3

    def tool(self) -> dict[str, Any]:
        return {
            "type": ADVISOR_TOOL_TYPE,
            "name": "advisor",
            "model": self.model,
            "max_uses": self.max_uses,
        }


@dataclass(frozen=True)
class ArmSpec:
    name: str
    description: str
    lead: RoleSpec
    executor: RoleSpec | None = None
    advisor: AdvisorSpec | None = None
    # How this arm's shell must be contained (tasks/sandbox.py); None: the run decides.
    sandbox: str | None = None
    # Executors beside the first (`executor-2`, `executor-3`, ...); only with `executor`.
    more_executors: tuple[RoleSpec, ...] = ()

    def __post_init__(self) -> None:
        if self.more_executors and self.executor is None:
            raise ValueError(f"arm {self.name}: more executors need a first one")

    @property
    def lead_role(self) -> str:
        return SOLO if self.executor is None else ORCHESTRATOR

    def executors(self) -> dict[str, RoleSpec]:
        """Each executor by its role name, in order: `executor`, `executor-2`, ..."""
        if self.executor is None:
            return {}
        specs = (self.executor, *self.more_executors)
        return {executor_role(i): spec for i, spec in enumerate(specs)}

    def roles(self) -> dict[str, RoleSpec]:
        roles = {self.lead_role: self.lead, **self.executors()}
        if self.advisor is not None:
            roles[ADVISOR] = RoleSpec(self.advisor.model, "anthropic", max_turns=0)
        return roles

    def _with_executors(self, change: Callable[[RoleSpec], RoleSpec]) -> ArmSpec:
        if self.executor is None:
            return self
        return replace(
            self,
            executor=change(self.executor),
            more_executors=tuple(change(spec) for spec in self.more_executors),
        )

    def with_return_cap(self, cap: int) -> ArmSpec:
        """Set every executor's return cap: characters (free) or diff tokens (bounded)."""

        def capped(spec: RoleSpec) -> RoleSpec:
            if spec.return_policy == "bounded":
                return replace(spec, return_cap_tokens=cap)
            return replace(spec, return_cap_chars=cap)

        return self._with_executors(capped)

    def with_num_ctx(self, num_ctx: int) -> ArmSpec:
        """Every Ollama role with this context window."""

        def fitted(spec: RoleSpec) -> RoleSpec:
            return replace(spec, num_ctx=num_ctx) if spec.provider == "ollama" else spec

        return replace(self._with_executors(fitted), lead=fitted(self.lead))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ArmSpec:
        """The arm a session's header recorded (`to_dict` read back, through this one
        converter for every schema): a field a role lacks was not recorded by the fep-tui
        that wrote it and takes its default. ValueError when `data` is no arm of ours (an
        imported trace's header names its agent and model instead)."""
        lead = data.get(SOLO, data.get(ORCHESTRATOR))
        if not isinstance(lead, Mapping):
            raise ValueError("no solo or orchestrator role: not an arm fep-tui ran")
        executors: list[RoleSpec] = []
        while isinstance(found := data.get(executor_role(len(executors))), Mapping):
            executors.append(_role_from_dict(found))
        advisor = data.get(ADVISOR)
        return cls(
            str(data.get("name", "")),
            str(data.get("description", "")),
            _role_from_dict(lead),
            executor=executors[0] if executors else None,
            advisor=AdvisorSpec(**advisor) if isinstance(advisor, Mapping) else None,
            sandbox=data.get("sandbox"),
            more_executors=tuple(executors[1:]),
        )

    def definition(self) -> dict[str, Any]:
        """What the arm does, without its name and description: two arms with equal
        definitions run the same trials whatever they are called."""
        return {k: v for k, v in self.to_dict().items() if k not in ("name", "description")}

    def to_dict(self) -> dict[str, Any]:
        data = {
            "name": self.name,
            "description": self.description,
            **{role: _role_dict(spec) for role, spec in self.roles().items()},
        }
        if self.advisor is not None:
            data["advisor"] = asdict(self.advisor)
        if self.sandbox is not None:
            data["sandbox"] = self.sandbox
        return data


def _role_from_dict(data: Mapping[str, Any]) -> RoleSpec:
    return RoleSpec(**{k: v for k, v in data.items() if k in _ROLE_KEYS})


def _role_dict(spec: RoleSpec) -> dict[str, Any]:
    data = asdict(spec)
    # The default is left out, so every arm defined before the setting existed keeps its
    # fingerprint (and its sessions stay comparable with new ones).
    if spec.inference_geo == "global":
        del data["inference_geo"]
    return data


OPUS = "claude-opus-4-7"
HAIKU = "claude-haiku-4-5"
QWEN = "qwen3.5:9b"

BUILTIN_ARMS: dict[str, ArmSpec] = {
    arm.name: arm
    for arm in (
        ArmSpec("A", "Opus 4.7 solo", RoleSpec(OPUS, "anthropic")),
        ArmSpec(
            "B",
            "Opus 4.7 orchestrates Qwen 3.5-9B on Ollama (free local executor)",
            RoleSpec(OPUS, "anthropic"),
            RoleSpec(QWEN, "ollama", max_turns=20, num_ctx=OLLAMA_NUM_CTX),
        ),
        ArmSpec(
            "C",
            "Opus 4.7 orchestrates Haiku 4.5",
            RoleSpec(OPUS, "anthropic"),
            RoleSpec(HAIKU, "anthropic", max_turns=20),
        ),
        ArmSpec("D", "Haiku 4.5 solo", RoleSpec(HAIKU, "anthropic")),
        ArmSpec(
            "E",
            "Haiku 4.5 drives, consulting Opus 4.7 through the advisor tool",
            RoleSpec(HAIKU, "anthropic"),
            advisor=AdvisorSpec(OPUS, max_uses=3),
        ),
        ArmSpec(
            "B-bounded",
            "Opus 4.7 orchestrates Qwen 3.5-9B; the executor returns only a bounded result",
            RoleSpec(OPUS, "anthropic"),
            RoleSpec(QWEN, "ollama", max_turns=20, return_policy="bounded", num_ctx=OLLAMA_NUM_CTX),
        ),
        ArmSpec(
            "C-bounded",
            "Opus 4.7 orchestrates Haiku 4.5; the executor returns only a bounded result",
            RoleSpec(OPUS, "anthropic"),
            RoleSpec(HAIKU, "anthropic", max_turns=20, return_policy="bounded"),
        ),
    )
}


class ArmFileError(FepError, ValueError):
    """A malformed arms file; the message names the file and line."""


class UnknownArmError(FepError, LookupError):
    def __init__(self, name: str, known: list[str]) -> None:
        super().__init__(
            f"unknown arm {name!r} (known: {', '.join(known)}; add arms with --arms-file FILE)"
        )


def load_arms_file(path: Path) -> dict[str, ArmSpec]:
    text = read_user_text(path, "arms file", ArmFileError, "check the path given to --arms-file")
    return parse_arms_toml(text, str(path))


def parse_arms_toml(text: str, origin: str = "<arms>") -> dict[str, ArmSpec]:
    data = parse_toml(text, origin, ArmFileError)
    tables = section_tables(data, text, origin, "arms", ArmFileError, "[arms.NAME]")
    return {name: _arm_from_table(name, table, where) for name, table, where in tables}


def redefined_builtins(arms: Mapping[str, ArmSpec]) -> list[str]:
    """Names of built-in arms that `arms` defines differently. Sessions keep the definition,
    and comparisons group by it, so such an arm is never pooled with the built-in one; the
    user should still hear that the name now means something else."""

    return sorted(
        name
        for name, spec in arms.items()
        if name in BUILTIN_ARMS and spec.definition() != BUILTIN_ARMS[name].definition()
    )


def resolve_arm(name: str, extra: Mapping[str, ArmSpec] | None = None) -> ArmSpec:
    arms = {**BUILTIN_ARMS, **(extra or {})}
    try:
        return arms[name]
    except KeyError:
        raise UnknownArmError(name, sorted(arms)) from None


def _arm_from_table(name: str, table: dict[str, Any], where: TablePlace) -> ArmSpec:
    if "executor-1" in table:
        raise ArmFileError(
            f"{where('executor-1')}: arms.{name}: the first executor is 'executor'; number "
            "the others from executor-2"
        )
    numbered = {key: n for key in table if (n := executor_number(key) or 0) >= 2}
    unknown = set(table) - _ARM_KEYS - set(numbered)
    if unknown:
        raise ArmFileError(
            f"{where(*sorted(unknown))}: arms.{name} has unknown key(s) "
            f"{', '.join(sorted(unknown))}"
        )
    has_solo, has_orch = "solo" in table, "orchestrator" in table
    if has_solo == has_orch:
        raise ArmFileError(
            f"{where('solo', 'orchestrator')}: arms.{name} needs exactly one of 'solo' or "
            "'orchestrator'"
        )
    if has_orch != ("executor" in table):
        raise ArmFileError(
            f"{where('orchestrator', 'executor')}: arms.{name} needs 'executor' together with "
            "'orchestrator'"
        )
    lead_key = "solo" if has_solo else "orchestrator"
    lead = _role_from_table(table[lead_key], name, where, lead_key)
    executor = _role_from_table(table["executor"], name, where, "executor") if has_orch else None
    more = _more_executors(table, numbered, name, where) if has_orch else ()
    if numbered and not has_orch:
        raise ArmFileError(
            f"{where(*sorted(numbered))}: arms.{name}: a solo arm has no executors; use "
            "'orchestrator' and 'executor' first"
        )
    advisor = _advisor_from_table(table["advisor"], name, where) if "advisor" in table else None
    if advisor is not None:
        problem = advisor_pair_problem(lead.model, advisor.model)
        if problem is not None:
            raise ArmFileError(f"{where('advisor')}: arms.{name}: {problem}")
    sandbox = table.get("sandbox")
    if sandbox is not None and sandbox not in POLICIES:
        raise ArmFileError(
            f"{where('sandbox')}: arms.{name} sandbox must be one of {', '.join(POLICIES)}"
        )
    return ArmSpec(name, str(table.get("description", "")), lead, executor, advisor, sandbox, more)


def _more_executors(
    table: dict[str, Any], numbered: dict[str, int], arm: str, where: TablePlace
) -> tuple[RoleSpec, ...]:
    """`executor-2`, `executor-3`, ... in order, with no number left out."""
    wanted = [executor_role(i) for i in range(1, len(numbered) + 1)]
    if set(numbered) != set(wanted):
        found = sorted(numbered, key=numbered.__getitem__)
        raise ArmFileError(
            f"{where(*found)}: arms.{arm}: executors beside 'executor' are numbered from 2 "
            f"with none left out ({', '.join(wanted)}); found {', '.join(found)}"
        )
    return tuple(_role_from_table(table[key], arm, where, key) for key in wanted)


def _advisor_from_table(table: Any, arm: str, where: TablePlace) -> AdvisorSpec:
    if not isinstance(table, dict) or not isinstance(table.get("model"), str):
        raise ArmFileError(
            f'{where("advisor")}: arms.{arm} advisor needs {{ model = "...", max_uses = N }}'
        )
    uses = table.get("max_uses", 3)
    if not isinstance(uses, int) or isinstance(uses, bool) or uses <= 0:
        raise ArmFileError(
            f"{where('max_uses')}: arms.{arm} advisor max_uses must be a positive integer"
        )
    return AdvisorSpec(table["model"], uses)


def _role_from_table(table: Any, arm: str, where: TablePlace, role: str) -> RoleSpec:
    if not isinstance(table, dict):
        raise ArmFileError(
            f'{where(role)}: arms.{arm} roles must be tables like {{ model = "..." }}'
        )
    unknown = set(table) - _ROLE_KEYS
    if unknown:
        raise ArmFileError(
            f"{where(*sorted(unknown))}: arms.{arm} {role} has unknown key(s) "
            f"{', '.join(sorted(unknown))}"
        )
    model, provider = table.get("model"), table.get("provider", "anthropic")
    if not isinstance(model, str) or not model:
        raise ArmFileError(f"{where(role)}: arms.{arm} {role} needs a model name")
    if provider not in PROVIDERS:
        raise ArmFileError(
            f"{where('provider')}: arms.{arm} provider must be one of {', '.join(PROVIDERS)}"
        )
    policy = table.get("return_policy", "free")
    if policy not in RETURN_POLICIES:
        raise ArmFileError(
            f"{where('return_policy')}: arms.{arm} return_policy must be one of "
            f"{', '.join(RETURN_POLICIES)}"
        )
    geo = table.get("inference_geo", "global")
    if geo not in INFERENCE_GEOS:
        raise ArmFileError(
            f"{where('inference_geo')}: arms.{arm} inference_geo must be one of "
            f"{', '.join(INFERENCE_GEOS)}"
        )
    if geo != "global" and (provider != "anthropic" or not accepts_inference_geo(model)):
        raise ArmFileError(
            f"{where('inference_geo')}: arms.{arm} {role}: {model} does not take "
            "inference_geo (Claude Opus 4.6, Sonnet 4.6 and later do); remove it"
        )
    numbers: dict[str, int] = {}
    for key in ("max_turns", "max_tokens", "return_cap_chars", "return_cap_tokens", "num_ctx"):
        if key in table:
            value = table[key]
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ArmFileError(f"{where(key)}: arms.{arm} {key} must be a positive integer")
            numbers[key] = value
    if provider == "ollama":
        numbers.setdefault("num_ctx", OLLAMA_NUM_CTX)
    return RoleSpec(model, provider, return_policy=policy, inference_geo=geo, **numbers)
