"""The generated pages in a real headless Chromium: each renders without JavaScript errors,
console errors or blocked loads, and the knowledge-base search fills its results as one types.

Chromium is driven over the DevTools protocol on a pipe (``--remote-debugging-pipe``: it reads
commands from fd 3 and writes answers to fd 4), so no port and no extra library is needed.
Skipped, with the reason, where no Chromium or Chrome is installed.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_dashboard_support import build_site

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
BROWSER = next((found for name in BROWSERS if (found := shutil.which(name))), None)
pytestmark = pytest.mark.skipif(
    BROWSER is None, reason=f"no headless browser installed (looked for {', '.join(BROWSERS)})"
)
TIMEOUT = 20.0
# The browser reads fd 3 and writes fd 4: this puts the pipe ends there (by way of fds >= 10,
# so neither overwrites the other) and runs it. A shell cannot: dash takes one-digit fds only.
_LAUNCHER = """
import fcntl, os, sys
ends = [fcntl.fcntl(int(fd), fcntl.F_DUPFD, 10) for fd in sys.argv[1:3]]
for target, end in zip((3, 4), ends):
    os.dup2(end, target)
    os.close(end)
os.execv(sys.argv[3], sys.argv[3:])
"""


class DevTools:
    """A Chromium process and its DevTools protocol over the pipe, one page attached."""

    def __init__(self, profile: Path) -> None:
        to_browser_read, self._write_fd = os.pipe()
        self._read_fd, from_browser_write = os.pipe()
        flags = [
            "--headless",
            "--disable-gpu",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-extensions",
            "--disable-background-networking",
            "--remote-debugging-pipe",
            f"--user-data-dir={profile}",
        ]
        if os.geteuid() == 0:
            flags.append("--no-sandbox")  # Chromium refuses to run as root with its sandbox
        self.process = subprocess.Popen(
            [sys.executable, "-c", _LAUNCHER, str(to_browser_read), str(from_browser_write),
             str(BROWSER), *flags, "about:blank"],
            pass_fds=(to_browser_read, from_browser_write),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        os.close(to_browser_read)
        os.close(from_browser_write)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)[
            "sessionId"
        ]
        for domain in ("Runtime", "Log", "Page"):
            self.call(f"{domain}.enable", session=True)

    def close(self) -> None:
        with contextlib.suppress(OSError, TimeoutError, RuntimeError):
            self.call("Browser.close")
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._read_fd)
        os.close(self._write_fd)

    def call(self, method: str, *, session: bool = False, **params: Any) -> dict[str, Any]:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = self.session
        os.write(self._write_fd, json.dumps(message).encode() + b"\0")
        for answer in self._messages(TIMEOUT):
            if answer.get("id") == self._next_id:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                result: dict[str, Any] = answer.get("result", {})
                return result
        raise AssertionError("unreachable")

    def wait_for(self, event: str, timeout: float = TIMEOUT) -> dict[str, Any]:
        for message in self._messages(timeout):
            if message.get("method") == event:
                return message
        raise AssertionError("unreachable")

    def _messages(self, timeout: float) -> Iterator[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while True:
            while b"\0" in self._buffer:
                raw, self._buffer = self._buffer.split(b"\0", 1)
                message = json.loads(raw)
                if "method" in message:
                    self.events.append(message)
                yield message
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no answer from the browser within {timeout} s")
            ready, _, _ = select.select([self._read_fd], [], [], left)
            if ready:
                chunk = os.read(self._read_fd, 1 << 16)
                if not chunk:
                    raise RuntimeError("the browser closed the pipe")
                self._buffer += chunk

    def evaluate(self, expression: str) -> Any:
        result = self.call(
            "Runtime.evaluate", session=True, expression=expression, returnByValue=True
        )
        if "exceptionDetails" in result:
            raise AssertionError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def open(self, url: str) -> list[str]:
        """Load ``url``; the errors the page caused (exceptions, console errors, log errors)."""
        self.events.clear()
        self.call("Page.navigate", session=True, url=url)
        self.wait_for("Page.loadEventFired")
        self.evaluate("new Promise(r => setTimeout(r, 50))")  # let load handlers run
        return self.errors()

    def errors(self) -> list[str]:
        found = []
        for event in self.events:
            method, params = event["method"], event.get("params", {})
            if method == "Runtime.exceptionThrown":
                found.append(json.dumps(params["exceptionDetails"])[:500])
            elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                found.append(json.dumps(params.get("args"))[:500])
            elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
                entry = params["entry"]
                found.append(f"{entry.get('text', '')[:500]} ({entry.get('url', 'no url')})")
        return found


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_site(tmp_path_factory.mktemp("ws") / "team")


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevTools]:
    devtools = DevTools(tmp_path_factory.mktemp("profile"))
    try:
        yield devtools
    finally:
        devtools.close()


def test_every_page_renders_without_errors(site: Path, browser: DevTools) -> None:
    pages = sorted(site.glob("*.html"))
    assert len(pages) >= 7
    for page in pages:
        errors = browser.open(page.as_uri())
        assert errors == [], f"{page.name}: {errors}"
        assert browser.evaluate("document.querySelector('main h1') !== null"), page.name
        # the stylesheet applied (the top bar is dark): a blocked or missing CSS would not
        background = browser.evaluate(
            "getComputedStyle(document.querySelector('header')).backgroundColor"
        )
        assert background == "rgb(36, 41, 47)", page.name


def test_the_charts_are_drawn(site: Path, browser: DevTools) -> None:
    [page] = [p for p in site.glob("scenario-*.html") if "api-errors" in p.name]
    assert browser.open(page.as_uri()) == []
    charts = browser.evaluate(
        "[...document.querySelectorAll('svg.chart')].map(s => s.getBoundingClientRect().width)"
    )
    assert len(charts) == 3 and all(width > 100 for width in charts)
    assert browser.evaluate("document.querySelectorAll('svg.chart circle').length") >= 24


def test_the_knowledge_base_search_fills_results_when_typing(site: Path, browser: DevTools) -> None:
    assert browser.open((site / "index.html").as_uri()) == []
    assert browser.evaluate("document.querySelectorAll('#kb-results li').length") == 0
    browser.evaluate(
        "(() => { const q = document.getElementById('kb-query'); q.focus(); q.value = 'error';"
        " q.dispatchEvent(new Event('input', {bubbles: true})); })()"
    )
    deadline = time.monotonic() + 5
    count = 0
    while time.monotonic() < deadline and not count:
        count = browser.evaluate("document.querySelectorAll('#kb-results li').length")
    assert count > 0
    text = browser.evaluate("document.getElementById('kb-results').textContent")
    assert "error" in text.lower()
    assert browser.errors() == []


def test_the_harness_sees_script_errors_and_missing_files(
    tmp_path: Path, browser: DevTools
) -> None:
    page = tmp_path / "broken.html"
    page.write_text(
        '<!DOCTYPE html><html><head><link rel="stylesheet" href="missing.css"></head>'
        '<body><script>throw new Error("boom")</script>'
        '<script>console.error("console says no")</script></body></html>',
        encoding="utf-8",
    )
    errors = " | ".join(browser.open(page.as_uri()))
    assert "boom" in errors and "console says no" in errors and "missing.css" in errors
