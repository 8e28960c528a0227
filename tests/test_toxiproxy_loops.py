"""The embedded toxiproxy server relaying on several event loops (threads).

Connections are handed to the loops in turn; every toxic change, disable, reset and stop must
reach the connections on every loop before the API answers, and nothing may outlive ``stop()``.
Real sockets throughout: an echo server on 127.0.0.1 behind the proxy.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
from drillbook.faults.server import ToxiproxyServer
from drillbook.faults.server.loops import RelayLoops, default_relay_loops
from test_toxiproxy_toxics import EchoServer, receive


@pytest.fixture(scope="module")
def echo() -> Iterator[EchoServer]:
    server = EchoServer()
    yield server
    server.close()


@pytest.fixture(scope="module")
def server() -> Iterator[ToxiproxyServer]:
    with ToxiproxyServer(relay_loops=2) as running:
        yield running


@pytest.fixture
def api(server: ToxiproxyServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=10) as client:
        yield client
    server.reset()
    for name in server.proxies():
        server.delete_proxy(name)


def listen_port(proxy: dict[str, object]) -> int:
    return int(str(proxy["listen"]).rpartition(":")[2])


def connect(port: int, timeout: float = 5.0) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=timeout)


def round_trip(sock: socket.socket, payload: bytes = b"ping") -> bytes:
    sock.sendall(payload)
    return receive(sock, len(payload))


def closed(sock: socket.socket) -> bool:
    """Whether the peer closed the connection (EOF or reset), waiting up to the timeout."""
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


def silent(sock: socket.socket, wait: float = 0.3) -> bool:
    """Whether nothing arrives for ``wait`` seconds (and the connection stays open)."""
    sock.settimeout(wait)
    try:
        sock.recv(1)
        return False
    except TimeoutError:
        return True
    finally:
        sock.settimeout(5.0)


@contextlib.contextmanager
def clients(port: int, count: int) -> Iterator[list[socket.socket]]:
    """``count`` connections through the proxy, each proven relayed by one round trip."""
    socks = [connect(port) for _ in range(count)]
    try:
        for number, sock in enumerate(socks):
            assert round_trip(sock, f"hello {number}".encode()) == f"hello {number}".encode()
        yield socks
    finally:
        for sock in socks:
            sock.close()


def per_loop(server: ToxiproxyServer, name: str) -> list[int]:
    """Open connections of proxy ``name`` on each relay loop."""
    return server.connections(name)


def test_connections_are_spread_over_both_loops(
    server: ToxiproxyServer, api: httpx.Client, echo: EchoServer
) -> None:
    proxy = server.create_proxy("spread", echo.address)
    with clients(listen_port(proxy), 6) as socks:
        assert per_loop(server, "spread") == [3, 3]
        payload = os.urandom(1_000_000)
        for sock in socks:
            assert round_trip(sock, payload) == payload
    deadline = time.monotonic() + 5
    while sum(per_loop(server, "spread")) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert per_loop(server, "spread") == [0, 0]


def test_toxic_added_and_removed_reaches_open_connections_on_every_loop(
    server: ToxiproxyServer, api: httpx.Client, echo: EchoServer
) -> None:
    proxy = server.create_proxy("held", echo.address)
    with clients(listen_port(proxy), 4) as socks:
        assert per_loop(server, "held") == [2, 2]
        answer = api.post(
            "/proxies/held/toxics", json={"type": "latency", "attributes": {"latency": 60_000}}
        )
        assert answer.status_code == 200
        for sock in socks:
            sock.sendall(b"held")
        assert all(silent(sock) for sock in socks), "a connection was not delayed"
        assert api.delete("/proxies/held/toxics/latency_downstream").status_code == 204
        for sock in socks:  # what the toxic held goes on, then the fast path again
            sock.sendall(b"again")
            assert receive(sock, 9) == b"heldagain"


def test_new_connections_on_every_loop_get_the_proxys_toxics(
    server: ToxiproxyServer, api: httpx.Client, echo: EchoServer
) -> None:
    proxy = server.create_proxy("limited", echo.address)
    server.add_toxic("limited", "limit_data", attributes={"bytes": 6})
    socks = [connect(listen_port(proxy)) for _ in range(4)]
    try:
        for sock in socks:
            assert round_trip(sock, b"ping") == b"ping"
        assert per_loop(server, "limited") == [2, 2]
        for sock in socks:
            sock.sendall(b"more")
        assert [receive(sock, 4) for sock in socks] == [b"mo"] * 4, "limit_data did not cut"
    finally:
        for sock in socks:
            sock.close()


def test_toxic_update_reaches_every_loop(
    server: ToxiproxyServer, api: httpx.Client, echo: EchoServer
) -> None:
    proxy = server.create_proxy("updated", echo.address)
    server.add_toxic("updated", "limit_data", attributes={"bytes": 1_000_000})
    with clients(listen_port(proxy), 4) as socks:
        server.update_toxic("updated", "limit_data_downstream", attributes={"bytes": 0})
        for sock in socks:
            sock.sendall(b"x")
        assert all(closed(sock) for sock in socks), "the updated limit did not apply everywhere"


def test_disable_and_delete_close_connections_on_every_loop(
    server: ToxiproxyServer, api: httpx.Client, echo: EchoServer
) -> None:
    proxy = server.create_proxy("toggled", echo.address)
    port = listen_port(proxy)
    with clients(port, 4) as socks:
        assert api.post("/proxies/toggled", json={"enabled": False}).json()["enabled"] is False
        assert per_loop(server, "toggled") == [0, 0]
        assert all(closed(sock) for sock in socks)
    assert api.post("/proxies/toggled", json={"enabled": True}).json()["enabled"] is True
    with clients(port, 4) as socks:
        assert per_loop(server, "toggled") == [2, 2]
        assert api.delete("/proxies/toggled").status_code == 204
        assert all(closed(sock) for sock in socks)


def test_reset_removes_toxics_from_connections_on_every_loop(
    server: ToxiproxyServer, api: httpx.Client, echo: EchoServer
) -> None:
    proxy = server.create_proxy("reset", echo.address)
    with clients(listen_port(proxy), 4) as socks:
        server.add_toxic("reset", "latency", stream="upstream", attributes={"latency": 60_000})
        for sock in socks:
            sock.sendall(b"held")
        assert all(silent(sock) for sock in socks)
        assert api.post("/reset").status_code == 204
        for sock in socks:
            sock.sendall(b"back")
            assert receive(sock, 8) == b"heldback"


def test_clients_arriving_while_the_proxy_toggles_are_all_closed_once_disabled(
    server: ToxiproxyServer, api: httpx.Client, echo: EchoServer
) -> None:
    port = listen_port(server.create_proxy("churn", echo.address))
    socks: list[socket.socket] = []
    stop = threading.Event()

    def dial() -> None:
        while not stop.is_set():
            with contextlib.suppress(OSError):
                socks.append(connect(port, timeout=2.0))

    dialler = threading.Thread(target=dial)
    dialler.start()
    try:
        for _ in range(20):
            server.update_proxy("churn", enabled=False)
            server.update_proxy("churn", enabled=True)
            time.sleep(0.01)
        server.update_proxy("churn", enabled=False)
        stop.set()
        dialler.join()
        assert per_loop(server, "churn") == [0, 0]
        assert socks, "no client connected while the proxy toggled"
        assert all(closed(sock) for sock in socks), "a client outlived the disable"
        assert per_loop(server, "churn") == [0, 0]
    finally:
        stop.set()
        for sock in socks:
            sock.close()


def _threads() -> set[threading.Thread]:
    return set(threading.enumerate())


def _new_thread_names(before: set[threading.Thread]) -> set[str]:
    """The server's threads started since ``before`` and still alive."""
    names = {thread.name for thread in _threads() - before}
    return {name for name in names if name.startswith("drillbook-toxiproxy")}


