"""Running one shell command: its own process group, a bounded capture, killed whole on timeout.

Values reach the command only through its environment; the command text is passed to the
shell exactly as written (comments and line breaks included).
"""

from __future__ import annotations

import contextlib
import os
import selectors
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import psutil

from drillbook.errors import DrillbookError
from drillbook.steps.tailbuffer import TailBuffer

KILL_GRACE = 2.0
"""Seconds between SIGTERM and SIGKILL when a command's process group is ended."""
DRAIN_AFTER_EXIT = 0.5
"""Seconds to keep reading pipes still held open by processes that left the group."""
_TICK = 0.05
ProcessWatch = Callable[[int], AbstractContextManager[object]]
"""Entered with a command's process group id while the command runs (see ``run_shell``)."""
_READ_SIZE = 64 * 1024


class CommandNotStarted(DrillbookError):
    """The shell could not be started (no shell, no working directory, no permission)."""


@dataclass(frozen=True)
class ShellRun:
    """What one command did: its exit code, the tail of its output, and whether it timed out."""

    exit_code: int | None
    stdout: str
    stderr: str
    timed_out: bool


def shell_argv(command: str) -> list[str]:
    """``bash -c COMMAND`` where bash exists, else ``/bin/sh -c COMMAND``."""
    return [shutil.which("bash") or "/bin/sh", "-c", command]


def run_shell(
    command: str,
    *,
    env: Mapping[str, str],
    timeout: float,
    limit: int,
    cwd: Path | None = None,
    kill_grace: float = KILL_GRACE,
    watch: ProcessWatch | None = None,
) -> ShellRun:
    """Run ``command`` with exactly ``env``; keep the last ``limit`` bytes of stdout and stderr.

    ``watch``, when given, is entered with the shell's pid (its process group) right after
    it starts and left once the group is gone: drills write the group to the fault ledger
    there, so a run killed mid-step has its command ended by the next run.

    When the command outlives ``timeout`` seconds (real time) its whole process group gets
    SIGTERM, then SIGKILL after ``kill_grace`` seconds. Processes the command left running
    in its group after it exits are ended the same way, so a step leaves nothing behind.
    """
    process = _start(command, env=env, cwd=cwd)
    with contextlib.ExitStack() as stack:
        if watch is not None:
            try:
                stack.enter_context(watch(process.pid))
            except BaseException:
                _signal_group(process.pid, signal.SIGKILL)
                _reap(process)
                raise
        return _supervise(process, timeout=timeout, limit=limit, kill_grace=kill_grace)


def _supervise(
    process: subprocess.Popen[bytes], *, timeout: float, limit: int, kill_grace: float
) -> ShellRun:
    """Capture a started command until it exits or times out; end its group either way."""
    capture = _Capture(process, limit)
    ended = False
    try:
        finished = capture.until_exit(time.monotonic() + timeout)
        _end_group(process, capture, kill_grace, force=not finished)
        ended = True
        capture.drain(DRAIN_AFTER_EXIT)
    finally:
        capture.close()
        if not ended:  # interrupted: leave nothing running
            _signal_group(process.pid, signal.SIGKILL)
        _reap(process)
    return ShellRun(
        exit_code=process.returncode,
        stdout=capture.stdout.text(),
        stderr=capture.stderr.text(),
        timed_out=not finished,
    )


def _start(command: str, *, env: Mapping[str, str], cwd: Path | None) -> subprocess.Popen[bytes]:
    argv = shell_argv(command)
    if cwd is not None and not Path(cwd).is_dir():
        raise CommandNotStarted(f"cannot start the command: working directory {cwd} does not exist")
    try:
        return subprocess.Popen(
            argv,
            env=dict(env),
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
    except OSError as error:
        reason = error.strerror or str(error)
        raise CommandNotStarted(f"cannot start the command with {argv[0]}: {reason}") from error


class _Capture:
    """Reads a process's stdout and stderr together into two tail buffers."""

    def __init__(self, process: subprocess.Popen[bytes], limit: int) -> None:
        self._process = process
        self.stdout = TailBuffer(limit)
        self.stderr = TailBuffer(limit)
        self._selector = selectors.DefaultSelector()
        self._pipes: list[IO[bytes]] = []
        for pipe, buffer in ((process.stdout, self.stdout), (process.stderr, self.stderr)):
            if pipe is not None:
                self._selector.register(pipe, selectors.EVENT_READ, buffer)
                self._pipes.append(pipe)

    @property
    def open(self) -> bool:
        return bool(self._selector.get_map())

    def pump(self, timeout: float) -> None:
        """Read whatever arrives within ``timeout`` seconds; forget pipes that reached EOF."""
        if not self.open:
            time.sleep(max(timeout, 0.0))
            return
        for key, _ in self._selector.select(max(timeout, 0.0)):
            chunk = os.read(key.fd, _READ_SIZE)
            if chunk:
                key.data.append(chunk)
            else:
                self._selector.unregister(key.fileobj)

    def until_exit(self, deadline: float) -> bool:
        """Read until the process exits (True) or ``deadline`` passes (False)."""
        while self._process.poll() is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            if not self.open:  # both pipes closed: nothing to read, just wait
                try:
                    self._process.wait(remaining)
                except subprocess.TimeoutExpired:
                    return False
                return True
            self.pump(min(remaining, _TICK))
        return True

    def drain(self, seconds: float) -> None:
        """Read what is left, for at most ``seconds`` (a pipe may be held by an escapee)."""
        end = time.monotonic() + seconds
        while self.open and (remaining := end - time.monotonic()) > 0:
            self.pump(min(remaining, _TICK))

    def close(self) -> None:
        self._selector.close()
        for pipe in self._pipes:
            pipe.close()


def _end_group(
    process: subprocess.Popen[bytes], capture: _Capture, grace: float, *, force: bool
) -> None:
    """SIGTERM the command's process group, keep reading for ``grace`` seconds, then SIGKILL."""
    group = process.pid  # start_new_session made the shell the leader of its own group
    if not force and not _group_alive(group):
        return
    _signal_group(group, signal.SIGTERM)
    end = time.monotonic() + grace
    while time.monotonic() < end:
        if process.poll() is not None and not _group_alive(group):
            return
        capture.pump(_TICK)
    _signal_group(group, signal.SIGKILL)
    end = time.monotonic() + KILL_GRACE  # SIGKILL is delivered asynchronously
    while time.monotonic() < end and (process.poll() is None or _group_alive(group)):
        capture.pump(_TICK)


def _group_alive(group: int) -> bool:
    """Whether any process of ``group`` is still running (zombies do not count)."""
    try:
        os.killpg(group, 0)
    except (ProcessLookupError, PermissionError):
        return False
    for proc in psutil.process_iter(["status"]):
        with contextlib.suppress(OSError, psutil.Error):
            if proc.info["status"] != psutil.STATUS_ZOMBIE and os.getpgid(proc.pid) == group:
                return True
    return False


def _signal_group(group: int, signum: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(group, signum)


def _reap(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=KILL_GRACE)
