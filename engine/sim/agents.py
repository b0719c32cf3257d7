"""Deterministic scripted agents that really solve a task through the real tools.

An agent is stateless, like a model: each request's transcript (how many turns it has
taken, what the tools returned) and the seed decide the next turn. The plan comes from the
task's reference fixes; the profile decides how the work is split into turns, which first
attempts miss, and how long the executor's report back is.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from engine.messages import EXECUTOR_FAILED
from engine.sim.profiles import Profile
from tasks.model import Fix, Task

Role = Literal["solo", "orchestrator", "executor"]
EDITOR = "str_replace_editor"
DELEGATE = "delegate_to_executor"
# An orchestrator hands over at most this many fixes at once: a slow, careful executor
# (one call per turn, a review after each edit) must finish within its 20 turns.
FIXES_PER_DELEGATION = 3


@dataclass(frozen=True)
class ToolResultView:
    name: str
    content: str
    is_error: bool = False


@dataclass(frozen=True)
class Transcript:
    """What a request shows the model, reduced to what the scripts decide on."""

    model: str
    role: Role
    first_user_text: str
    assistant_turns: int
    tool_results: tuple[ToolResultView, ...]
    # Set when the request offers Anthropic's advisor tool (its model).
    advisor_model: str | None = None
    # The executors the delegate tool offers by name, when it offers a choice.
    executors: tuple[str, ...] = ()

    @classmethod
    def of_request(
        cls,
        model: str,
        system: str,
        tools: Mapping[str, Any],
        first_user_text: str,
        assistant_turns: int,
        tool_results: tuple[ToolResultView, ...],
        advisor_model: str | None = None,
    ) -> Transcript:
        """From what either wire's request holds; `tools` maps each tool's name to its
        input schema. The role follows from the system prompt and the tools offered."""
        return cls(
            model,
            role_of(system, list(tools)),
            first_user_text,
            assistant_turns,
            tool_results,
            advisor_model,
            executors_offered(tools.get(DELEGATE)),
        )


@dataclass(frozen=True)
class PlannedCall:
    name: str
    input: dict[str, Any]


@dataclass(frozen=True)
class PlannedTurn:
    text: str
    calls: tuple[PlannedCall, ...] = ()
    # Non-empty: the turn consults the advisor first, and this is what it answers.
    advice: str = ""


@dataclass(frozen=True)
class Scenario:
    """What the simulator knows of the trial: the task's fixes and its check commands."""

    fixes: tuple[Fix, ...]
    check_command: str
    seed: int
    # The lead's last check; the check command when empty.
    recheck_command: str = ""
    # What an executor runs to confirm a category of fixes, by category.
    category_commands: Mapping[str, str] = field(default_factory=dict)
    # A person's plan (`--script`): a role's turn by its index, None for a role it leaves
    # to the simulated agent.
    scripted: Callable[[Role, int], PlannedTurn | None] | None = None

    @classmethod
    def of(cls, task: Task, seed: int) -> Scenario:
        categories = dict.fromkeys(f.category for f in task.fixes)
        return cls(
            task.fixes,
            task.check_command,
            seed,
            task.recheck_command,
            {c: task.category_command(c) for c in categories},
        )


