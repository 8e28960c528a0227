"""HTTP faults against a real server: a minimal upstream under uvicorn on 127.0.0.1.

The upstream is wrapped in FaultMiddleware (the stand-ins' fault admin API) and driven
through HttpFaultClient; the respx mechanism is tested on real httpx calls to it.
"""

from __future__ import annotations

import asyncio
import json
import random
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import respx
import uvicorn
from drillbook.errors import DrillbookError
from drillbook.faults.http import (
    FaultBook,
    FaultMiddleware,
    HttpFaultClient,
    HttpFaultSpec,
    default_body,
    inject_httpx_fault,
)
from drillbook.faults.http.asgi import Receive, Scope, Send

# --- a minimal upstream ----------------------------------------------------------------------


class Upstream:
    """An ASGI app answering 200 with the method and path it saw; counts what reached it."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []
        self.lifespan: list[str] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        self.seen.append((scope["method"], scope["path"]))
        body = json.dumps({"ok": True, "method": scope["method"], "path": scope["path"]})
        headers = [(b"content-type", b"application/json")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body.encode()})

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            kind = message["type"].rsplit(".", 1)[-1]
            self.lifespan.append(kind)
            await send({"type": f"{message['type']}.complete"})
            if kind == "shutdown":
                return


class ServedApp:
    """An ASGI app under uvicorn in a background thread, on a port the OS chose."""

    def __init__(self, app: Any) -> None:
        config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start within 10 s")
            time.sleep(0.01)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        assert not self.thread.is_alive(), "uvicorn did not stop within 10 s"


class Stand:
    """What the tests get: the served app's URL, its parts, and clients to reach it."""

    def __init__(self) -> None:
        self.upstream = Upstream()
        self.rng = random.Random()
        self.book = FaultBook(self.rng)
        self.app = FaultMiddleware(self.upstream, self.book)
        self.url = ""
        self.http: httpx.Client
        self.faults: HttpFaultClient

    def connect(self, url: str, http: httpx.Client) -> None:
        self.url = url
        self.http = http
        self.faults = HttpFaultClient(url, client=http)

    def reset(self) -> None:
        self.upstream.seen.clear()
        self.book.clear()


@pytest.fixture(scope="module")
def served() -> Iterator[Stand]:
    # One server and one client for the module: making an httpx.Client costs ~0.2 s (TLS).
    stand = Stand()
    served_app = ServedApp(stand.app)
    url = served_app.start()
    with httpx.Client(base_url=url, timeout=10) as http:
        stand.connect(url, http)
        yield stand
    served_app.stop()
    assert stand.upstream.lifespan == ["startup", "shutdown"]


@pytest.fixture
def stand(served: Stand) -> Iterator[Stand]:
    served.reset()
    yield served
    served.reset()


def _statuses(client: httpx.Client, path: str, times: int, method: str = "GET") -> list[int]:
    return [client.request(method, path).status_code for _ in range(times)]


# --- the admin API through HttpFaultClient --------------------------------------------------


def test_admin_round_trip(stand: Stand) -> None:
    first = stand.faults.add(HttpFaultSpec(status=500, path="/a", count=2))
    second = stand.faults.add(HttpFaultSpec(status=None, delay=0.01, name="slow", method="GET"))
    assert second == "slow"
    listed = stand.faults.list()
    assert [(f.id, f.spec.status, f.remaining) for f in listed] == [
        (first, 500, 2),
        ("slow", None, None),
    ]
    assert listed[0].spec.path == "/a"
    assert stand.faults.remove(first) is True
    assert stand.faults.remove(first) is False
    assert [f.id for f in stand.faults.list()] == ["slow"]
    stand.faults.clear()
    assert stand.faults.list() == []


def test_add_answers_201_with_the_spec_and_its_id(stand: Stand) -> None:
    response = stand.http.post("/__drillbook/faults", json={"status": 502, "count": 1})
    assert response.status_code == 201
    payload = response.json()
    assert payload["status"] == 502
    assert payload["remaining"] == 1
    assert stand.book.get(payload["id"]) is not None


def test_delete_answers_204_and_404(stand: Stand) -> None:
    fault_id = stand.faults.add(HttpFaultSpec())
    assert stand.http.delete(f"/__drillbook/faults/{fault_id}").status_code == 204
    missing = stand.http.delete(f"/__drillbook/faults/{fault_id}")
    assert missing.status_code == 404
    assert fault_id in missing.json()["error"]
    assert stand.http.delete("/__drillbook/faults").status_code == 204


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"{not json", "the request body is not JSON"),
        (b'{"status": 99}', "status 99 is not an HTTP status"),
        (b'{"fraction": 2}', "fraction 2"),
        (b'{"colour": "red"}', "unknown field(s) colour"),
    ],
)
def test_bad_spec_is_a_400_with_the_reason(stand: Stand, content: bytes, fragment: str) -> None:
    response = stand.http.post("/__drillbook/faults", content=content)
    assert response.status_code == 400
    assert fragment in response.json()["error"]
    assert stand.book.list() == []


