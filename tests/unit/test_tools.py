"""The editor and bash tools, and workspace confinement as the model and the log see it."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from engine.arms import RoleSpec
from engine.backends.scripted import ScriptedBackend, final_turn, tool_turn
from engine.bus import EventBus
from engine.events import ToolRefused, ToolResult
from engine.ledger import Ledger
from engine.loop import RoleRuntime, run_agent
from engine.messages import ToolResultBlock, ToolUseBlock
from engine.pricing import FREE
from engine.tools import Bash, StrReplaceEditor, cap_output
from tests.conftest import Recorder


def edit(root: Path, **args: object) -> tuple[str, bool]:
    outcome = asyncio.run(
        StrReplaceEditor(root).run(ToolUseBlock("c", "str_replace_editor", dict(args)))
    )
    return outcome.content, outcome.is_error


@pytest.fixture
def root(tmp_path: Path) -> Path:
    workspace = tmp_path / "ws"
    workspace.mkdir()
    (workspace / "a.py").write_text("x = 1\ny = 2\nx = 1\n")
    return workspace


def test_view_numbers_lines_and_honours_a_range(root: Path) -> None:
    text, error = edit(root, command="view", path="a.py", view_range=[2, 3])
    assert not error
    assert "     2\ty = 2" in text and "     1\t" not in text


def test_str_replace_needs_a_unique_match(root: Path) -> None:
    text, error = edit(
        root, command="str_replace", path="a.py", old_str="x = 1\n", new_str="x = 3\n"
    )
    assert error and "occurs 2 times" in text
    text, error = edit(root, command="str_replace", path="a.py", old_str="z = 9", new_str="")
    assert error and "no match" in text
    text, error = edit(root, command="str_replace", path="a.py", old_str="y = 2", new_str="y = 5")
    assert not error and (root / "a.py").read_text() == "x = 1\ny = 5\nx = 1\n"


def test_create_and_insert(root: Path) -> None:
    assert not edit(root, command="create", path="pkg/new.py", file_text="a\nb\n")[1]
    assert not edit(root, command="insert", path="pkg/new.py", insert_line=1, new_str="between")[1]
    assert (root / "pkg/new.py").read_text() == "a\nbetween\nb\n"
    text, error = edit(root, command="insert", path="pkg/new.py", insert_line=99, new_str="x")
    assert error and "outside" in text


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("../outside.txt", "'..' leads outside the workspace"),
        ("/etc/passwd", "absolute path outside the workspace"),
        ("link/secret.txt", "path leaves the workspace through a symlink"),
    ],
)
def test_escapes_are_refused(root: Path, path: str, reason: str) -> None:
    outside = root.parent / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("secret")
    (root / "link").symlink_to(outside)
    text, error = edit(root, command="view", path=path)
    assert error and reason in text and "secret" not in text.replace("secret.txt", "")


def test_absolute_path_inside_the_workspace_is_allowed(root: Path) -> None:
    text, error = edit(root, command="view", path=str(root / "a.py"))
    assert not error and "y = 2" in text


def test_refusal_is_a_tool_error_the_model_sees_and_an_event(
    root: Path, recorder: Recorder
) -> None:
    backend = ScriptedBackend(
        [
            tool_turn(("str_replace_editor", {"command": "view", "path": "../../etc/passwd"})),
            final_turn("Done."),
        ]
    )
    ledger = Ledger()
    ledger.register("solo", "fake", "scripted", FREE)
    runtime = RoleRuntime(
        "solo",
        RoleSpec("fake", "anthropic"),
        backend,
        "system",
        {"str_replace_editor": StrReplaceEditor(root)},
    )
    outcome = asyncio.run(run_agent(runtime, "Fix it.", EventBus([recorder]), ledger))
    assert outcome.completed
    refused = recorder.of("tool_refused")
    assert len(refused) == 1 and isinstance(refused[0], ToolRefused)
    assert refused[0].path == "../../etc/passwd"
    result = recorder.of("tool_result")[0]
    assert isinstance(result, ToolResult) and result.is_error
    seen = backend.requests[1].messages[-1].blocks[0]
    assert isinstance(seen, ToolResultBlock) and seen.is_error and "refused" in seen.content


def test_bash_reports_exit_code_and_times_out(root: Path) -> None:
    ok = asyncio.run(Bash(root).run(ToolUseBlock("c", "bash", {"command": "echo hi; exit 3"})))
    assert ok.content.startswith("exit code: 3\nhi")
    slow = asyncio.run(
        Bash(root, timeout_s=0.5).run(ToolUseBlock("c", "bash", {"command": "sleep 5"}))
    )
    assert slow.is_error and "timed out" in slow.content


def test_bash_finds_the_judge_tools_on_path(root: Path) -> None:
    out = asyncio.run(
        Bash(root).run(ToolUseBlock("c", "bash", {"command": "ruff --version && mypy --version"}))
    )
    assert (
        out.content.startswith("exit code: 0") and "ruff" in out.content and "mypy" in out.content
    )


def test_long_output_keeps_head_and_tail() -> None:
    text = "HEAD" + "x" * 50_000 + "TAIL"
    capped = cap_output(text, 1000)
    assert capped.startswith("HEAD") and capped.endswith("TAIL")
    assert "[... 49008 characters cut ...]" in capped and len(capped) < 1100


def test_bash_that_cannot_start_is_a_tool_error(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Bash, "_shell", lambda self: str(root / "no-such-bash"))
    outcome = asyncio.run(Bash(root).run(ToolUseBlock("c", "bash", {"command": "ls"})))
    assert outcome.is_error and "cannot start bash" in outcome.content


def test_an_unexpected_failure_still_ends_the_session_with_a_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from engine import TrialConfig, resolve_arm, run_trial
    from sessions import SessionWriter, load_session

    async def broken(self: StrReplaceEditor, call: ToolUseBlock) -> object:
        raise ValueError("editor exploded")

    monkeypatch.setattr(StrReplaceEditor, "run", broken)
    writer = SessionWriter(tmp_path)
    outcome = asyncio.run(run_trial(TrialConfig(resolve_arm("A"), "tiny"), [writer]))
    assert outcome.status == "error" and "editor exploded" in outcome.reason
    assert writer.path is not None
    session = load_session(writer.path)
    assert session.complete and session.end is not None and session.end.status == "error"