def next_turn(transcript: Transcript, profile: Profile, scenario: Scenario) -> PlannedTurn:
    if scenario.scripted is not None:
        turn = scenario.scripted(transcript.role, transcript.assistant_turns)
        if turn is not None:
            return turn
    rng = random.Random(_seed_key(scenario.seed, transcript))
    does_it_itself = False
    if transcript.role == "executor":
        fixes = [f for f in scenario.fixes if f.description in transcript.first_user_text]
        plan = _executor_plan(fixes, profile, scenario, rng)
    elif transcript.role == "orchestrator":
        # Drawn only for a profile that can: the built-in arms' models draw nothing extra,
        # so their seeded trials are unchanged.
        does_it_itself = profile.self_work_rate > 0 and rng.random() < profile.self_work_rate
        plan = (
            _solo_plan(scenario, profile, rng)
            if does_it_itself
            else _orchestrator_plan(scenario, profile, rng, transcript.executors)
        )
    else:
        plan = _solo_plan(scenario, profile, rng)
    index = transcript.assistant_turns
    if transcript.role == "orchestrator" and not does_it_itself:
        index = _after_failed_delegations(transcript)
    if index < len(plan):
        turn = plan[index]
        # With an advisor on offer, the lead asks before starting and before the last check.
        if transcript.advisor_model and transcript.assistant_turns in (0, len(plan) - 1):
            turn = PlannedTurn(turn.text, turn.calls, _advice(scenario, transcript.assistant_turns))
        return turn
    return PlannedTurn(_final_text(transcript, profile, scenario))


# A delegation whose executor failed is handed over again, at most this many times.
DELEGATION_RETRIES = 2


def _after_failed_delegations(transcript: Transcript) -> int:
    """The orchestrator's place in its plan: each turn takes one step (one call a turn),
    except a delegation that came back failed, which is tried again (a few times)."""
    step = failures = 0
    for taken in range(transcript.assistant_turns):
        result = transcript.tool_results[taken] if taken < len(transcript.tool_results) else None
        failed = (
            result is not None
            and result.name == DELEGATE
            and result.content.startswith(EXECUTOR_FAILED)
        )
        if failed and failures < DELEGATION_RETRIES:
            failures += 1
            continue
        step, failures = step + 1, 0
    return step


def _advice(scenario: Scenario, turn_index: int) -> str:
    if turn_index > 0:
        return (
            "Before you finish: re-run all three checks together, confirm no test file changed, "
            "and make sure no suppression comments were added anywhere."
        )
    steps = "\n".join(f"{n}. {f.path}: {f.description}." for n, f in enumerate(scenario.fixes, 1))
    return (
        "Run the checks first and work from their output, not from guesses. Fix in this order, "
        "one small edit each, viewing every file before you edit it:\n"
        f"{steps}\nAnnotation errors first: they hide the real logic bugs. Re-run the checks "
        "after each file, and do not touch the tests."
    )


def executors_offered(schema: Mapping[str, Any] | None) -> tuple[str, ...]:
    """The executor names a delegate tool's input schema lets the orchestrator choose."""
    properties = (schema or {}).get("properties")
    choice = properties.get("executor") if isinstance(properties, dict) else None
    names = choice.get("enum") if isinstance(choice, dict) else None
    return tuple(str(name) for name in names) if isinstance(names, list) else ()


def role_of(system: str, tool_names: Sequence[str]) -> Role:
    if DELEGATE in tool_names:
        return "orchestrator"
    if "executor agent" in system:
        return "executor"
    return "solo"


def _seed_key(seed: int, transcript: Transcript) -> str:
    # One stream per (seed, model, role, assignment) so a plan is stable across its turns.
    digest = hashlib.sha256(transcript.first_user_text.encode()).hexdigest()[:16]
    return f"{seed}:{transcript.model}:{transcript.role}:{digest}"


def _solo_plan(scenario: Scenario, profile: Profile, rng: random.Random) -> list[PlannedTurn]:
    plan = [PlannedTurn(_say(rng, profile, _OPENERS), (_bash(scenario.check_command),))]
    plan += _edit_turns(list(scenario.fixes), profile, rng)
    plan.append(PlannedTurn(_say(rng, profile, _RECHECKS), (_bash(_recheck(scenario)),)))
    return plan