def test_client_reports_a_refused_fault_with_the_reason(stand: Stand) -> None:
    stand.faults.add(HttpFaultSpec(name="once"))
    with pytest.raises(DrillbookError, match=r"refused the fault .*'once' is already active"):
        stand.faults.add(HttpFaultSpec(name="once"))


def test_client_says_when_the_stand_in_is_unreachable() -> None:
    served_app = ServedApp(Upstream())
    url = served_app.start()
    served_app.stop()  # the port is now closed: nothing listens there
    with_password = url.replace("http://", "http://ops:hunter2secret@")
    with (
        HttpFaultClient(with_password) as client,
        pytest.raises(DrillbookError, match="cannot reach the stand-in's fault admin API") as error,
    ):
        client.list()
    assert "hunter2secret" not in str(error.value)


def test_client_says_when_the_server_does_not_speak_the_admin_api() -> None:
    served_app = ServedApp(Upstream())  # no FaultMiddleware
    url = served_app.start()
    try:
        with (
            HttpFaultClient(url) as client,
            pytest.raises(DrillbookError, match="does not speak the drillbook fault admin API"),
        ):
            client.remove("anything")
    finally:
        served_app.stop()


# --- faults applied by the middleware -------------------------------------------------------


def test_status_and_default_body_are_injected(stand: Stand) -> None:
    stand.faults.add(HttpFaultSpec())
    response = stand.http.get("/v1/charges")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/json"
    assert response.json() == default_body()
    assert stand.upstream.seen == []


def test_text_body_is_sent_as_text(stand: Stand) -> None:
    stand.faults.add(HttpFaultSpec(status=429, body="slow down"))
    response = stand.http.get("/")
    assert response.status_code == 429
    assert response.text == "slow down"
    assert response.headers["content-type"].startswith("text/plain")


def test_delay_is_added_before_the_fault_answer(stand: Stand) -> None:
    stand.faults.add(HttpFaultSpec(status=500, delay=0.3))
    started = time.monotonic()
    response = stand.http.get("/")
    elapsed = time.monotonic() - started
    assert response.status_code == 500
    assert elapsed == pytest.approx(0.3, rel=0.15)


def test_delay_only_fault_delays_the_real_response(stand: Stand) -> None:
    stand.faults.add(HttpFaultSpec(status=None, delay=0.3))
    started = time.monotonic()
    response = stand.http.get("/real")
    elapsed = time.monotonic() - started
    assert response.status_code == 200
    assert response.json()["path"] == "/real"
    assert elapsed == pytest.approx(0.3, rel=0.15)


def test_seeded_fraction_over_http_is_deterministic(stand: Stand) -> None:
    stand.faults.add(HttpFaultSpec(status=500, fraction=0.5))
    stand.rng.seed(2024)
    faulted = _statuses(stand.http, "/", 200).count(500)
    oracle = random.Random(2024)
    assert faulted == sum(oracle.random() < 0.5 for _ in range(200))
    assert len(stand.upstream.seen) == 200 - faulted


def test_unseeded_fraction_over_http_is_about_half(stand: Stand) -> None:
    stand.faults.add(HttpFaultSpec(status=500, fraction=0.5))
    stand.rng.seed()
    faulted = _statuses(stand.http, "/", 200).count(500)
    # mean 100, standard deviation ~7.1: 40 is over five deviations either way
    assert abs(faulted - 100) < 40


def test_count_three_then_normal_responses(stand: Stand) -> None:
    stand.faults.add(HttpFaultSpec(status=502, count=3))
    assert _statuses(stand.http, "/", 5) == [502, 502, 502, 200, 200]
    assert stand.faults.list() == []


def test_path_and_method_matching(stand: Stand) -> None:
    stand.faults.add(HttpFaultSpec(status=500, method="POST", path="/v1/charges"))
    stand.faults.add(HttpFaultSpec(status=404, path="/v1/*/refunds"))
    assert stand.http.post("/v1/charges").status_code == 500
    assert stand.http.post("/v1/charges/ch_1/capture").status_code == 500
    assert stand.http.get("/v1/charges").status_code == 200
    assert stand.http.post("/v1/chargesX").status_code == 200
    assert stand.http.get("/v1/ch_1/refunds").status_code == 404
    assert stand.http.get("/v1/ch_1/refunds/re_1").status_code == 200


def test_lifting_restores_normal_responses(stand: Stand) -> None:
    fault_id = stand.faults.add(HttpFaultSpec(status=500))
    assert stand.http.get("/").status_code == 500
    stand.faults.remove(fault_id)
    assert stand.http.get("/").status_code == 200
    stand.faults.add(HttpFaultSpec(status=500))
    stand.faults.add(HttpFaultSpec(status=501))
    stand.faults.clear()
    assert stand.http.get("/").status_code == 200


def test_the_admin_api_is_never_faulted(stand: Stand) -> None:
    stand.faults.add(HttpFaultSpec(status=500))
    assert len(stand.faults.list()) == 1
    stand.faults.clear()
    assert stand.faults.list() == []


# --- faults through respx, on httpx calls in this process -----------------------------------


