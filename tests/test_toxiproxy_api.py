"""The embedded toxiproxy server's HTTP API: toxiproxy-python unmodified, then httpx for the rest.

A real server on 127.0.0.1:0 in-process, a real TCP echo server behind its proxies.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import toxiproxy  # type: ignore[import-untyped]
from drillbook.faults.server import ApiError, ToxiproxyServer
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from toxiproxy.exceptions import (  # type: ignore[import-untyped]
    InvalidToxic,
    NotFound,
    ProxyExists,
)


class EchoServer:
    """A TCP server on 127.0.0.1:0 that sends back what it receives, a thread per client."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.address = f"127.0.0.1:{self.port}"
        self._clients: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            self._clients.append(client)
            threading.Thread(target=self._echo, args=(client,), daemon=True).start()

    @staticmethod
    def _echo(client: socket.socket) -> None:
        with client:
            while True:
                try:
                    data = client.recv(65536)
                    if not data:
                        return
                    client.sendall(data)
                except OSError:
                    return

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
        self.sock.close()
        for client in self._clients:
            client.close()
        self._thread.join(2)


def connect(listen: str, timeout: float = 2.0) -> socket.socket:
    host, port = listen.rsplit(":", 1)
    return socket.create_connection((host, int(port)), timeout=timeout)


def round_trip(sock: socket.socket, payload: bytes = b"ping") -> bytes:
    sock.sendall(payload)
    received = b""
    while len(received) < len(payload):
        data = sock.recv(65536)
        if not data:
            break
        received += data
    return received


@pytest.fixture(scope="module")
def server() -> Iterator[ToxiproxyServer]:
    with ToxiproxyServer("127.0.0.1", 0) as running:
        yield running


@pytest.fixture(scope="module")
def echo() -> Iterator[EchoServer]:
    echo_server = EchoServer()
    yield echo_server
    echo_server.close()


@pytest.fixture
def api(server: ToxiproxyServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=5) as client:
        yield client
        for name in client.get("/proxies").json():
            client.delete(f"/proxies/{name}")


@pytest.fixture
def client(server: ToxiproxyServer, api: httpx.Client) -> toxiproxy.Toxiproxy:
    tp = toxiproxy.Toxiproxy()
    host, port = server.address
    tp.update_api_consumer(host, port)
    return tp


def create(api: httpx.Client, name: str, upstream: str, **fields: Any) -> dict[str, Any]:
    response = api.post("/proxies", json={"name": name, "upstream": upstream, **fields})
    assert response.status_code == 201, response.text
    return dict(response.json())


# toxiproxy-python, unmodified.


def test_client_creates_lists_gets_and_destroys(
    client: toxiproxy.Toxiproxy, echo: EchoServer
) -> None:
    proxy = client.create(upstream=echo.address, name="echo")
    assert proxy.listen.startswith("127.0.0.1:") and not proxy.listen.endswith(":0")
    assert proxy.enabled is True
    assert set(client.proxies()) == {"echo"}
    assert client.get_proxy("echo").upstream == echo.address
    with connect(proxy.listen) as sock:
        assert round_trip(sock) == b"ping"
    with pytest.raises(ProxyExists):
        client.create(upstream=echo.address, name="echo")
    assert client.destroy(proxy) is True
    assert client.proxies() == {}
    assert client.get_proxy("echo") is None


def test_client_running_and_version(client: toxiproxy.Toxiproxy) -> None:
    assert client.running() is True
    assert json.loads(client.version())["version"].startswith("2.")


def test_client_toxics(client: toxiproxy.Toxiproxy, echo: EchoServer) -> None:
    proxy = client.create(upstream=echo.address, name="echo")
    proxy.add_toxic(type="latency", attributes={"latency": 10})
    proxy.add_toxic(type="limit_data", stream="upstream", name="cap", attributes={"bytes": 9})
    toxics = proxy.toxics()
    assert set(toxics) == {"latency_downstream", "cap"}
    assert toxics["latency_downstream"].attributes == {"latency": 10, "jitter": 0}
    assert toxics["cap"].stream == "upstream"
    assert proxy.get_toxic("cap").attributes == {"bytes": 9}
    with pytest.raises(ProxyExists):
        proxy.add_toxic(type="latency")
    with pytest.raises(InvalidToxic):
        proxy.add_toxic(type="no_such_toxic")
    proxy.destroy_toxic("cap")
    assert set(proxy.toxics()) == {"latency_downstream"}
    with pytest.raises(NotFound):
        proxy.destroy_toxic("cap")


