"""Nothing a drill injects or starts outlives it, tested for real: a drill that fails mid-way,
SIGINT to a running pytest, and SIGKILL to a running pytest followed by a new run.

Each scenario runs pytest in a subprocess on a small project: a PostgreSQL from the provider
chain, a web service process, two proxies on a toxiproxy server that runs as a separate process
(so that after a SIGKILL it still holds what the killed run made), and a drill that injects a
latency toxic and takes a proxy down, then blocks in a runbook step. While the step blocks the
test records every process the run started (the pytest process's descendants) and checks the
faults are really in place. Afterwards it checks, through the toxiproxy API, psutil and the
file system, that no toxic remains, every proxy is enabled, drillbook's proxies are gone, none
of those processes is alive and no PostgreSQL instance directory is left.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest
from drillbook.services.postgres import INSTANCE_PREFIX, scratch_root

WAIT_SECONDS = 60.0  # generous bounds for slow machines; the happy path takes a few seconds

ENVIRONMENT = """\
id: app
services:
  db:
    provider: postgres
  web:
    command: ["{python}", "-m", "http.server", "{port}", "--bind", "127.0.0.1"]
    ready:
      http: "http://127.0.0.1:{port}/"
proxies:
  postgres:
    upstream: "{services.db.host}:{services.db.port}"
  web:
    upstream: "127.0.0.1:{services.web.port}"
exports:
  PG_PROXY_PORT: "{proxies.postgres.port}"
  WEB_PROXY_PORT: "{proxies.web.port}"
"""

RUNBOOK = """\
id: slow-database
title: The database is slow
severity: P2
vars:
  MARKER:
    description: touched once the step runs, so the test knows when to act
  RELEASE:
    description: the step waits until this file exists
  EXIT_CODE:
    description: how the step ends once released
    default: "1"
steps:
  - order: 1
    description: Wait for the on-call engineer
    command: |
      touch "$MARKER"
      while [ ! -e "$RELEASE" ]; do sleep 0.1; done
      exit "$EXIT_CODE"
"""

DRILL = """\
id: slow-database-drill
title: Slow database drill
runbook: slow-database
environment: app
vars:
  MARKER: {marker}
  RELEASE: {release}
inject:
  - proxy: postgres
    type: latency
    attributes: {{latency: 300}}
  - kind: proxy_down
    proxy: web
"""


# -- the separate toxiproxy server ----------------------------------------------------------
@dataclass
class ToxiproxyProcess:
    """drillbook's toxiproxy-compatible server as its own process, and its API."""

    process: subprocess.Popen[str]
    url: str

    def proxies(self) -> dict[str, dict[str, Any]]:
        answer = httpx.get(f"{self.url}/proxies", timeout=5)
        answer.raise_for_status()
        return dict(answer.json())


def _read_url(process: subprocess.Popen[str]) -> str:
    assert process.stdout is not None
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        ready, _, _ = select.select([process.stdout], [], [], 0.1)
        if ready:
            line = process.stdout.readline()
            if "listening on" in line:
                return line.rsplit(" ", 1)[1].strip()
            if not line:
                break
    raise AssertionError(f"the toxiproxy server did not start (exit {process.poll()})")


