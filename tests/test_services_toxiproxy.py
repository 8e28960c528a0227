"""The toxiproxy provider chain: a given URL (option or environment), a ``toxiproxy-server``
binary on PATH, a container when a Docker engine answers, and drillbook's embedded server.

The binary here is a stand-in script that maps toxiproxy-server's ``-host``/``-port`` flags
onto drillbook's own server command, so the provider really starts, waits for and stops an
external process.
"""

from __future__ import annotations

import contextlib
import os
import socket
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest
from drillbook.errors import DrillbookError
from drillbook.faults.server import VERSION, ToxiproxyServer
from drillbook.faults.toxiproxy_client import ToxiproxyClient
from drillbook.services.chain import NoProvider
from drillbook.services.ports import free_port
from drillbook.services.resources import SessionResources
from drillbook.services.toxiproxy import PROVIDER_NAMES, URL_ENV, obtain_toxiproxy

FAKE_BINARY = """\
#!/bin/sh
# toxiproxy-server's flags mapped onto drillbook's toxiproxy-compatible server
host=127.0.0.1
port=8474
while [ $# -gt 0 ]; do
  case "$1" in
    -host) host="$2"; shift 2 ;;
    -port) port="$2"; shift 2 ;;
    *) shift ;;
  esac
done
exec "{python}" -m drillbook.faults.server.command --host "$host" --port "$port"
"""

BROKEN_BINARY = """\
#!/bin/sh
echo "toxiproxy-server: cannot start" >&2
exit 3
"""


@pytest.fixture(scope="module")
def running_server() -> Iterator[str]:
    """A toxiproxy API someone else runs (the URL a user would give)."""
    with ToxiproxyServer("127.0.0.1", 0) as server:
        yield server.url


@pytest.fixture
def bare_environ(tmp_path: Path) -> dict[str, str]:
    """No URL, no toxiproxy-server on PATH, no Docker engine: only the embedded server."""
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    return {
        "PATH": f"{empty}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "DOCKER_HOST": f"tcp://127.0.0.1:{free_port()}",
    }