def test_client_disable_enable_and_down(client: toxiproxy.Toxiproxy, echo: EchoServer) -> None:
    proxy = client.create(upstream=echo.address, name="echo")
    proxy.disable()
    assert client.get_proxy("echo").enabled is False
    with pytest.raises(ConnectionRefusedError):
        connect(proxy.listen)
    proxy.enable()
    with connect(proxy.listen) as sock:
        assert round_trip(sock) == b"ping"
    with proxy.down(), pytest.raises(ConnectionRefusedError):
        connect(proxy.listen)
    with connect(proxy.listen) as sock:
        assert round_trip(sock) == b"ping"


def test_client_reset_and_populate(client: toxiproxy.Toxiproxy, echo: EchoServer) -> None:
    created = client.populate([{"name": "a", "upstream": echo.address, "listen": "127.0.0.1:0"}])
    assert [proxy.name for proxy in created] == ["a"]
    proxy = client.get_proxy("a")
    proxy.add_toxic(type="timeout", attributes={"timeout": 0})
    proxy.disable()
    assert client.reset() is True
    proxy = client.get_proxy("a")
    assert proxy.enabled is True
    assert proxy.toxics() == {}
    with connect(proxy.listen) as sock:
        assert round_trip(sock) == b"ping"


# The rest of the API, through httpx.


def test_proxy_json_shape_and_listen_port_zero(api: httpx.Client, echo: EchoServer) -> None:
    proxy = create(api, "echo", echo.address, listen="127.0.0.1:0")
    assert list(proxy) == ["name", "listen", "upstream", "enabled", "toxics"]
    assert proxy["listen"] != "127.0.0.1:0" and proxy["listen"].startswith("127.0.0.1:")
    assert proxy["toxics"] == []
    assert api.get("/proxies").json() == {"echo": proxy}
    assert api.get("/proxies/echo").json() == proxy


def test_create_errors(api: httpx.Client, echo: EchoServer) -> None:
    bad = api.post("/proxies", content=b"{not json")
    assert bad.status_code == 400
    assert bad.json()["status"] == 400 and bad.json()["error"].startswith("bad request body")
    no_name = api.post("/proxies", json={"upstream": echo.address})
    assert no_name.json() == {"error": "missing required field: name", "status": 400}
    no_upstream = api.post("/proxies", json={"name": "x"})
    assert no_upstream.json() == {"error": "missing required field: upstream", "status": 400}
    create(api, "echo", echo.address)
    duplicate = api.post("/proxies", json={"name": "echo", "upstream": echo.address})
    assert duplicate.status_code == 409
    assert duplicate.json() == {"error": "proxy already exists", "status": 409}


def test_create_on_a_taken_address_is_500(api: httpx.Client, echo: EchoServer) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        response = api.post(
            "/proxies", json={"name": "x", "upstream": echo.address, "listen": f"127.0.0.1:{port}"}
        )
    assert response.status_code == 500
    assert response.json()["status"] == 500
    assert "address already in use" in response.json()["error"]
    assert "x" not in api.get("/proxies").json()


def test_missing_proxy_and_toxic_are_404(api: httpx.Client, echo: EchoServer) -> None:
    not_found = {"error": "proxy not found", "status": 404}
    for method in ("GET", "PATCH", "POST", "DELETE"):
        response = api.request(method, "/proxies/ghost", json={})
        assert (response.status_code, response.json()) == (404, not_found)
    assert api.get("/proxies/ghost/toxics").status_code == 404
    assert api.post("/proxies/ghost/toxics", json={"type": "noop"}).status_code == 404
    create(api, "echo", echo.address)
    toxic_missing = {"error": "toxic not found", "status": 404}
    for method in ("GET", "PATCH", "DELETE"):
        response = api.request(method, "/proxies/echo/toxics/ghost", json={})
        assert (response.status_code, response.json()) == (404, toxic_missing)


def test_partial_update_keeps_other_fields(api: httpx.Client, echo: EchoServer) -> None:
    proxy = create(api, "echo", echo.address)
    disabled = api.patch("/proxies/echo", json={"enabled": False})
    assert disabled.status_code == 200
    assert disabled.json() == {**proxy, "enabled": False}
    enabled = api.post("/proxies/echo", json={"enabled": True})
    assert enabled.json() == proxy
    assert api.patch("/proxies/echo", content=b"[").status_code == 400


