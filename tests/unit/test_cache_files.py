"""Every cache beside session files is replaced whole or not at all (sessions/cache_files.py)."""

from __future__ import annotations

from pathlib import Path
from typing import IO

import pytest

from sessions.cache_files import load_cache, replace_atomically, save_cache
from sessions.index_cache import cache_path, open_index

FIXTURE = Path(__file__).parents[1] / "fixtures" / "b-tiny-seed0.jsonl"


def test_a_write_that_fails_half_way_leaves_the_old_cache_and_no_temporary(
    tmp_path: Path,
) -> None:
    path = tmp_path / "cache.json"
    save_cache(path, 1, "files", {"a": {"n": 1}})

    def half(out: IO[bytes]) -> None:
        out.write(b'{"version": 1, "fi')
        raise OSError(28, "No space left on device")

    assert replace_atomically(path, half) is False
    assert load_cache(path, 1, "files") == {"a": {"n": 1}}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache.json"]


def test_a_cache_of_another_version_reads_as_empty(tmp_path: Path) -> None:
    path = tmp_path / "cache.json"
    save_cache(path, 1, "files", {"a": {"n": 1}})
    assert load_cache(path, 2, "files") == {}


def test_the_session_index_is_written_through_the_same_mechanism(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    session = tmp_path / FIXTURE.name
    session.write_bytes(FIXTURE.read_bytes())
    written: list[Path] = []
    original = replace_atomically

    def spy(path: Path, write: object) -> bool:
        written.append(path)
        return original(path, write)  # type: ignore[arg-type]

    monkeypatch.setattr("sessions.index_cache.replace_atomically", spy)
    open_index(session)
    assert written == [cache_path(session)] and cache_path(session).exists()
    assert cache_path(session).stat().st_mode & 0o777 == 0o644, "others may read it"
    assert sorted(p.name for p in tmp_path.iterdir()) == [session.name, cache_path(session).name]
