"""The Docker engine probe: quick, never raising, and right against real (fake) engines."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from drillbook.services.docker import (
    DEFAULT_HOST,
    candidate_hosts,
    clear_cache,
    docker_engine_available,
)
from hypothesis import given, settings
from hypothesis import strategies as st

PING_OK = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nOK"


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    clear_cache()
    yield
    clear_cache()


@pytest.fixture
def short_dir() -> Iterator[Path]:
    """A directory with a short path: unix socket paths are limited to 107 bytes."""
    path = Path(tempfile.mkdtemp(prefix="dbk-", dir="/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


class FakeEngine:
    """A server on a unix or TCP socket that answers each connection with ``answer`` (or not)."""

    def __init__(self, sock: socket.socket, answer: bytes | None) -> None:
        self.sock = sock
        self.answer = answer
        self.requests: list[bytes] = []
        self._held: list[socket.socket] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self.sock.listen(8)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.requests.append(conn.recv(4096))
            if self.answer is None:
                self._held.append(conn)  # accept, read, and never answer
                continue
            conn.sendall(self.answer)
            conn.close()

    def close(self) -> None:
        self.sock.close()
        for conn in self._held:
            conn.close()


def unix_engine(path: Path, answer: bytes | None) -> FakeEngine:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(str(path))
    return FakeEngine(sock, answer)


def tcp_engine(answer: bytes | None) -> FakeEngine:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    return FakeEngine(sock, answer)


def test_this_machine_is_answered_in_well_under_a_second() -> None:
    started = time.monotonic()
    status = docker_engine_available()
    elapsed = time.monotonic() - started
    print(f"docker probe: {status.reason} in {elapsed * 1000:.1f} ms")
    assert elapsed < 1.0
    no_engine_here = "DOCKER_HOST" not in os.environ and not Path("/var/run/docker.sock").exists()
    if no_engine_here:
        assert not status.available
        assert status.reason == f"no engine at {DEFAULT_HOST} (no such socket)"


def test_deciding_does_not_import_testcontainers() -> None:
    code = (
        "import sys\n"
        "from drillbook.services.docker import docker_engine_available\n"
        "docker_engine_available()\n"
        "print(sorted(m for m in sys.modules if m.startswith(('testcontainers', 'docker.'))))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=30
    )
    assert out.stdout.strip() == "[]"


def test_missing_socket_named_in_docker_host_is_unavailable(short_dir: Path) -> None:
    host = f"unix://{short_dir}/docker.sock"
    status = docker_engine_available(environ={"DOCKER_HOST": host})
    assert not status.available
    assert status.host == host
    assert status.reason == f"no engine at {host} (no such socket)"


def test_a_unix_socket_answering_ping_ok_is_an_engine(short_dir: Path) -> None:
    engine = unix_engine(short_dir / "docker.sock", PING_OK)
    try:
        status = docker_engine_available(environ={"DOCKER_HOST": f"unix://{short_dir}/docker.sock"})
    finally:
        engine.close()
    assert status.available, status.reason
    assert engine.requests[0].startswith(b"GET /_ping HTTP/1.1\r\n")


def test_a_socket_that_never_answers_times_out_quickly(short_dir: Path) -> None:
    engine = unix_engine(short_dir / "docker.sock", None)
    try:
        started = time.monotonic()
        status = docker_engine_available(
            0.2, environ={"DOCKER_HOST": f"unix://{short_dir}/docker.sock"}
        )
        elapsed = time.monotonic() - started
    finally:
        engine.close()
    assert not status.available
    assert status.reason.endswith("no answer in time")
    assert elapsed < 0.7


def test_a_socket_answering_something_else_is_not_an_engine(short_dir: Path) -> None:
    answer = b"HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found"
    engine = unix_engine(short_dir / "docker.sock", answer)
    try:
        status = docker_engine_available(environ={"DOCKER_HOST": f"unix://{short_dir}/docker.sock"})
    finally:
        engine.close()
    assert not status.available
    assert "/_ping answered 'HTTP/1.1 404 Not Found'" in status.reason


def test_a_tcp_engine_answering_ping_is_an_engine() -> None:
    engine = tcp_engine(PING_OK)
    port = engine.sock.getsockname()[1]
    try:
        status = docker_engine_available(environ={"DOCKER_HOST": f"tcp://127.0.0.1:{port}"})
    finally:
        engine.close()
    assert status.available, status.reason


def test_a_closed_tcp_port_is_not_an_engine() -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    status = docker_engine_available(environ={"DOCKER_HOST": f"tcp://127.0.0.1:{port}"})
    assert not status.available
    assert status.reason.startswith(f"no engine at tcp://127.0.0.1:{port}: ")


def test_the_answer_is_cached_until_cleared(short_dir: Path) -> None:
    engine = unix_engine(short_dir / "docker.sock", PING_OK)
    env = {"DOCKER_HOST": f"unix://{short_dir}/docker.sock"}
    try:
        first = docker_engine_available(environ=env)
        second = docker_engine_available(environ=env)
        time.sleep(0.05)
        assert len(engine.requests) == 1
        clear_cache()
        docker_engine_available(environ=env)
        time.sleep(0.05)
        assert len(engine.requests) == 2
    finally:
        engine.close()
    assert first is second


def test_ssh_engines_are_reported_not_probed() -> None:
    status = docker_engine_available(environ={"DOCKER_HOST": "ssh://me@build-box"})
    assert not status.available
    assert "only probes unix:// and tcp://" in status.reason


def test_per_user_sockets_are_candidates_when_present(short_dir: Path) -> None:
    (short_dir / "docker.sock").touch()
    env = {"XDG_RUNTIME_DIR": str(short_dir), "HOME": "/nonexistent"}
    assert candidate_hosts(env) == [DEFAULT_HOST, f"unix://{short_dir}/docker.sock"]
    assert candidate_hosts({"DOCKER_HOST": "tcp://x:1", **env}) == ["tcp://x:1"]


def test_a_rootless_engine_is_found_without_docker_host(short_dir: Path) -> None:
    if Path("/var/run/docker.sock").exists():
        pytest.skip("a system engine socket exists and would be asked first")
    engine = unix_engine(short_dir / "docker.sock", PING_OK)
    try:
        status = docker_engine_available(environ={"XDG_RUNTIME_DIR": str(short_dir)})
    finally:
        engine.close()
    assert status.available, status.reason
    assert status.host == f"unix://{short_dir}/docker.sock"


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from(["unix://", "ssh://", "npipe://", "fd://", "unix:", "tcp://127.0.0.1:"]),
    st.text(st.characters(blacklist_categories=["Cs"]), max_size=30),
)
def test_never_raises_whatever_docker_host_says(scheme: str, rest: str) -> None:
    clear_cache()
    status = docker_engine_available(0.1, environ={"DOCKER_HOST": scheme + rest})
    assert isinstance(status.available, bool)
    assert status.reason