def test_changing_listen_restarts_the_proxy(api: httpx.Client, echo: EchoServer) -> None:
    proxy = create(api, "echo", echo.address)
    with connect(proxy["listen"]) as old:
        assert round_trip(old) == b"ping"
        moved = api.patch("/proxies/echo", json={"listen": "127.0.0.1:0"}).json()
        assert moved["listen"] != proxy["listen"] and moved["upstream"] == echo.address
        assert old.recv(10) == b""
    with pytest.raises(ConnectionRefusedError):
        connect(proxy["listen"])
    with connect(moved["listen"]) as sock:
        assert round_trip(sock) == b"ping"


def test_changing_upstream_redials(api: httpx.Client, echo: EchoServer) -> None:
    with socket.create_server(("127.0.0.1", 0)) as dead:
        dead_address = f"127.0.0.1:{dead.getsockname()[1]}"
    proxy = create(api, "echo", dead_address)
    with connect(proxy["listen"]) as sock:  # the upstream refuses: the client is closed
        assert sock.recv(10) == b""
    updated = api.patch("/proxies/echo", json={"upstream": echo.address}).json()
    assert updated["listen"] == proxy["listen"] and updated["enabled"] is True
    with connect(updated["listen"]) as sock:
        assert round_trip(sock) == b"ping"


def test_reenabling_listens_on_the_same_address(api: httpx.Client, echo: EchoServer) -> None:
    proxy = create(api, "echo", echo.address, listen="127.0.0.1:0")
    api.patch("/proxies/echo", json={"enabled": False})
    again = api.patch("/proxies/echo", json={"enabled": True}).json()
    assert again["listen"] == proxy["listen"]
    with connect(again["listen"]) as sock:
        assert round_trip(sock) == b"ping"


def test_delete_answers_204_and_closes(api: httpx.Client, echo: EchoServer) -> None:
    proxy = create(api, "echo", echo.address)
    with connect(proxy["listen"]) as sock:
        assert round_trip(sock) == b"ping"
        response = api.delete("/proxies/echo")
        assert (response.status_code, response.content) == (204, b"")
        assert sock.recv(10) == b""
    with pytest.raises(ConnectionRefusedError):
        connect(proxy["listen"])


def test_toxic_create_shape_and_defaults(api: httpx.Client, echo: EchoServer) -> None:
    create(api, "echo", echo.address)
    response = api.post("/proxies/echo/toxics", json={"type": "latency"})
    assert response.status_code == 200
    assert response.json() == {
        "attributes": {"latency": 0, "jitter": 0},
        "name": "latency_downstream",
        "type": "latency",
        "stream": "downstream",
        "toxicity": 1.0,
    }
    upstream = api.post(
        "/proxies/echo/toxics",
        json={"type": "slicer", "stream": "upstream", "toxicity": 0.5, "attributes": {"delay": 7}},
    ).json()
    assert upstream["name"] == "slicer_upstream"
    assert upstream["attributes"] == {"average_size": 0, "size_variation": 0, "delay": 7}
    assert upstream["toxicity"] == 0.5
    listed = api.get("/proxies/echo/toxics").json()
    assert [toxic["name"] for toxic in listed] == ["slicer_upstream", "latency_downstream"]
    assert api.get("/proxies/echo").json()["toxics"] == listed
    assert api.get("/proxies/echo/toxics/slicer_upstream").json() == upstream


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        ({"type": "nope"}, 400, "invalid toxic type"),
        (
            {"type": "latency", "stream": "sideways"},
            400,
            "stream was invalid, can be either upstream or downstream",
        ),
        ({"type": "latency", "attributes": {"latency": "slow"}}, 400, None),
        ({"type": "latency", "name": "same", "stream": "upstream"}, 409, "toxic already exists"),
    ],
)
def test_toxic_create_errors(
    api: httpx.Client, echo: EchoServer, body: dict[str, Any], status: int, error: str | None
) -> None:
    create(api, "echo", echo.address)
    first = api.post("/proxies/echo/toxics", json={"type": "noop", "name": "same"})
    assert first.status_code == 200
    response = api.post("/proxies/echo/toxics", json=body)
    assert response.status_code == status
    assert response.json()["status"] == status
    if error is not None:
        assert response.json()["error"] == error
    else:
        assert response.json()["error"].startswith("bad request body")
    assert api.post("/proxies/echo/toxics", content=b"").status_code == 400