def _install(tmp_path: Path, text: str) -> Path:
    bindir = tmp_path / "bin"
    bindir.mkdir(exist_ok=True)
    binary = bindir / "toxiproxy-server"
    binary.write_text(text.format(python=sys.executable))
    binary.chmod(binary.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return bindir


def _children() -> set[int]:
    return {child.pid for child in psutil.Process().children(recursive=True)}


def _listening_on(url: str) -> list[psutil.Process]:
    """The processes listening on the port of ``url`` (none for an empty url)."""
    if not url:
        return []
    port = int(url.rsplit(":", 1)[1])
    found = []
    for connection in psutil.net_connections("tcp"):
        listening = connection.status == psutil.CONN_LISTEN and connection.pid is not None
        if listening and getattr(connection.laddr, "port", None) == port:
            with contextlib.suppress(psutil.Error):
                found.append(psutil.Process(connection.pid))
    return found


def _refuses(url: str) -> bool:
    host, port = url.removeprefix("http://").split(":")
    try:
        socket.create_connection((host, int(port)), timeout=1).close()
    except ConnectionRefusedError:
        return True
    return False


# -- a given URL ----------------------------------------------------------------------------
def test_a_given_url_is_used_and_no_server_is_started(
    running_server: str, bare_environ: dict[str, str]
) -> None:
    before = _children()
    provided = obtain_toxiproxy(running_server, environ=bare_environ)
    instance = provided.value
    assert (instance.provider, instance.url, instance.owned) == ("given-url", running_server, False)
    assert instance.version == VERSION
    assert [a.provider for a in provided.attempts] == ["given-url"]
    assert _children() == before
    instance.stop()  # not ours: stopping it must leave it running
    assert httpx.get(f"{running_server}/version", timeout=2).status_code == 200
    assert provided.describe() == f"toxiproxy: using given-url {VERSION} at {running_server}"


def test_the_url_may_come_from_the_environment(
    running_server: str, bare_environ: dict[str, str]
) -> None:
    provided = obtain_toxiproxy(None, environ={**bare_environ, URL_ENV: running_server + "/"})
    assert provided.provider == "given-url"
    assert provided.value.url == running_server


def test_a_given_url_wins_over_the_environment(
    running_server: str, bare_environ: dict[str, str]
) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    provided = obtain_toxiproxy(running_server, environ={**bare_environ, URL_ENV: dead})
    assert provided.value.url == running_server


def test_a_bad_given_url_is_reported_and_the_chain_falls_through(
    bare_environ: dict[str, str],
) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    provided = obtain_toxiproxy(dead, environ=bare_environ)
    try:
        assert provided.provider == "embedded"
        given = provided.attempts[0]
        assert (given.provider, given.outcome) == ("given-url", "unavailable")
        assert given.reason.startswith(f"{dead} did not answer: ConnectError")
        assert f"given-url: {dead} did not answer" in provided.describe()
    finally:
        provided.value.stop()


# -- a toxiproxy-server binary on PATH --------------------------------------------------------
def test_a_binary_on_path_is_started_used_and_stopped(
    tmp_path: Path, bare_environ: dict[str, str]
) -> None:
    bindir = _install(tmp_path, FAKE_BINARY)
    environ = {**bare_environ, "PATH": f"{bindir}:{bare_environ['PATH']}"}
    before = _children()
    provided = obtain_toxiproxy(None, environ=environ)
    instance = provided.value
    try:
        assert (instance.provider, instance.owned) == ("toxiproxy-server", True)
        assert instance.version == VERSION
        started = _children() - before
        assert len(started) == 1
        server = psutil.Process(started.pop())
        assert "drillbook.faults.server.command" in " ".join(server.cmdline())
        port = instance.url.rsplit(":", 1)[1]
        assert server.cmdline()[-2:] == ["--port", port]  # the port the provider chose
        with ToxiproxyClient(instance.url) as client:
            created = client.create_proxy("db", "127.0.0.1:0", f"127.0.0.1:{free_port()}")
            assert created["name"] == "db"
        assert provided.describe() == (
            f"toxiproxy: using toxiproxy-server {VERSION} at {instance.url} (given-url: not set)"
        )
    finally:
        instance.stop()
    assert not server.is_running() or server.status() == psutil.STATUS_ZOMBIE
    assert _refuses(instance.url)


def test_a_binary_that_exits_at_once_is_reported_and_the_chain_falls_through(
    tmp_path: Path, bare_environ: dict[str, str]
) -> None:
    bindir = _install(tmp_path, BROKEN_BINARY)
    environ = {**bare_environ, "PATH": f"{bindir}:{bare_environ['PATH']}"}
    provided = obtain_toxiproxy(None, environ=environ)
    try:
        assert provided.provider == "embedded"
        binary = next(a for a in provided.attempts if a.provider == "toxiproxy-server")
        assert binary.outcome == "unavailable"
        assert "exited before it answered" in binary.reason
    finally:
        provided.value.stop()


# -- docker, then the embedded server ---------------------------------------------------------
def test_without_an_engine_docker_is_skipped_quickly_with_its_reason(
    bare_environ: dict[str, str],
) -> None:
    provided = obtain_toxiproxy(None, environ=bare_environ)
    try:
        docker = next(a for a in provided.attempts if a.provider == "docker")
        assert docker.outcome == "unavailable"
        assert docker.reason.startswith(f"no engine at {bare_environ['DOCKER_HOST']}")
        assert docker.seconds < 1.0
        assert "start a Docker engine" in docker.fix
    finally:
        provided.value.stop()


def test_an_engine_that_never_answers_is_given_up_on_in_under_a_second(
    bare_environ: dict[str, str],
) -> None:
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)  # accepts connections (in the backlog) and never says a word
    host = f"tcp://127.0.0.1:{silent.getsockname()[1]}"
    try:
        provided = obtain_toxiproxy(None, environ={**bare_environ, "DOCKER_HOST": host})
        provided.value.stop()
    finally:
        silent.close()
    docker = next(a for a in provided.attempts if a.provider == "docker")
    assert docker.reason == f"no engine at {host}: no answer in time"
    assert docker.seconds < 1.0


def test_the_embedded_server_comes_last_and_works(bare_environ: dict[str, str]) -> None:
    provided = obtain_toxiproxy(None, environ=bare_environ)
    instance = provided.value
    try:
        assert [a.provider for a in provided.attempts] == list(PROVIDER_NAMES)
        assert [a.outcome for a in provided.attempts] == ["unavailable"] * 3 + ["used"]
        assert (instance.provider, instance.owned, instance.version) == ("embedded", True, VERSION)
        with ToxiproxyClient(instance.url) as client:
            assert client.version() == VERSION
        line = provided.describe()
        assert line.startswith(f"toxiproxy: using embedded {VERSION} at {instance.url} (")
        assert "given-url: not set; toxiproxy-server: not on PATH; docker: no engine at" in line
    finally:
        instance.stop()
    assert _refuses(instance.url)


def test_prefer_picks_and_orders_the_providers(
    running_server: str, bare_environ: dict[str, str]
) -> None:
    provided = obtain_toxiproxy(running_server, prefer=["embedded"], environ=bare_environ)
    try:
        assert [a.provider for a in provided.attempts] == ["embedded"]
        assert provided.value.url != running_server
    finally:
        provided.value.stop()


def test_an_unknown_provider_name_lists_the_known_ones() -> None:
    with pytest.raises(DrillbookError) as raised:
        obtain_toxiproxy(None, prefer=["given-url", "kubernetes"])
    assert str(raised.value) == (
        "unknown toxiproxy provider 'kubernetes': "
        "choose from given-url, toxiproxy-server, docker, embedded"
    )


