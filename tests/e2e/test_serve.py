"""`fep-tui serve`: the app in a real browser (Debian's chromium through Playwright; no
browser is downloaded), and the token that guards it when it is bound beyond loopback."""

from __future__ import annotations

import contextlib
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

FIXTURE = Path(__file__).parents[1] / "fixtures" / "b-tiny-seed0.jsonl"
ANSI = re.compile(r"\x1b\[[0-9;?<>=]*[a-zA-Z]")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def _serve(tmp_path: Path, *extra: str) -> Iterator[str]:
    sessions = tmp_path / "sessions"
    sessions.mkdir()
    shutil.copy(FIXTURE, sessions / FIXTURE.name)
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "fep_tui.cli", "serve", "--port", str(port),
         "--sessions-dir", str(sessions), *extra],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )  # fmt: skip
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}/"
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    with _serve(tmp_path) as url:
        yield url


class _Browser:
    """Headless chromium on a served app, reading the screen from the terminal's frames."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.frames: list[bytes] = []
        page.on(
            "websocket",
            lambda ws: ws.on(
                "framereceived",
                lambda p: self.frames.append(p if isinstance(p, bytes) else p.encode()),
            ),
        )

    def screen_text(self) -> str:
        return ANSI.sub("", b"".join(self.frames).decode("utf-8", "replace"))

    def wait_for(self, text: str) -> None:
        for _ in range(150):
            if text in self.screen_text():
                return
            self.page.wait_for_timeout(100)  # events arrive while Playwright waits
        raise AssertionError(f"{text!r} never drawn")


@contextlib.contextmanager
def _browser(url: str) -> Iterator[_Browser]:
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    pytest.importorskip("playwright", reason="pip install '.[browser]' to drive the browser")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1200, "height": 800})
        try:
            driver = _Browser(page)
            page.goto(url)
            driver.wait_for("1 session(s) in")  # home, listing the copied session
            page.mouse.click(600, 400)
            yield driver
        finally:
            browser.close()


@pytest.mark.slow
def test_the_app_served_to_a_browser_opens_a_replay_on_enter(served: str, tmp_path: Path) -> None:
    shot = tmp_path / "served.png"
    with _browser(served) as browser:
        browser.page.keyboard.press("Enter")
        browser.wait_for("summaries 7,021 of 16,701 re-read")  # the trial screen's counters
        browser.page.screenshot(path=str(shot))
    # A drawn screen, not a blank page: many distinct colours.
    from PIL import Image

    with Image.open(shot) as image:
        colours = image.convert("RGB").getcolors(maxcolors=1 << 20)
    assert colours is not None and len(colours) > 50


@pytest.mark.slow
def test_served_read_only_the_browser_replays_and_refuses_new_trials_and_deletes(
    tmp_path: Path,
) -> None:
    with _serve(tmp_path, "--read-only") as url, _browser(url) as browser:
        browser.page.keyboard.press("n")
        browser.wait_for("read-only: new trials refused (opened with --read-only)")
        browser.page.keyboard.press("d")
        browser.wait_for("read-only: deleting sessions refused")
        browser.page.keyboard.press("Enter")
        browser.wait_for("summaries 7,021 of 16,701 re-read")
    assert (tmp_path / "sessions" / FIXTURE.name).read_bytes() == FIXTURE.read_bytes()


def test_a_token_guards_the_served_app(tmp_path: Path) -> None:
    with _serve(tmp_path, "--token", "s3cret") as url:
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(url, timeout=10)
        assert refused.value.code == 401
        with urllib.request.urlopen(f"{url}?token=s3cret", timeout=10) as page:
            assert page.status == 200
            assert "fep_tui_token=s3cret" in page.headers["Set-Cookie"]