@pytest.fixture
def toxiproxy_server() -> Iterator[ToxiproxyProcess]:
    command = [sys.executable, "-m", "drillbook.faults.server.command", "--port", "0"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        yield ToxiproxyProcess(process, _read_url(process))
    finally:
        process.terminate()
        process.wait(10)


# -- the project ------------------------------------------------------------------------------
@dataclass
class Project:
    """The pytester project and the files its drill's step uses to talk to the test."""

    pytester: pytest.Pytester
    marker: Path
    release: Path
    toxiproxy: ToxiproxyProcess

    def args(self, *extra: str) -> list[str]:
        url = self.toxiproxy.url
        return ["drills", "-q", "-p", "no:cacheprovider", "--toxiproxy-url", url, *extra]

    def start(self, output: Path) -> subprocess.Popen[bytes]:
        """pytest on the project, in the background, its output going to ``output``."""
        with output.open("w") as sink:
            process: subprocess.Popen[bytes] = self.pytester.popen(
                [sys.executable, "-m", "pytest", *self.args()],
                stdout=sink,
                stderr=subprocess.STDOUT,
            )
        return process


@pytest.fixture
def project(pytester: pytest.Pytester, toxiproxy_server: ToxiproxyProcess) -> Project:
    for folder in ("runbooks", "drills", "environments"):
        (pytester.path / folder).mkdir()
    marker = pytester.path / "step-started"
    release = pytester.path / "release-step"
    (pytester.path / "environments" / "app.yaml").write_text(ENVIRONMENT)
    (pytester.path / "runbooks" / "slow-database.yaml").write_text(RUNBOOK)
    drill = DRILL.format(marker=marker, release=release)
    (pytester.path / "drills" / "slow-database.yaml").write_text(drill)
    return Project(pytester, marker, release, toxiproxy_server)


# -- what a run started, and what is left of it ------------------------------------------------
@dataclass
class Started:
    """Everything a pytest run had started, recorded while its step was blocked."""

    pytest_pid: int
    processes: list[tuple[int, float, str]]
    instance_dirs: list[Path]


def _instance_dirs_of(pid: int) -> list[Path]:
    """The PostgreSQL provider's instance directories whose owner is ``pid``."""
    scratch = scratch_root(os.environ)
    found = []
    for entry in scratch.iterdir():
        if not entry.name.startswith(INSTANCE_PREFIX):
            continue
        with contextlib.suppress(OSError):
            if (entry / "owner").read_text().strip() == str(pid):
                found.append(entry)
    return found


def _wait_for(condition: Any, what: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        if process.poll() is not None:
            raise AssertionError(f"pytest ended before {what}:\n{log.read_text()}")
        if time.monotonic() > deadline:
            raise AssertionError(f"no {what} within {WAIT_SECONDS:g} s:\n{log.read_text()}")
        time.sleep(0.05)


def _record_started(process: subprocess.Popen[bytes]) -> Started:
    children = psutil.Process(process.pid).children(recursive=True)
    recorded = []
    for child in children:
        with contextlib.suppress(psutil.Error):
            recorded.append((child.pid, child.create_time(), " ".join(child.cmdline())))
    return Started(process.pid, recorded, _instance_dirs_of(process.pid))


def _alive(processes: list[tuple[int, float, str]]) -> list[str]:
    """The recorded processes still running (same pid and start time, not a zombie)."""
    alive = []
    for pid, created, cmdline in processes:
        with contextlib.suppress(psutil.Error):
            proc = psutil.Process(pid)
            if proc.create_time() == created and proc.status() != psutil.STATUS_ZOMBIE:
                alive.append(f"{pid}: {cmdline}")
    return alive


def _kill_leftovers(started: Started | None) -> None:
    """After a failed assertion: leave nothing running on the machine."""
    if started is None:
        return
    for pid, created, _ in started.processes:
        with contextlib.suppress(psutil.Error):
            proc = psutil.Process(pid)
            if proc.create_time() == created:
                proc.kill()


def _check_faults_in_place(server: ToxiproxyProcess) -> None:
    proxies = server.proxies()
    by_name = {name.rsplit("-", 1)[1]: proxy for name, proxy in proxies.items()}
    assert set(by_name) == {"postgres", "web"}, proxies
    assert [t["type"] for t in by_name["postgres"]["toxics"]] == ["latency"]
    assert by_name["web"]["enabled"] is False


def _check_all_lifted(server: ToxiproxyProcess, started: Started) -> None:
    proxies = server.proxies()
    assert [(name, p["toxics"]) for name, p in proxies.items() if p["toxics"]] == []
    assert [name for name, p in proxies.items() if not p["enabled"]] == []
    assert [name for name in proxies if name.startswith("drillbook-")] == []
    assert _alive(started.processes) == []
    assert [d for d in started.instance_dirs if d.exists()] == []
    assert _instance_dirs_of(started.pytest_pid) == []


def _run_until_step(project: Project, log: Path) -> tuple[subprocess.Popen[bytes], Started]:
    """Start pytest, wait until the drill's step runs, record what it started by then."""
    process = project.start(log)
    _wait_for(project.marker.exists, "the drill's step", process, log)
    # drillbook writes the step's process group to the ledger just after starting it: a kill
    # in the few milliseconds between cannot be undone by anyone, so wait for the entry
    _wait_for(lambda: _step_in_ledger(project), "the step in the ledger", process, log)
    started = _record_started(process)
    names = " ".join(cmdline for _, _, cmdline in started.processes)
    assert "http.server" in names and "postgres" in names and "RELEASE" in names, names
    assert len(started.instance_dirs) == 1
    _check_faults_in_place(project.toxiproxy)
    return process, started


def _finish(process: subprocess.Popen[bytes], log: Path) -> str:
    try:
        process.wait(WAIT_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        raise AssertionError(f"pytest did not end:\n{log.read_text()}") from None
    return log.read_text()


def _step_in_ledger(project: Project) -> bool:
    return any('"step command' in path.read_text() for path in _ledgers(project))


def _ledgers(project: Project) -> list[Path]:
    return sorted((project.pytester.path / ".drillbook" / "ledgers").glob("*.jsonl"))


# -- the scenarios ------------------------------------------------------------------------------
def test_a_drill_that_fails_mid_way_leaves_nothing_behind(project: Project) -> None:
    log = project.pytester.path / "run.log"
    started = None
    try:
        process, started = _run_until_step(project, log)
        project.release.touch()  # the step now fails with exit code 1, faults still in place
        output = _finish(process, log)
        assert process.returncode == 1, output
        assert "drill slow-database-drill (Slow database drill) failed in phase respond" in output
        _check_all_lifted(project.toxiproxy, started)
        assert _ledgers(project) == []
        report = json.loads((project.pytester.path / "reports" / "drill-report.json").read_text())
        timeline = report["drills"][0]["timeline"]
        lifted = [e["message"] for e in timeline if e["message"].startswith("lifted")]
        assert len(lifted) == 2, lifted
    finally:
        _kill_leftovers(started)


def test_sigint_to_a_running_pytest_leaves_nothing_behind(project: Project) -> None:
    log = project.pytester.path / "run.log"
    started = None
    try:
        process, started = _run_until_step(project, log)
        process.send_signal(signal.SIGINT)
        output = _finish(process, log)
        assert process.returncode == pytest.ExitCode.INTERRUPTED, output
        assert "KeyboardInterrupt" in output
        _check_all_lifted(project.toxiproxy, started)
        assert _ledgers(project) == []
    finally:
        _kill_leftovers(started)


def test_sigkill_to_a_running_pytest_is_cleaned_by_the_next_run(project: Project) -> None:
    log = project.pytester.path / "run.log"
    started = None
    try:
        process, started = _run_until_step(project, log)
        process.send_signal(signal.SIGKILL)
        process.wait(WAIT_SECONDS)
        # the killed run cleaned nothing: the faults and the processes are all still there
        _check_faults_in_place(project.toxiproxy)
        alive = " ".join(_alive(started.processes))
        assert "http.server" in alive and "postgres" in alive and "RELEASE" in alive, alive
        assert [d for d in started.instance_dirs if d.exists()] == started.instance_dirs
        assert len(_ledgers(project)) == 1

        project.marker.unlink()
        released = project.pytester.path / "released-for-the-new-run"
        released.touch()  # the killed run's step keeps waiting: the sweep must end it
        result = project.pytester.runpytest_subprocess(
            *project.args("--drill-var=EXIT_CODE=0", f"--drill-var=RELEASE={released}")
        )
        result.assert_outcomes(passed=1)
        prefix = "drillbook: lifted what a killed run left: "
        swept = [line[len(prefix) :] for line in result.outlines if line.startswith(prefix)]
        # newest first: the step's command, the faults, the web service, the proxies, the database
        expected = [
            r"process step command \(pid \d+\) stopped",
            r"proxy drillbook-\S+-web re-enabled",
            r"toxic drillbook_latency_\S+ on proxy drillbook-\S+-postgres",
            r"process web \(pid \d+\) stopped",
            r"proxy drillbook-\S+-web deleted",
            r"proxy drillbook-\S+-postgres deleted",
            r"PostgreSQL server \(pid \d+\) stopped, \S+ removed",
        ]
        assert len(swept) == len(expected), result.outlines
        for pattern, line in zip(expected, swept, strict=True):
            assert re.fullmatch(pattern, line), (pattern, line)
        assert project.marker.exists(), "the new run ran the drill after cleaning up"
        _check_all_lifted(project.toxiproxy, started)
        assert _ledgers(project) == []
    finally:
        _kill_leftovers(started)