def test_toxic_update_merges_attributes_and_toxicity_only(
    api: httpx.Client, echo: EchoServer
) -> None:
    create(api, "echo", echo.address)
    api.post("/proxies/echo/toxics", json={"type": "latency", "attributes": {"latency": 5}})
    updated = api.patch(
        "/proxies/echo/toxics/latency_downstream",
        json={"attributes": {"jitter": 2}, "toxicity": 0.25, "type": "timeout", "stream": "x"},
    )
    assert updated.status_code == 200
    assert updated.json() == {
        "attributes": {"latency": 5, "jitter": 2},
        "name": "latency_downstream",
        "type": "latency",
        "stream": "downstream",
        "toxicity": 0.25,
    }
    again = api.post("/proxies/echo/toxics/latency_downstream", json={"attributes": {}})
    assert again.json() == updated.json()
    bad = api.patch("/proxies/echo/toxics/latency_downstream", json={"attributes": {"jitter": []}})
    assert bad.status_code == 400
    deleted = api.delete("/proxies/echo/toxics/latency_downstream")
    assert (deleted.status_code, deleted.content) == (204, b"")
    assert api.get("/proxies/echo/toxics").json() == []


def test_reset_reenables_and_removes_toxics_only(api: httpx.Client, echo: EchoServer) -> None:
    create(api, "a", echo.address)
    create(api, "b", echo.address, enabled=False)
    api.post("/proxies/a/toxics", json={"type": "latency"})
    api.post("/proxies/b/toxics", json={"type": "bandwidth", "stream": "upstream"})
    response = api.post("/reset")
    assert (response.status_code, response.content) == (204, b"")
    proxies = api.get("/proxies").json()
    assert set(proxies) == {"a", "b"}
    assert all(proxy["enabled"] and proxy["toxics"] == [] for proxy in proxies.values())


def test_populate(api: httpx.Client, echo: EchoServer) -> None:
    first = api.post(
        "/populate",
        json=[
            {"name": "one", "upstream": echo.address, "listen": "127.0.0.1:0"},
            {"name": "two", "upstream": echo.address, "enabled": False},
        ],
    )
    assert first.status_code == 201
    proxies = first.json()["proxies"]
    assert [proxy["name"] for proxy in proxies] == ["one", "two"]
    assert [proxy["enabled"] for proxy in proxies] == [True, False]
    one = proxies[0]
    with connect(one["listen"]) as sock:
        assert round_trip(sock) == b"ping"
        # The same proxy again: left alone, its connection survives.
        same = {"name": "one", "upstream": echo.address, "listen": one["listen"]}
        again = api.post("/populate", json=[same])
        assert (again.status_code, again.json()) == (201, {"proxies": [one]})
        assert round_trip(sock, b"still") == b"still"
        # A different upstream replaces it.
        with socket.create_server(("127.0.0.1", 0)) as other:
            changed = {**same, "upstream": f"127.0.0.1:{other.getsockname()[1]}"}
            replaced = api.post("/populate", json=[changed]).json()["proxies"]
        assert replaced[0]["upstream"] == changed["upstream"]
        assert sock.recv(10) == b""


def test_populate_errors(api: httpx.Client, echo: EchoServer) -> None:
    assert api.post("/populate", content=b"{").status_code == 400
    assert api.post("/populate", json={"name": "x"}).status_code == 400
    missing = api.post("/populate", json=[{"name": "x", "upstream": echo.address}, {"name": "y"}])
    assert missing.status_code == 400
    assert missing.json()["error"] == "missing required field: upstream at proxy 2"
    assert api.get("/proxies").json() == {}
    with socket.create_server(("127.0.0.1", 0)) as taken:
        busy = f"127.0.0.1:{taken.getsockname()[1]}"
        partial = api.post(
            "/populate",
            json=[
                {"name": "ok", "upstream": echo.address},
                {"name": "busy", "upstream": echo.address, "listen": busy},
            ],
        )
    assert partial.status_code == 500
    body = partial.json()
    assert body["status"] == 500 and "address already in use" in body["error"]
    assert [proxy["name"] for proxy in body["proxies"]] == ["ok"]


