"""Session files: written as the trial runs, read back tolerantly, listed quickly."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from engine import TrialConfig, resolve_arm
from engine.events import TrialEnded, TrialStarted, TurnUsage
from engine.trial import trial_start_event
from sessions import (
    SessionFileError,
    SessionWriter,
    list_sessions,
    load_session,
    resolve_sessions_dir,
)
from sessions.redact import MASK, Redactor
from tests.conftest import TinyTrial


@pytest.fixture(scope="module")
def saved(tiny_trial: Callable[[str], TinyTrial]) -> tuple[Path, list[object]]:
    trial = tiny_trial("B")
    return trial.path, list(trial.events)


def test_header_then_every_event_in_order(saved: tuple[Path, list[object]]) -> None:
    path, emitted = saved
    lines = path.read_text().splitlines()
    header = json.loads(lines[0])
    assert header["format"] == "fep-tui-session" and header["schema"] == 2
    assert header["source"] == "simulated" and header["task_version"] == "1"
    # The fingerprint of the configuration is stored, and is what a reader recomputes.
    assert header["fingerprint"] == load_session(path).header.configuration_id
    assert len(header["fingerprint"]) == 12
    assert header["simulated"] is True and header["arm"] == "B" and header["task"] == "tiny"
    assert header["rate_card"]["name"] == "official" and header["seed"] == 0
    assert header["models"] == {"orchestrator": "claude-opus-4-7", "executor": "qwen3.5:9b"}
    session = load_session(path)
    assert session.complete and not session.problems
    assert session.events == [e for e in emitted if not isinstance(e, TrialStarted)]


def test_usage_totals_in_the_file_match_the_end_event(saved: tuple[Path, list[object]]) -> None:
    session = load_session(saved[0])
    usage = [e for e in session.events if isinstance(e, TurnUsage)]
    end = session.end
    assert isinstance(end, TrialEnded)
    lead = [u for u in usage if u.role == "orchestrator"]
    assert sum(u.usage.cache_read for u in lead) == end.roles["orchestrator"].usage.cache_read
    assert lead[-1].role_cache_read == end.roles["orchestrator"].usage.cache_read


def test_a_file_cut_mid_line_loads_up_to_its_last_whole_line(
    saved: tuple[Path, list[object]], tmp_path: Path
) -> None:
    raw = saved[0].read_bytes()
    cut = tmp_path / "cut.jsonl"
    # Some bytes into the line after the middle: a cut exactly at a line end (possible
    # at len // 2, since times in the file vary run to run) is not a cut line.
    middle = raw.index(b"\n", len(raw) // 2) + 1
    cut.write_bytes(raw[: middle + 5])
    session = load_session(cut)
    assert not session.complete and len(session.events) > 10
    assert any("cut off mid-line" in p for p in session.problems)
    assert any("incomplete" in p for p in session.problems)


def test_a_broken_line_in_the_middle_is_skipped_and_named(
    saved: tuple[Path, list[object]], tmp_path: Path
) -> None:
    lines = saved[0].read_text().splitlines()
    lines[5] = '{"kind": "usage", "oops": '
    lines[6] = '{"kind": "warp_drive", "t": 1}'
    damaged = tmp_path / "damaged.jsonl"
    damaged.write_text("\n".join(lines) + "\n")
    session = load_session(damaged)
    assert session.complete
    assert len(session.events) == len(lines) - 3
    assert [p.split(":")[0] for p in session.problems] == ["line 6", "line 7"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty file"),
        (b"hello world\n", "not a fep-tui session"),
        (b'{"some": "json"}\n', "no session header"),
        (b'{"format": "fep-tui-session", "schema": 99}\n', "newer fep-tui"),
    ],
)
def test_files_that_are_not_sessions_get_one_clear_line(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "x.jsonl"
    path.write_bytes(content)
    with pytest.raises(SessionFileError, match=message):
        load_session(path)
    with pytest.raises(SessionFileError, match="no such session"):
        load_session(tmp_path / "missing.jsonl")


def test_listing_summarises_good_files_and_names_bad_ones(
    saved: tuple[Path, list[object]], tmp_path: Path
) -> None:
    directory = tmp_path / "listing"
    directory.mkdir()
    (directory / "good.jsonl").write_bytes(saved[0].read_bytes())
    (directory / "junk.jsonl").write_text("not json\n")
    raw = saved[0].read_bytes()
    (directory / "half.jsonl").write_bytes(raw[: len(raw) // 3])
    summaries, rejected = list_sessions(directory)
    by_status = {s.status: s for s in summaries}
    good = by_status["completed"]
    end = load_session(saved[0]).end
    assert end is not None
    assert good.arm == "B" and good.outcome == "success" and good.source == "SIMULATED"
    assert good.model_calls == end.turns and good.lead_turns == end.roles["orchestrator"].turns
    assert good.cost_usd == pytest.approx(end.total_cost_usd)
    half = by_status["cut off"]
    assert half.success is None and half.outcome == "interrupted"
    # A cut-off file shows how far it got and what that cost, not 0 turns.
    assert 0 < half.lead_turns < good.lead_turns and 0 < half.model_calls < good.model_calls
    assert half.cost_usd is not None and good.cost_usd is not None
    assert 0 < half.cost_usd < good.cost_usd
    assert len(rejected) == 1 and "junk.jsonl" in rejected[0]


def test_unwritable_sessions_dir_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(OSError, match=r"not writable.*--sessions-dir"):
        resolve_sessions_dir(str(blocker / "sessions"))


def test_redactor_masks_keys_from_the_environment_and_credential_shapes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-0123456789abcdef")
    redactor = Redactor()
    text = (
        "key sk-ant-test-0123456789abcdef and api_key=hunter2hunter2 "
        "and Bearer abcdefghijklmnopqrstuv"
    )
    cleaned = redactor.text(text)
    assert (
        "0123456789abcdef" not in cleaned
        and "hunter2" not in cleaned
        and "abcdefghijklmnop" not in cleaned
    )
    assert cleaned.count(MASK) == 3
    assert (
        redactor.line(b'{"a":["sk-ant-test-0123456789abcdef"]}') == b'{"a":["%s"]}' % MASK.encode()
    )


def test_a_written_session_masks_secrets_anywhere_in_an_event_and_keeps_other_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The writer masks each line as it is encoded: a key in a nested tool input, and a
    quoted password in a tool's output, whose quotes JSON escapes. Other text, non-ASCII
    included, reads back as it was written."""
    from engine.events import ToolCall, ToolResult

    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-0123456789abcdef")
    writer = SessionWriter(tmp_path)
    writer.emit(trial_start_event(0.0, "secrets", TrialConfig(resolve_arm("A"), "tiny")))
    command = {"argv": ["curl", "-H", "x-api-key: sk-ant-test-0123456789abcdef"]}
    writer.emit(ToolCall(1.0, "solo", 1, "c1", "bash", command))
    output = 'password = "Sup3rSecretValue"\nrésumé — naïve ✓'
    writer.emit(ToolResult(2.0, "solo", 1, "c1", "bash", output, False))
    writer.close()
    assert writer.path is not None
    raw = writer.path.read_text(encoding="utf-8")
    assert "0123456789abcdef" not in raw and "Sup3rSecretValue" not in raw
    call, result = load_session(writer.path).events
    assert isinstance(call, ToolCall) and isinstance(result, ToolResult)
    assert call.input == {"argv": ["curl", "-H", f"x-api-key: {MASK}"]}
    assert result.output == f'password = "{MASK}"\nrésumé — naïve ✓'


