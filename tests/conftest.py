from __future__ import annotations

from pathlib import Path

import pytest

from engine.events import Event


class Recorder:
    """An event sink that keeps everything, for assertions."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def emit(self, event: Event) -> None:
        self.events.append(event)

    def of(self, kind: str) -> list[Event]:
        return [e for e in self.events if e.kind == kind]


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def sessions_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "sessions"
    monkeypatch.setenv("FEP_SESSIONS_DIR", str(directory))
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    return directory