def test_version_and_unknown_routes(api: httpx.Client) -> None:
    version = api.get("/version")
    assert version.status_code == 200 and version.json()["version"].startswith("2.")
    assert api.get("/nowhere").status_code == 404
    assert api.put("/proxies").status_code == 405
    assert api.get("/proxies", headers={"User-Agent": "Mozilla/5.0"}).status_code == 403


def test_keep_alive_serves_many_requests_on_one_connection(server: ToxiproxyServer) -> None:
    host, port = server.address
    with socket.create_connection((host, port), timeout=2) as sock:
        request = b"GET /version HTTP/1.1\r\nHost: x\r\n\r\n"
        sock.sendall(request * 3)
        received = b""
        while received.count(b"HTTP/1.1 200") < 3:
            data = sock.recv(65536)
            assert data, "the server closed a keep-alive connection"
            received += data
        chunked = b"0\r\n\r\n"
        sock.sendall(
            b"POST /proxies HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
            b'Connection: close\r\n\r\n5\r\n{"a":\r\n' + chunked
        )
        tail = b""
        while data := sock.recv(65536):
            tail += data
        assert tail.startswith(b"HTTP/1.1 400") and b"Connection: close" in tail


# The in-process Python API, from another thread than the loop's.


def test_python_api_mirrors_the_http_api(server: ToxiproxyServer, echo: EchoServer) -> None:
    proxy = server.create_proxy("py", echo.address)
    try:
        assert server.get_proxy("py") == proxy
        assert server.proxies() == {"py": proxy}
        toxic = server.add_toxic("py", "latency", attributes={"latency": 1}, name="slow")
        assert toxic["name"] == "slow"
        assert server.update_toxic("py", "slow", {"jitter": 1})["attributes"] == {
            "latency": 1,
            "jitter": 1,
        }
        server.remove_toxic("py", "slow")
        assert server.get_proxy("py")["toxics"] == []
        server.add_toxic("py", "timeout", stream="upstream")
        with pytest.raises(ApiError) as conflict:
            server.create_proxy("py", echo.address)
        assert conflict.value.status == 409
        assert server.update_proxy("py", enabled=False)["enabled"] is False
        server.reset()
        assert server.get_proxy("py")["toxics"] == []
        assert server.populate([{"name": "py", "upstream": echo.address}])[0]["name"] == "py"
    finally:
        server.delete_proxy("py")
    with pytest.raises(ApiError) as missing:
        server.get_proxy("py")
    assert missing.value.status == 404


def test_stop_closes_everything(echo: EchoServer) -> None:
    before = {thread.ident for thread in threading.enumerate()}
    server = ToxiproxyServer().start()
    host, port = server.address
    proxy = server.create_proxy("gone", echo.address)
    sock = connect(proxy["listen"])
    assert round_trip(sock) == b"ping"
    server.stop()
    assert sock.recv(10) == b""
    sock.close()
    assert _new_threads(before) == set(), "the server's loop thread outlived stop()"
    for address in ((host, port), tuple(proxy["listen"].rsplit(":", 1))):
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection((address[0], int(address[1])), timeout=1).close()
    server.stop()  # twice is harmless


def _new_threads(before: set[int | None], wait: float = 2.0) -> set[str]:
    """Threads started since ``before`` still alive after ``wait`` seconds; the echo
    fixture's per-connection handler may take a moment to see its peer close."""
    deadline = time.monotonic() + wait
    while True:
        alive = {t.name for t in threading.enumerate() if t.ident not in before}
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.02)


def test_start_on_a_taken_port_fails_cleanly() -> None:
    before = {thread.ident for thread in threading.enumerate()}
    with socket.create_server(("127.0.0.1", 0)) as taken:
        server = ToxiproxyServer("127.0.0.1", taken.getsockname()[1])
        with pytest.raises(OSError):
            server.start()
    assert {thread.ident for thread in threading.enumerate()} <= before
    with pytest.raises(RuntimeError):
        server.proxies()


# The standalone command.


