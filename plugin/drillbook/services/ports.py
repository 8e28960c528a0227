"""Free TCP ports for the servers drillbook starts, distinct across pytest-xdist workers.

``free_port`` asks the kernel for an unused port. Between that answer and the moment a
server binds the port, another process may be handed the same number; ``reserve_port``
closes that window between drillbook processes (xdist workers, parallel runs of the same
user) with claim files: a port is only handed out if this process could create its claim
file, and a claim expires after ``ttl`` seconds, by which time the server holds the port.
Expired claims are swept on the next reservation, so unreleased ones do not pile up.
"""

from __future__ import annotations

import contextlib
import os
import socket
import tempfile
import time
from pathlib import Path

CLAIM_TTL_SECONDS = 60.0
MAX_TRIES = 50


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port on ``host`` that nothing listens on at the moment of the call."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def xdist_worker() -> str:
    """The pytest-xdist worker id of this process (``gw0``, ``gw1``...) or ``main``."""
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def claims_dir() -> Path:
    """Where port claims live: one directory per user under the system temp dir."""
    path = Path(tempfile.gettempdir()) / f"drillbook-ports-{os.geteuid()}"
    path.mkdir(mode=0o700, exist_ok=True)
    return path


def reserve_port(host: str = "127.0.0.1", *, ttl: float = CLAIM_TTL_SECONDS) -> int:
    """A free port on ``host`` no other drillbook process was handed in the last ``ttl`` s."""
    directory = claims_dir()
    _prune(directory, ttl)
    for _ in range(MAX_TRIES):
        port = free_port(host)
        if _claim(directory / f"{host}-{port}", ttl):
            return port
    return free_port(host)  # every try collided: an unclaimed port beats failing


def release_port(port: int, host: str = "127.0.0.1") -> None:
    """Forget the claim on ``port`` (once the server that used it has stopped)."""
    with contextlib.suppress(OSError):
        (claims_dir() / f"{host}-{port}").unlink()


def _claim(path: Path, ttl: float) -> bool:
    """Create the claim file, or take over one older than ``ttl`` seconds."""
    owner = f"{os.getpid()} {xdist_worker()}\n".encode()
    for _ in range(2):
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            if not _expired(path, ttl):
                return False
            with contextlib.suppress(OSError):
                path.unlink()
            continue
        with os.fdopen(fd, "wb") as handle:
            handle.write(owner)
        return True
    return False


def _prune(directory: Path, ttl: float) -> None:
    """Remove expired claims, so claims nobody released do not pile up."""
    with contextlib.suppress(OSError):
        for path in directory.iterdir():
            if _expired(path, ttl):
                with contextlib.suppress(OSError):
                    path.unlink()


def _expired(path: Path, ttl: float) -> bool:
    try:
        return time.time() - path.stat().st_mtime > ttl
    except OSError:
        return True
