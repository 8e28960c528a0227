"""A process of the system under test: started in its own process group, logs captured to
a file, readiness probed, and stopped for sure (SIGTERM, then SIGKILL to the whole group)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from drillbook.drill.clock import Clock, RealClock
from drillbook.errors import DrillbookError

LOG_TAIL_LINES = 20


@dataclass
class ManagedProcess:
    """One started process and where its output goes."""

    name: str
    argv: Sequence[str]
    env: Mapping[str, str]
    cwd: Path
    log_path: Path
    stop_timeout: float = 5.0
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            try:
                self.process = subprocess.Popen(
                    list(self.argv),
                    cwd=self.cwd,
                    env={**os.environ, **self.env},
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            except OSError as exc:
                raise DrillbookError(
                    f"service {self.name!r} could not start `{self.argv[0]}`: {exc.strerror or exc}"
                ) from None

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        """SIGTERM to the process group, SIGKILL after ``stop_timeout``; idempotent."""
        process = self.process
        if process is None:
            return
        if process.poll() is None:
            _signal_group(process.pid, signal.SIGTERM)
            try:
                process.wait(self.stop_timeout)
            except subprocess.TimeoutExpired:
                _signal_group(process.pid, signal.SIGKILL)
                process.wait()
        _signal_group(process.pid, signal.SIGKILL)  # anything it left in its group


def _signal_group(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signum)


def wait_until_ready(
    process: ManagedProcess,
    *,
    http: str | None,
    tcp: str | None,
    timeout: float,
    interval: float,
    clock: Clock | None = None,
) -> float:
    """Poll the readiness probe; returns seconds taken. On timeout or exit, the error carries
    the service's last log lines."""
    clock = clock or RealClock()
    started = clock.monotonic()
    last_problem = "not probed yet"
    while True:
        if not process.running():
            code = process.process.returncode if process.process else None
            raise _not_ready(process, f"exited with status {code} before it was ready")
        ready, last_problem = _probe(http, tcp)
        if ready:
            return clock.monotonic() - started
        if clock.monotonic() - started >= timeout:
            raise _not_ready(process, f"not ready after {timeout:g} s ({last_problem})")
        clock.sleep(interval)


def _probe(http: str | None, tcp: str | None) -> tuple[bool, str]:
    if http is not None:
        try:
            response = httpx.get(http, timeout=1.0)
        except httpx.HTTPError as exc:
            return False, f"GET {http}: {exc.__class__.__name__}: {exc}"
        return response.is_success, f"GET {http} answered {response.status_code}"
    assert tcp is not None
    host, _, port = tcp.rpartition(":")
    try:
        with socket.create_connection((host or "127.0.0.1", int(port)), timeout=1.0):
            return True, "accepting"
    except OSError as exc:
        return False, f"TCP {tcp}: {exc.strerror or exc}"


def _not_ready(process: ManagedProcess, problem: str) -> DrillbookError:
    tail = process.log_tail()
    shown = "\n".join(f"    {line}" for line in tail.splitlines()) or "    (no output)"
    return DrillbookError(
        f"service {process.name!r} {problem}; its last log lines ({process.log_path}):\n{shown}"
    )