def test_command_serves_config_until_sigterm(tmp_path: Path, echo: EchoServer) -> None:
    config = tmp_path / "proxies.json"
    config.write_text(json.dumps([{"name": "cfg", "upstream": echo.address}]))
    command = [sys.executable, "-m", "drillbook.faults.server.command", "--port", "0"]
    process = subprocess.Popen(
        [*command, "--config", str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        url = line.split()[-1]
        assert url.startswith("http://127.0.0.1:")
        proxies = httpx.get(f"{url}/proxies", timeout=5).json()
        assert proxies["cfg"]["upstream"] == echo.address
        with connect(proxies["cfg"]["listen"]) as sock:
            assert round_trip(sock) == b"ping"
            process.send_signal(signal.SIGTERM)
            assert process.wait(10) == 0
            assert sock.recv(10) == b""
    finally:
        process.kill()
        process.wait()


def test_command_reports_a_bad_config_with_its_position(tmp_path: Path) -> None:
    config = tmp_path / "proxies.json"
    config.write_text('[\n  {"name": "x",\n   "upstream": }\n]')
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "drillbook.faults.server.command",
            "--port",
            "0",
            "--config",
            str(config),
        ],
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert result.returncode == 2
    assert f"{config}:3:" in result.stderr and "Traceback" not in result.stderr


# The API as a state machine: whatever the sequence, it agrees with a plain model.


class ApiMachine(RuleBasedStateMachine):
    """Creates, updates and deletes proxies and toxics; GET /proxies must match the model."""

    def __init__(self) -> None:
        super().__init__()
        self.api = httpx.Client(base_url=MACHINE_URL[0], timeout=5)
        self.model: dict[str, dict[str, Any]] = {}

    names = st.sampled_from(["p1", "p2", "p3"])
    toxic_names = st.sampled_from(["t1", "t2"])

    @rule(name=names, enabled=st.booleans())
    def create_proxy(self, name: str, enabled: bool) -> None:
        response = self.api.post(
            "/proxies", json={"name": name, "upstream": "127.0.0.1:9", "enabled": enabled}
        )
        if name in self.model:
            assert response.status_code == 409
        else:
            assert response.status_code == 201
            self.model[name] = {"enabled": enabled, "toxics": {}}

    @rule(name=names)
    def delete_proxy(self, name: str) -> None:
        response = self.api.delete(f"/proxies/{name}")
        assert response.status_code == (204 if name in self.model else 404)
        self.model.pop(name, None)

    @rule(name=names, enabled=st.booleans())
    def toggle(self, name: str, enabled: bool) -> None:
        response = self.api.patch(f"/proxies/{name}", json={"enabled": enabled})
        assert response.status_code == (200 if name in self.model else 404)
        if name in self.model:
            self.model[name]["enabled"] = enabled

    @rule(name=names, toxic=toxic_names, stream=st.sampled_from(["upstream", "downstream"]))
    def add_toxic(self, name: str, toxic: str, stream: str) -> None:
        response = self.api.post(
            f"/proxies/{name}/toxics", json={"name": toxic, "type": "latency", "stream": stream}
        )
        if name not in self.model:
            assert response.status_code == 404
        elif toxic in self.model[name]["toxics"]:
            assert response.status_code == 409
        else:
            assert response.status_code == 200
            self.model[name]["toxics"][toxic] = stream

    @rule(name=names, toxic=toxic_names)
    def remove_toxic(self, name: str, toxic: str) -> None:
        response = self.api.delete(f"/proxies/{name}/toxics/{toxic}")
        exists = name in self.model and toxic in self.model[name]["toxics"]
        assert response.status_code == (204 if exists else 404)
        if exists:
            del self.model[name]["toxics"][toxic]

    @rule()
    def reset(self) -> None:
        assert self.api.post("/reset").status_code == 204
        for proxy in self.model.values():
            proxy.update(enabled=True, toxics={})

    @invariant()
    def agrees_with_model(self) -> None:
        proxies = self.api.get("/proxies").json()
        seen = {
            name: {
                "enabled": proxy["enabled"],
                "toxics": {toxic["name"]: toxic["stream"] for toxic in proxy["toxics"]},
            }
            for name, proxy in proxies.items()
        }
        assert seen == self.model

    def teardown(self) -> None:
        for name in self.api.get("/proxies").json():
            self.api.delete(f"/proxies/{name}")
        self.api.close()


MACHINE_URL: list[str] = [""]


def test_api_state_machine(server: ToxiproxyServer) -> None:
    MACHINE_URL[0] = server.url
    ApiMachine.TestCase.settings = settings(
        max_examples=10,
        stateful_step_count=12,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    ApiMachine.TestCase().runTest()