def test_respx_fault_on_a_real_client_with_pass_through(stand: Stand) -> None:
    spec = HttpFaultSpec(status=418, body={"teapot": True}, path="/brew")
    with inject_httpx_fault(spec, base_url=stand.url) as fault:
        faulted = stand.http.get("/brew/now")
        passed = stand.http.get("/other")
    assert faulted.status_code == 418
    assert faulted.json() == {"teapot": True}
    assert passed.status_code == 200
    assert passed.json()["path"] == "/other"
    assert stand.upstream.seen == [("GET", "/other")]
    assert fault.applied == 1
    assert stand.http.get("/brew/now").status_code == 200


def test_respx_fault_only_hits_its_base_url(stand: Stand) -> None:
    elsewhere = stand.url.replace("127.0.0.1", "localhost")
    with inject_httpx_fault(HttpFaultSpec(status=500), base_url=elsewhere):
        assert stand.http.get("/").status_code == 200


def test_respx_count_fraction_and_method(stand: Stand) -> None:
    spec = HttpFaultSpec(status=500, count=2, method="POST")
    with inject_httpx_fault(spec, base_url=stand.url):
        assert stand.http.get("/").status_code == 200
        assert _statuses(stand.http, "/", 4, method="POST") == [500, 500, 200, 200]
    rng_seed = 99
    with inject_httpx_fault(
        HttpFaultSpec(status=500, fraction=0.5), base_url=stand.url, rng=random.Random(rng_seed)
    ):
        faulted = _statuses(stand.http, "/", 50).count(500)
    oracle = random.Random(rng_seed)
    assert faulted == sum(oracle.random() < 0.5 for _ in range(50))


def test_respx_fault_is_lifted_when_the_block_raises(stand: Stand) -> None:
    with (
        pytest.raises(RuntimeError, match="boom"),
        inject_httpx_fault(HttpFaultSpec(status=500), base_url=stand.url),
    ):
        assert stand.http.get("/").status_code == 500
        raise RuntimeError("boom")
    assert stand.http.get("/").status_code == 200


def test_respx_delay_on_a_sync_client(stand: Stand) -> None:
    with inject_httpx_fault(HttpFaultSpec(status=None, delay=0.3), base_url=stand.url):
        started = time.monotonic()
        response = stand.http.get("/real")
        elapsed = time.monotonic() - started
    assert response.status_code == 200
    assert response.json()["path"] == "/real"
    assert elapsed == pytest.approx(0.3, rel=0.15)


def test_respx_delay_on_an_async_client_does_not_block_the_loop(stand: Stand) -> None:
    async def scenario() -> tuple[int, float, int]:
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        spec = HttpFaultSpec(status=504, delay=0.3)
        async with httpx.AsyncClient(base_url=stand.url) as client:
            with inject_httpx_fault(spec, base_url=stand.url):
                task = asyncio.create_task(ticker())
                started = time.monotonic()
                response = await client.get("/")
                elapsed = time.monotonic() - started
                task.cancel()
        return response.status_code, elapsed, ticks

    status, elapsed, ticks = asyncio.run(scenario())
    assert status == 504
    assert elapsed == pytest.approx(0.3, rel=0.15)
    assert ticks >= 10, "the delay blocked the event loop"


def test_respx_fault_on_an_in_process_asgi_app() -> None:
    upstream = Upstream()

    async def scenario() -> list[int]:
        transport = httpx.ASGITransport(app=upstream)
        async with httpx.AsyncClient(transport=transport, base_url="http://app.test") as client:
            with inject_httpx_fault(HttpFaultSpec(status=503, count=1), base_url="http://app.test"):
                return [(await client.get("/x")).status_code for _ in range(2)]

    assert asyncio.run(scenario()) == [503, 200]
    assert upstream.seen == [("GET", "/x")]


def test_nested_respx_faults_inner_first_and_both_lifted(stand: Stand) -> None:
    with inject_httpx_fault(HttpFaultSpec(status=500), base_url=stand.url):
        with inject_httpx_fault(HttpFaultSpec(status=502, path="/inner"), base_url=stand.url):
            assert stand.http.get("/inner").status_code == 502
            assert stand.http.get("/outer").status_code == 500
        assert stand.http.get("/inner").status_code == 500
    assert stand.http.get("/inner").status_code == 200


def test_respx_fault_in_a_given_router_goes_first(stand: Stand) -> None:
    with respx.mock(assert_all_called=False) as router:
        router.get(url__startswith=stand.url).respond(201, json={"mocked": True})
        with inject_httpx_fault(
            HttpFaultSpec(status=500, count=1), base_url=stand.url, router=router
        ):
            assert stand.http.get("/").status_code == 500
            assert stand.http.get("/").status_code == 201
        assert stand.http.get("/").status_code == 201
        assert [route.name for route in router.routes] == [None]


def test_respx_fault_on_a_bad_base_url_is_refused() -> None:
    with (
        pytest.raises(DrillbookError, match="must be an absolute http"),
        inject_httpx_fault(HttpFaultSpec(), base_url="/relative"),
    ):
        pass
