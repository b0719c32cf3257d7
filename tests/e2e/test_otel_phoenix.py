"""Trials in a real tracing backend: Arize Phoenix, started here from its own package.

Phoenix is far too heavy for the test extra (hundreds of MB, a database, 20 s to start),
so it is looked for outside the project: `FEP_TUI_PHOENIX` naming its `phoenix` command,
or `phoenix` on PATH (`python3 -m venv /tmp/phx && /tmp/phx/bin/pip install arize-phoenix`).
Without it the test is skipped and says so. Slow-marked: run with `-m slow`.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import run_cli
from tests.unit.test_otel_export import SESSIONS, _session_totals

pytestmark = pytest.mark.slow

START_S = 90.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())


@pytest.fixture
def phoenix(tmp_path: Path) -> Iterator[str]:
    command = os.environ.get("FEP_TUI_PHOENIX") or shutil.which("phoenix")
    if command is None:
        pytest.skip(
            "no Phoenix: python3 -m venv /tmp/phx && /tmp/phx/bin/pip install arize-phoenix, "
            "then FEP_TUI_PHOENIX=/tmp/phx/bin/phoenix"
        )
    port = _free_port()
    env = {
        **os.environ,
        "PHOENIX_WORKING_DIR": str(tmp_path / "phoenix"),
        "PHOENIX_PORT": str(port),
        "PHOENIX_GRPC_PORT": str(_free_port()),
    }
    server = subprocess.Popen(
        [command, "serve"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_S
        while True:
            try:
                _get(f"{url}/v1/projects")
                break
            except (urllib.error.URLError, ConnectionError, json.JSONDecodeError):
                assert server.poll() is None, "phoenix serve exited"
                assert time.monotonic() < deadline, f"Phoenix did not answer in {START_S} s"
                time.sleep(0.5)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


def _phoenix_spans(url: str, want: int) -> list[dict[str, Any]]:
    """The default project's spans once `want` of them are in (Phoenix writes in batches)."""
    deadline = time.monotonic() + 30
    while True:
        spans: list[dict[str, Any]] = []
        cursor = ""
        while True:
            page = _get(f"{url}/v1/projects/default/spans?limit=1000{cursor}")
            spans.extend(page["data"])
            if not page.get("next_cursor"):
                break
            cursor = f"&cursor={page['next_cursor']}"
        if len(spans) >= want or time.monotonic() > deadline:
            return spans
        time.sleep(0.5)


def test_exported_trials_arrive_in_phoenix_with_the_sessions_token_totals(
    phoenix: str, tmp_path: Path
) -> None:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    local = tmp_path / "spans.json"
    done = run_cli("export", "otel", *map(str, SESSIONS), "--file", str(local), env=env)
    assert done.returncode == 0, done.stderr
    sent = sum(
        len(scope["spans"])
        for resource in json.loads(local.read_text())["resourceSpans"]
        for scope in resource["scopeSpans"]
    )
    endpoint = f"{phoenix}/v1/traces"
    done = run_cli("export", "otel", *map(str, SESSIONS), "--endpoint", endpoint, env=env)
    assert done.returncode == 0, done.stderr
    spans = _phoenix_spans(phoenix, sent)
    assert len(spans) == sent
    chat = [s for s in spans if s["name"].startswith("chat ")]
    totals = _session_totals()
    assert len(chat) == totals["calls"]
    for key in (
        "gen_ai.usage.input_tokens",
        "gen_ai.usage.output_tokens",
        "gen_ai.usage.cache_read.input_tokens",
    ):
        assert sum(s["attributes"][key] for s in chat) == totals[key], key
    # Phoenix reads the GenAI operation into its own span kinds: the trials are agents.
    trials = [s for s in spans if s["name"].startswith("trial ")]
    assert {s["span_kind"] for s in trials} == {"AGENT"}
    assert {s["span_kind"] for s in chat} == {"LLM"}
    assert len({s["context"]["trace_id"] for s in spans}) == len(SESSIONS)