def test_redactor_leaves_annotations_in_source_code_alone() -> None:
    """typer's own code, as the agent views it: parameters named password and token."""
    code = (
        "    password: Annotated[str, typer.Option(prompt=True)],\n"
        "    token: str | None = None,\n"
        '    secret_key: Optional[str] = typer.Option(None, "--secret-key"),\n'
    )
    assert Redactor().text(code) == code
    assert Redactor().text("password=Sup3rSecretValue") == f"password={MASK}"


def test_a_running_trial_is_listed_from_its_live_fold_without_indexing_its_file(
    saved: tuple[Path, list[object]], tmp_path: Path
) -> None:
    """Home lists every 2 s while a trial runs; indexing the growing file each time was a
    full read on the UI loop. The running trial's own fold gives the same figures."""
    from sessions.index import SessionIndex
    from sessions.index_cache import cache_path

    raw = saved[0].read_bytes()
    growing = tmp_path / "running" / "growing.jsonl"
    growing.parent.mkdir()
    growing.write_bytes(raw[: len(raw) // 2])
    fold = SessionIndex.build(growing).timeline
    summaries, _ = list_sessions(growing.parent, {str(growing): fold})
    assert not cache_path(growing).exists()
    snapshot = fold.snapshot()
    assert summaries[0].cost_usd == snapshot.total_cost_usd > 0
    assert summaries[0].model_calls == sum(c.turns for c in snapshot.roles.values())


def test_a_listing_again_reads_only_the_files_that_changed(
    saved: tuple[Path, list[object]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Home lists the directory every 2 s while a trial runs. A file whose size and time
    have not changed is not read again; one that has is, and its new state is listed."""
    import os

    import sessions.store as store

    raw = saved[0].read_bytes()
    directory = tmp_path / "cached"
    directory.mkdir()
    (directory / "done.jsonl").write_bytes(raw)
    cut = directory / "cut.jsonl"
    cut.write_bytes(raw[: len(raw) // 2])
    reads: list[str] = []
    read = store.read_head_and_end

    def counting(path: Path) -> store.HeadAndEnd:
        reads.append(path.name)
        return read(path)

    monkeypatch.setattr(store, "read_head_and_end", counting)
    cache = store.SummaryCache()
    first, _ = list_sessions(directory, cache=cache)
    assert sorted(reads) == ["cut.jsonl", "done.jsonl"]
    assert {s.status for s in first} == {"completed", "cut off"}

    reads.clear()
    again, _ = list_sessions(directory, cache=cache)
    assert reads == [] and again == first

    # The cut-off file is written to the end (as a trial that resumed writing would).
    cut.write_bytes(raw)
    os.utime(cut, ns=(cut.stat().st_atime_ns, cut.stat().st_mtime_ns + 1_000_000))
    (directory / "done.jsonl").unlink()
    reads.clear()
    last, _ = list_sessions(directory, cache=cache)
    assert reads == ["cut.jsonl"]
    assert [s.status for s in last] == ["completed"]


# Realistic fake credentials in the formats their issuers document; each must leave no
# trace of its secret part in a session line, and the text around it must survive.
FAKE_CREDENTIALS = [
    ("AWS access key id", "aws id AKIAIOSFODNN7EXAMPLE here", "AKIAIOSFODNN7EXAMPLE"),
    (
        "AWS secret key, as in ~/.aws/credentials",
        "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "wJalrXUtnFEMI",
    ),
    ("GitHub classic token", "GH ghp_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8 ok", "a1B2c3D4e5F6"),
    (
        "GitHub fine-grained token",
        "github_pat_11AAAAAAA0abcdefghijklmnopqrstuvwxyz0123456789ABCDEF",
        "abcdefghijklmnop",
    ),
    ("OpenAI project key", "OPENAI_API_KEY sk-proj-Ab12Cd34Ef56Gh78Ij90KlMnOpQr", "Ab12Cd34"),
    ("Anthropic key", "key: sk-ant-api03-Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2", "Zx9Yw8Vu7"),
    ("Slack bot token", "xoxb-2048-4096-Ab12Cd34Ef56Gh78Ij90Kl", "Ab12Cd34Ef56"),
    ("Google API key", "maps AIzaSyD-1a2B3c4D5e6F7g8H9i0JkLmNoPqRsTu x", "1a2B3c4D5e6F"),
    (
        "PEM private key",
        "-----BEGIN RSA PRIVATE KEY-----\\nMIIEowIBAAKCAQEA7bq9\\n-----END RSA PRIVATE KEY-----",
        "MIIEowIBAAKCAQEA7bq9",
    ),
    ("password in a URL", "postgres://app:Tr0ub4dor3x@db.internal:5432/prod", "Tr0ub4dor3x"),
    ("a *_SECRET assignment", "export STRIPE_WEBHOOK_SECRET=whsec_9f8e7d6c5b4a", "9f8e7d6c5b4a"),
    ("a *_TOKEN assignment in JSON", '{"npm_token": "npm_A1b2C3d4E5f6G7h8"}', "A1b2C3d4E5f6"),
]


@pytest.mark.parametrize(
    ("what", "text", "secret"), FAKE_CREDENTIALS, ids=[c[0] for c in FAKE_CREDENTIALS]
)
def test_common_credential_formats_are_masked_by_shape(what: str, text: str, secret: str) -> None:
    masked = Redactor().text(text)
    assert secret not in masked and MASK in masked, (what, masked)
    line = json.dumps({"output": text}).encode()
    assert secret.encode() not in Redactor().line(line)
    json.loads(Redactor().line(line))  # still valid JSON


def test_counts_and_ordinary_text_are_not_taken_for_secrets() -> None:
    """A session's own fields: large token counts under names with `_tokens` in them."""
    text = (
        '{"cache_read_input_tokens":15373675,"output_tokens":12345678,"max_tokens":32000,'
        '"sort_key":"arm","text":"see https://docs.python.org:443/3/ and task-12345678"}'
    )
    assert Redactor().text(text) == text


def test_values_of_secret_looking_variables_are_masked_wherever_they_appear(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ACME_DEPLOY_CREDENTIAL", "q7Wz-plain-shape-2024")
    monkeypatch.setenv("AUTH_MODE", "password")  # a flag, not a secret: left alone
    masked = Redactor().text("deploy q7Wz-plain-shape-2024 with password auth")
    assert masked == f"deploy {MASK} with password auth"
