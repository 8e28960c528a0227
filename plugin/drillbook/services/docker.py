"""Whether a Docker engine answers here, decided in well under a second and without testcontainers.

The engine address is ``DOCKER_HOST`` when set, else the usual sockets (system, rootless,
Docker Desktop). A unix socket or plain TCP engine must answer ``GET /_ping`` with ``OK``
within the timeout; a TLS engine only has to accept the connection. The answer is cached
per process and per address; nothing here raises.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

DEFAULT_HOST = "unix:///var/run/docker.sock"
PING = b"GET /_ping HTTP/1.1\r\nHost: docker\r\nUser-Agent: drillbook\r\nConnection: close\r\n\r\n"
MAX_ANSWER = 4096

_cache: dict[tuple[int, tuple[str, ...], bool], DockerStatus] = {}
_lock = threading.Lock()


@dataclass(frozen=True)
class DockerStatus:
    """Whether an engine answered, at which address, why not, and how long asking took."""

    available: bool
    reason: str
    host: str = DEFAULT_HOST
    seconds: float = 0.0


def docker_engine_available(
    timeout: float = 0.3, *, environ: Mapping[str, str] | None = None
) -> DockerStatus:
    """Ask the engine at ``DOCKER_HOST`` (or the usual sockets) whether it is up. Never raises."""
    env = os.environ if environ is None else environ
    hosts = tuple(candidate_hosts(env))
    tls = bool(env.get("DOCKER_TLS_VERIFY"))
    key = (os.getpid(), hosts, tls)
    with _lock:
        if key in _cache:
            return _cache[key]
    status = _probe_all(hosts, tls, timeout)
    with _lock:
        _cache[key] = status
    return status


def clear_cache() -> None:
    """Forget earlier answers (an engine may have been started since)."""
    with _lock:
        _cache.clear()


def candidate_hosts(environ: Mapping[str, str]) -> list[str]:
    """``DOCKER_HOST`` alone when set; else the system socket then any per-user socket found."""
    given = environ.get("DOCKER_HOST", "").strip()
    if given:
        return [given]
    hosts = [DEFAULT_HOST]
    for path in _user_sockets(environ):
        if path.exists():
            hosts.append(f"unix://{path}")
    return hosts


def _user_sockets(environ: Mapping[str, str]) -> list[Path]:
    paths: list[Path] = []
    runtime = environ.get("XDG_RUNTIME_DIR")
    if runtime:
        paths.append(Path(runtime) / "docker.sock")
    home = environ.get("HOME")
    if home:
        paths += [
            Path(home) / ".docker/run/docker.sock",
            Path(home) / ".docker/desktop/docker.sock",
        ]
    return paths


def _probe_all(hosts: tuple[str, ...], tls: bool, timeout: float) -> DockerStatus:
    first: DockerStatus | None = None
    for host in hosts:
        started = time.monotonic()
        try:
            available, reason = _probe(host, tls, timeout)
        except Exception as exc:  # the promise is: never raises
            available, reason = False, f"no engine at {host}: {type(exc).__name__}: {exc}"
        status = DockerStatus(available, reason, host, time.monotonic() - started)
        if available:
            return status
        first = first or status
    assert first is not None  # candidate_hosts always gives at least one address
    return first


def _probe(host: str, tls: bool, timeout: float) -> tuple[bool, str]:
    parts = urlsplit(host if "://" in host else f"tcp://{host}")
    if parts.scheme == "unix":
        return _probe_unix(host, parts.path, timeout)
    if parts.scheme in ("tcp", "http", "https"):
        return _probe_tcp(host, parts.hostname or "127.0.0.1", parts.port or 2375, tls, timeout)
    return False, f"DOCKER_HOST={host}: drillbook only probes unix:// and tcp:// engines"


def _probe_unix(host: str, path: str, timeout: float) -> tuple[bool, str]:
    if not os.path.exists(path):
        return False, f"no engine at {host} (no such socket)"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        return _ping(sock, path, host, timeout)


def _probe_tcp(host: str, hostname: str, port: int, tls: bool, timeout: float) -> tuple[bool, str]:
    try:
        sock = socket.create_connection((hostname, port), timeout=timeout)
    except OSError as exc:
        return False, f"no engine at {host}: {_why(exc)}"
    with sock:
        if tls:
            return True, f"engine at {host} accepts connections (TLS, not pinged)"
        return _ping(sock, None, host, timeout)


def _ping(sock: socket.socket, path: str | None, host: str, timeout: float) -> tuple[bool, str]:
    deadline = time.monotonic() + timeout
    try:
        sock.settimeout(timeout)
        if path is not None:
            sock.connect(path)
        sock.sendall(PING)
        answer = _read_answer(sock, deadline)
    except OSError as exc:
        return False, f"no engine at {host}: {_why(exc)}"
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line = head.split(b"\r\n", 1)[0].decode("latin-1", "replace")
    if status_line.split(" ")[1:2] == ["200"] and b"OK" in body:
        return True, f"engine at {host} answered /_ping"
    shown = status_line or "no answer"
    return False, f"no engine at {host}: /_ping answered {shown!r}"


def _read_answer(sock: socket.socket, deadline: float) -> bytes:
    """Read until the peer closes, a complete OK arrives, or the deadline passes."""
    answer = b""
    while len(answer) < MAX_ANSWER:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("timed out")
        sock.settimeout(remaining)
        chunk = sock.recv(MAX_ANSWER)
        if not chunk:
            break
        answer += chunk
        if b"\r\n\r\n" in answer and answer.rstrip().endswith(b"OK"):
            break
    return answer


def _why(exc: OSError) -> str:
    if isinstance(exc, TimeoutError):
        return "no answer in time"
    return exc.strerror or str(exc) or type(exc).__name__