def _orchestrator_plan(
    scenario: Scenario, profile: Profile, rng: random.Random, executors: Sequence[str] = ()
) -> list[PlannedTurn]:
    """Delegations go to the offered executors in turn (to the only one when none is
    offered by name)."""
    plan = [PlannedTurn(_say(rng, profile, _OPENERS), (_bash(scenario.check_command),))]
    for category, group in _by(scenario.fixes, "category").items():
        for start in range(0, len(group), FIXES_PER_DELEGATION):
            fixes = group[start : start + FIXES_PER_DELEGATION]
            arguments = {
                "instruction": _instruction(category, fixes, _category_command(scenario, category))
            }
            if executors:
                arguments["executor"] = executors[(len(plan) - 1) % len(executors)]
            plan.append(
                PlannedTurn(_say(rng, profile, _DELEGATING), (PlannedCall(DELEGATE, arguments),))
            )
    plan.append(PlannedTurn(_say(rng, profile, _RECHECKS), (_bash(_recheck(scenario)),)))
    return plan


def _recheck(scenario: Scenario) -> str:
    return scenario.recheck_command or scenario.check_command


def _executor_plan(
    fixes: list[Fix], profile: Profile, scenario: Scenario, rng: random.Random
) -> list[PlannedTurn]:
    if not fixes:
        return []
    plan = _edit_turns(fixes, profile, rng)
    if profile.reviews_after_edit:
        plan += _calls_as_turns(
            [_view(path) for path in _by(fixes, "path")], profile, rng, _REVIEWS
        )
    command = _category_command(scenario, fixes[0].category)
    plan.append(PlannedTurn(_say(rng, profile, _RECHECKS), (_bash(command),)))
    return plan


def _edit_turns(fixes: list[Fix], profile: Profile, rng: random.Random) -> list[PlannedTurn]:
    """View each file, then edit; a missed first attempt is followed by a re-view."""
    existing = [path for path, group in _by(fixes, "path").items() if not _creates(group)]
    turns = _calls_as_turns([_view(path) for path in existing], profile, rng, _VIEWING)
    edits: list[PlannedCall] = []
    for fix in fixes:
        if profile.skip_rate > 0 and rng.random() < profile.skip_rate:
            continue  # believes this one done; the judge will find it is not
        if fix.broken and rng.random() < profile.mistake_rate:
            turns.append(PlannedTurn(_say(rng, profile, _EDITING), (_replace(fix, sloppy=True),)))
            turns.append(PlannedTurn(_say(rng, profile, _RETRYING), (_view(fix.path),)))
        edits.append(_replace(fix))
    turns += _calls_as_turns(edits, profile, rng, _EDITING)
    return turns


def _calls_as_turns(
    calls: list[PlannedCall], profile: Profile, rng: random.Random, phrases: Sequence[str]
) -> list[PlannedTurn]:
    if not calls:
        return []
    if profile.batch_calls:
        return [PlannedTurn(_say(rng, profile, phrases), tuple(calls))]
    return [PlannedTurn(_say(rng, profile, phrases), (call,)) for call in calls]


def _final_text(transcript: Transcript, profile: Profile, scenario: Scenario) -> str:
    if transcript.role != "executor":
        lines = [f"- {f.path}: {f.description}" for f in scenario.fixes]
        return "All checks pass now. What I changed:\n" + "\n".join(lines)
    fixes = [f for f in scenario.fixes if f.description in transcript.first_user_text]
    if not fixes:
        return "I could not match these instructions to anything in the workspace."
    checks = [r.content for r in transcript.tool_results if r.name == "bash"]
    last_check = checks[-1] if checks else "(no check was run)"
    files = ", ".join(_by(fixes, "path"))
    if profile.summary_style == "terse":
        return f"Done: fixed {len(fixes)} issue(s) in {files}; the check passes."
    changes = "\n".join(f"- {f.path}: {f.description}. {_change(f)}" for f in fixes)
    if profile.summary_style == "moderate":
        tail = "\n".join(last_check.strip().splitlines()[-4:])
        return f"Summary of changes:\n{changes}\n\nCheck output (last lines):\n{tail}"
    steps = "\n\n".join(
        f"### Step {n}: {r.name}{' (error)' if r.is_error else ''}\n```\n{r.content}\n```"
        for n, r in enumerate(transcript.tool_results, 1)
    )
    return (
        f"# Executor report\n\n## Assignment\n{transcript.first_user_text}\n\n"
        f"## Everything I did\n\n{steps}\n\n## Changes\n{changes}\n\n"
        f"## Verification\n```\n{last_check}\n```\n\n## Notes\n"
        "All requested problems are fixed and the check command passes. I kept every edit "
        "minimal and did not touch the tests. Let me know if you want me to look at anything "
        "else in these files."
    )