def test_every_relay_thread_ends_with_stop(echo: EchoServer) -> None:
    before = _threads()
    server = ToxiproxyServer(relay_loops=3).start()
    names = _new_thread_names(before)
    assert {"drillbook-toxiproxy-relay-1", "drillbook-toxiproxy-relay-2"} <= names
    proxy = server.create_proxy("stopping", echo.address)
    socks = [connect(listen_port(proxy)) for _ in range(3)]
    assert [round_trip(sock) for sock in socks] == [b"ping"] * 3
    server.stop()
    assert all(closed(sock) for sock in socks)
    for sock in socks:
        sock.close()
    assert _new_thread_names(before) == set()


def test_a_failed_start_leaves_no_relay_thread() -> None:
    taken = socket.create_server(("127.0.0.1", 0))
    try:
        before = _threads()
        with pytest.raises(OSError):
            ToxiproxyServer(port=taken.getsockname()[1], relay_loops=2).start()
        assert _new_thread_names(before) == set()
    finally:
        taken.close()


def test_relay_loop_count_is_checked() -> None:
    loop = asyncio.new_event_loop()
    try:
        with pytest.raises(ValueError, match="at least 1"):
            RelayLoops(loop, 0)
    finally:
        loop.close()
    assert default_relay_loops() == 1
    command = [sys.executable, "-m", "drillbook.faults.server.command", "--relay-loops", "0"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode == 2
    assert "--relay-loops must be at least 1" in done.stderr
    assert "Traceback" not in done.stderr


def _client_sides(server: ToxiproxyServer, name: str) -> list[object]:
    """The client-side protocols of ``name``'s open connections (every loop)."""
    app = server._app  # the relay state itself: what the transports will call
    assert app is not None
    links = app.proxies.get(name).links
    return [link.client for loop in links for link in list(links[loop])]


def test_a_direction_with_no_toxic_is_handed_straight_to_the_other_transport(
    server: ToxiproxyServer, api: httpx.Client, echo: EchoServer
) -> None:
    proxy = server.create_proxy("direct", echo.address)
    with clients(listen_port(proxy), 2) as socks:
        sides = _client_sides(server, "direct")
        assert len(sides) == 2
        assert all("data_received" in vars(side) for side in sides), "not on the fast path"
        server.add_toxic("direct", "latency", stream="upstream", attributes={"latency": 1})
        assert all("data_received" not in vars(side) for side in sides), "toxic bypassed"
        assert [round_trip(sock, b"slow") for sock in socks] == [b"slow"] * 2
        server.remove_toxic("direct", "latency_upstream")
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            if all("data_received" in vars(side) for side in sides):
                break
            time.sleep(0.01)
        assert all("data_received" in vars(side) for side in sides), "fast path not resumed"
        assert [round_trip(sock, b"fast") for sock in socks] == [b"fast"] * 2