def test_no_provider_says_each_reason_and_how_to_fix_it(bare_environ: dict[str, str]) -> None:
    with pytest.raises(NoProvider) as raised:
        obtain_toxiproxy(None, prefer=["given-url", "toxiproxy-server"], environ=bare_environ)
    assert str(raised.value).splitlines() == [
        "no way to obtain toxiproxy; tried in order:",
        "  - given-url: not set",
        f"    fix: pass --toxiproxy-url http://HOST:8474, set {URL_ENV}, "
        "or set drillbook_toxiproxy_url",
        "  - toxiproxy-server: not on PATH",
        "    fix: install toxiproxy-server from Shopify's toxiproxy releases and put it on PATH",
    ]


# -- the session's server -----------------------------------------------------------------------
def test_a_session_obtains_one_server_reports_it_once_and_stops_only_its_own(
    tmp_path: Path, running_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines: list[str] = []
    given = SessionResources(tmp_path, "run", toxiproxy_url=running_server, report=lines.append)
    threads = [threading.Thread(target=given.toxiproxy) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert lines == [f"toxiproxy: using given-url {VERSION} at {running_server}"]
    given.close()
    assert httpx.get(f"{running_server}/version", timeout=2).status_code == 200

    monkeypatch.setenv("PATH", f"{tmp_path}:/usr/bin:/bin")
    monkeypatch.setenv("DOCKER_HOST", f"tcp://127.0.0.1:{free_port()}")
    monkeypatch.delenv(URL_ENV, raising=False)
    owned = SessionResources(tmp_path, "run2")
    url = owned.toxiproxy().url
    assert owned.toxiproxy().url == url
    owned.close()
    assert _refuses(url)


KILLED_SESSION = """\
import sys, time
from pathlib import Path
from drillbook.services.resources import SessionResources

resources = SessionResources(Path(sys.argv[1]), "killed")
server = resources.toxiproxy()
resources.create_proxy("db", "127.0.0.1:9")
print(server.provider, server.url, server.pid, flush=True)
time.sleep(60)
"""


def _binary_environ(tmp_path: Path) -> dict[str, str]:
    bindir = _install(tmp_path, FAKE_BINARY)
    environ = {k: v for k, v in os.environ.items() if k != URL_ENV}
    environ.pop("PYTEST_XDIST_WORKER", None)  # a session of its own, also under xdist
    environ["PATH"] = f"{bindir}:{environ['PATH']}"
    environ["DOCKER_HOST"] = f"tcp://127.0.0.1:{free_port()}"
    return environ


def test_a_session_stops_the_binary_it_started_and_closes_its_ledger(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in _binary_environ(tmp_path).items():
        monkeypatch.setenv(key, value)
    resources = SessionResources(tmp_path / "state", "run")
    server = resources.toxiproxy()
    try:
        assert server.provider == "toxiproxy-server" and server.pid is not None
        process = psutil.Process(server.pid)
        resources.create_proxy("db", "127.0.0.1:9")
        assert [e.kind for e in resources.ledger.pending()] == ["process", "proxy"]
        resources.close()
    finally:
        server.stop()  # a no-op once close() stopped it
    assert not process.is_running() or process.status() == psutil.STATUS_ZOMBIE
    assert _refuses(server.url)
    assert list((tmp_path / "state" / "ledgers").iterdir()) == []


def test_a_binary_left_by_a_killed_session_is_stopped_by_the_next(tmp_path: Path) -> None:
    script = tmp_path / "session.py"
    script.write_text(KILLED_SESSION)
    state = tmp_path / "state"
    killed = subprocess.Popen(
        [sys.executable, str(script), str(state)],
        env=_binary_environ(tmp_path),
        stdout=subprocess.PIPE,
        text=True,
    )
    url = ""
    try:
        assert killed.stdout is not None
        provider, url, pid = killed.stdout.readline().split()
        killed.kill()
        killed.wait(10)
        server = psutil.Process(int(pid))
        assert provider == "toxiproxy-server" and server.is_running()
        with ToxiproxyClient(url) as client:
            assert [name.rsplit("-", 1)[1] for name in client.proxies()] == ["db"]
        lines = SessionResources(state, "next").sweep()
        assert [line.split(": ", 1)[1] for line in lines] == [
            "proxy drillbook-killed-main-1-db deleted",
            f"process toxiproxy-server (pid {pid}) stopped",
        ]
        server.wait(10)  # SIGKILLed; a process whose parent died is reaped by init
        assert _refuses(url)
        assert list((state / "ledgers").iterdir()) == []
    finally:
        killed.kill()
        killed.wait(10)
        if killed.stdout is not None:
            killed.stdout.close()
        for server in _listening_on(url):  # the sweep did not stop it: leave nothing running
            with contextlib.suppress(psutil.Error):
                server.kill()