def _change(fix: Fix) -> str:
    if not fix.broken:
        return f"Created it ({len(fix.original.splitlines())} lines)."
    if not fix.original:
        return f"Removed `{_first_line(fix.broken)}` and what followed it."
    return f"Replaced `{fix.broken.strip()}` with `{fix.original.strip()}`."


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def _instruction(category: str, fixes: Sequence[Fix], command: str) -> str:
    items = "\n".join(f"- {f.path}: {f.description}" for f in fixes)
    return (
        f"Fix these {category} problems:\n{items}\n"
        f"View each file before editing and make the smallest change that fixes it. Then run "
        f"`{command}` to confirm, and reply with what you changed."
    )


def _category_command(scenario: Scenario, category: str) -> str:
    return scenario.category_commands.get(category) or _recheck(scenario)


def _creates(fixes: Sequence[Fix]) -> bool:
    """The file does not exist yet: the first edit to it makes it."""
    return not fixes[0].broken


def _by(fixes: Sequence[Fix], attribute: str) -> dict[str, list[Fix]]:
    groups: dict[str, list[Fix]] = {}
    for fix in fixes:
        groups.setdefault(str(getattr(fix, attribute)), []).append(fix)
    return groups


def _bash(command: str) -> PlannedCall:
    return PlannedCall("bash", {"command": command})


def _view(path: str) -> PlannedCall:
    return PlannedCall(EDITOR, {"command": "view", "path": path})


def _replace(fix: Fix, *, sloppy: bool = False) -> PlannedCall:
    if not fix.broken:
        return PlannedCall(
            EDITOR, {"command": "create", "path": fix.path, "file_text": fix.original}
        )
    # A sloppy attempt adds trailing whitespace: never present in a lint-clean file.
    old = fix.broken.replace("\n", " \n", 1) if sloppy else fix.broken
    return PlannedCall(
        EDITOR,
        {"command": "str_replace", "path": fix.path, "old_str": old, "new_str": fix.original},
    )


def _say(rng: random.Random, profile: Profile, phrases: Sequence[str]) -> str:
    picked = [rng.choice(phrases)]
    picked += rng.sample(_FILLER, profile.narration_sentences - 1)
    return " ".join(picked)


_OPENERS = (
    "Let me start by running the checks to see what is failing.",
    "First I'll run the full check suite to get the list of failures.",
    "I'll begin with the checks so I know exactly what is broken.",
)
_VIEWING = (
    "I'll look at the file the errors point to.",
    "Let me read the relevant code before changing it.",
    "Viewing the file to see the exact lines.",
)
_EDITING = (
    "Now I'll make the fix.",
    "Applying the smallest change that fixes this.",
    "Editing the line the error points at.",
)
_RETRYING = (
    "That edit did not match; I'll view the file again and copy the text exactly.",
    "The replacement missed. Let me re-read the file.",
)
_REVIEWS = (
    "Let me double-check the edited file.",
    "I'll review the file after the change.",
)
_DELEGATING = (
    "I'll hand this group of problems to the executor.",
    "Delegating the next batch of fixes to the executor.",
    "These are mechanical; the executor can take them.",
)
_RECHECKS = (
    "Running the checks again to confirm.",
    "Let me verify with the checks.",
    "Re-running the checks to make sure everything passes.",
)
_FILLER = (
    "The error messages are specific enough to act on.",
    "I want to keep the change minimal.",
    "This should not affect any other module.",
    "I will keep the tests untouched as required.",
    "Type annotations should match what the code returns.",
    "After this I'll move on to the next item.",
)
