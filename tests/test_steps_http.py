"""HTTP steps against a real local server: statuses, JSON checks, vars, secrets, failures."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from drillbook.drill.clock import VirtualClock
from drillbook.formats.common import Check, Expect, HttpRequest, Until
from drillbook.steps.executor import StepExecutor
from drillbook.steps.masking import MASK, Masker
from drillbook.steps.outcome import ActionResult, Outcome

TOKEN = "tok-9f8e7d6c5b4a"
API_KEY = "key-0a1b2c3d4e5f"


@dataclass
class Received:
    """What the server was sent, one entry per request."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Server:
    url: str
    received: list[Received] = field(default_factory=list)
    health: dict[str, Any] = field(default_factory=dict)
    flaky_failures: int = 0


class Handler(BaseHTTPRequestHandler):
    server: ThreadingHTTPServer
    state: Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self.handle_any()

    def do_POST(self) -> None:
        self.handle_any()

    def handle_any(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        state = self.state
        state.received.append(Received(self.command, self.path, dict(self.headers), body))
        path = self.path.split("?")[0]
        if path.startswith("/status/"):
            self.reply(int(path.rsplit("/", 1)[1]), b"status body")
        elif path == "/health":
            self.reply(200, json.dumps(state.health).encode(), "application/json")
        elif path == "/echo":
            echoed = {"headers": dict(self.headers), "path": self.path, "body": body.decode()}
            self.reply(200, json.dumps(echoed).encode(), "application/json")
        elif path == "/flaky":
            state.flaky_failures -= 1
            self.reply(503 if state.flaky_failures >= 0 else 200, b"{}")
        elif path == "/slow":
            time.sleep(1.5)
            self.reply(200, b"late")
        elif path == "/big":
            self.reply(200, b"".join(b"%07d\n" % n for n in range(200_000)))
        else:
            self.reply(404, b"not found")

    def reply(self, status: int, body: bytes, content_type: str = "text/plain") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def server() -> Iterator[Server]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    state = Server(url=f"http://127.0.0.1:{httpd.server_address[1]}")
    Handler.state = state
    thread = threading.Thread(target=httpd.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    yield state
    httpd.shutdown()
    httpd.server_close()


def executor(env: dict[str, str] | None = None, **options: Any) -> StepExecutor:
    env = {"ADMIN_TOKEN": TOKEN, "API_KEY": API_KEY, **(env or {})}
    return StepExecutor(env=env, masker=Masker.for_environment(env), **options)


def request(
    url: str, expect: dict[str, Any] | None = None, timeout: float = 10, **http: Any
) -> Check:
    return Check(
        description="probe",
        http=HttpRequest.model_validate({"url": url, **http}),
        timeout=timeout,
        expect=None if expect is None else Expect.model_validate(expect),
    )


def run(check: Check, prose: str | None = None, **options: Any) -> ActionResult:
    with executor(**options) as ex:
        return ex.run_action(check, label="probe", role="check", prose=prose)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- statuses ------------------------------------------------------------------------------------


def test_a_2xx_passes_without_expectations(server: Server) -> None:
    result = run(request(f"{server.url}/status/204"))
    assert (result.outcome, result.status_code, result.kind) == (Outcome.PASSED, 204, "http")
    assert result.shown == f"GET {server.url}/status/204"
    assert result.exit_code is None


def test_a_5xx_fails_without_expectations(server: Server) -> None:
    result = run(request(f"{server.url}/status/503"))
    assert result.outcome is Outcome.FAILED
    assert result.message == "HTTP status: expected 2xx or 3xx, got 503"
    assert result.stdout == "status body"


def test_redirects_are_not_followed_unless_asked(server: Server) -> None:
    assert run(request(f"{server.url}/status/302")).outcome is Outcome.PASSED
    assert len(server.received) == 1


@pytest.mark.parametrize(
    ("status", "expected", "outcome"),
    [
        (503, 503, Outcome.PASSED),
        (503, [200, 503], Outcome.PASSED),
        (200, 201, Outcome.FAILED),
    ],
)
def test_expected_status(server: Server, status: int, expected: Any, outcome: Outcome) -> None:
    result = run(request(f"{server.url}/status/{status}", {"status": expected}))
    assert result.outcome is outcome


def test_prose_http_status(server: Server) -> None:
    assert run(request(f"{server.url}/status/200"), prose="HTTP 200 response").outcome is (
        Outcome.PASSED
    )
    result = run(request(f"{server.url}/status/201"), prose="HTTP 200 response")
    assert result.outcome is Outcome.FAILED


# -- JSON ----------------------------------------------------------------------------------------


def test_json_checks_on_the_body(server: Server) -> None:
    server.health = {"checks": {"database": {"status": "healthy", "latencyMs": 3}}, "code": 200}
    checks = [
        {"path": "checks.database.status", "equals": "healthy"},
        {"path": "checks.database.latencyMs", "lt": 100},
        {"path": "code", "equals": 200.0},
    ]
    assert run(request(f"{server.url}/health", {"json": checks})).outcome is Outcome.PASSED
    server.health["checks"]["database"]["status"] = "degraded"
    result = run(request(f"{server.url}/health", {"json": checks}))
    assert result.outcome is Outcome.FAILED
    assert [str(m) for m in result.mismatches] == [
        'json checks.database.status: expected "healthy", got "degraded"'
    ]


def test_prose_json_expectation(server: Server) -> None:
    server.health = {"checks": {"database": {"status": "down"}}}
    result = run(request(f"{server.url}/health"), prose='checks.database.status = "healthy"')
    assert result.outcome is Outcome.FAILED
    assert result.mismatches[0].actual == '"down"'


def test_a_body_that_is_not_json(server: Server) -> None:
    result = run(request(f"{server.url}/status/200", {"json": [{"path": "a", "exists": True}]}))
    assert result.outcome is Outcome.FAILED
    assert result.mismatches[0].actual == '"status body"'


def test_body_is_bounded_to_its_tail(server: Server) -> None:
    result = run(request(f"{server.url}/big"), output_limit=1000)
    everything = "".join(f"{n:07d}\n" for n in range(200_000))
    assert result.stdout == everything[-1000:]


# -- variables and secrets -----------------------------------------------------------------------


def test_vars_fill_url_headers_and_json_body(server: Server) -> None:
    check = request(
        "${APP_URL}/echo?user=$USER_NAME",
        method="POST",
        headers={"X-User": "$USER_NAME"},
        json={"user": "${USER_NAME}", "n": 3},
    )
    result = run(check, env={"APP_URL": server.url, "USER_NAME": "ana"})
    assert result.outcome is Outcome.PASSED
    [sent] = server.received
    assert (sent.method, sent.path, sent.headers["X-User"]) == ("POST", "/echo?user=ana", "ana")
    assert json.loads(sent.body) == {"user": "ana", "n": 3}
    assert result.shown == f"POST {server.url}/echo?user=ana"


def test_vars_fill_a_text_body(server: Server) -> None:
    run(
        request(f"{server.url}/echo", method="POST", body="name=$USER_NAME"),
        env={"USER_NAME": "ana"},
    )
    assert server.received[0].body == b"name=ana"


def test_secret_headers_are_sent_but_never_shown(server: Server) -> None:
    check = request(
        f"{server.url}/echo?key=$API_KEY",
        headers={"Authorization": "Bearer $ADMIN_TOKEN", "X-Api-Key": "${API_KEY}"},
        expect={"stdoutContains": "no such text"},
    )
    result = run(check)
    [sent] = server.received
    assert sent.headers["Authorization"] == f"Bearer {TOKEN}"
    assert sent.headers["X-Api-Key"] == API_KEY
    assert result.outcome is Outcome.FAILED  # so the body is quoted in a mismatch too
    everything = json.dumps(result.to_dict())
    assert TOKEN not in everything and API_KEY not in everything
    assert result.shown == f"GET {server.url}/echo?key={MASK}"
    assert MASK in result.stdout


def test_undefined_variable_is_an_error_and_nothing_is_sent(server: Server) -> None:
    result = run(request(f"{server.url}/echo", headers={"X-Token": "$MISSING_TOKEN"}))
    assert result.outcome is Outcome.ERROR
    assert result.message == (
        "variable $MISSING_TOKEN is not set; set it in the drill's vars or the environment"
    )
    assert server.received == []


# -- failures ------------------------------------------------------------------------------------


def test_connection_refused_is_a_failure_that_says_so() -> None:
    url = f"http://127.0.0.1:{free_port()}/health"
    result = run(request(url))
    assert result.outcome is Outcome.FAILED
    assert result.message.startswith(f"connection error: could not connect to {url}: ")
    assert "refused" in result.message.lower()
    assert result.status_code is None


def test_a_slow_response_times_out(server: Server) -> None:
    result = run(request(f"{server.url}/slow", timeout=0.3))
    assert result.outcome is Outcome.TIMED_OUT
    assert result.message == "timed out after 0.3 s"


def test_an_unsupported_scheme_is_an_error() -> None:
    result = run(request("ftp://127.0.0.1/file"))
    assert result.outcome is Outcome.ERROR
    assert result.message.startswith("cannot send GET ftp://127.0.0.1/file")


def test_a_given_client_is_used_and_left_open(server: Server) -> None:
    client = httpx.Client(headers={"X-From": "given-client"})
    with executor(http_client=client) as ex:
        ex.run_action(request(f"{server.url}/echo"), label="probe")
    assert server.received[0].headers["X-From"] == "given-client"
    assert not client.is_closed
    client.close()


def test_dry_run_sends_nothing(server: Server) -> None:
    result = run(request(f"{server.url}/echo?k=$API_KEY"), dry_run=True)
    assert result.outcome is Outcome.DRY_RUN
    assert result.shown == f"GET {server.url}/echo?k={MASK}"
    assert server.received == []


def test_until_retries_a_request_in_virtual_time(server: Server) -> None:
    server.flaky_failures = 3
    clock = VirtualClock()
    check = request(f"{server.url}/flaky")
    check.until = Until(interval=15, timeout=120)
    result = run(check, clock=clock)
    assert (result.outcome, result.attempts, result.status_code) == (Outcome.PASSED, 4, 200)
    assert clock.monotonic() == 45
    assert len(server.received) == 4


def test_until_reports_the_last_connection_error() -> None:
    check = request(f"http://127.0.0.1:{free_port()}/")
    check.until = Until(interval=30, timeout=60)
    result = run(check, clock=VirtualClock())
    assert result.outcome is Outcome.TIMED_OUT
    assert result.attempts == 3
    assert result.message.startswith(
        "still not as expected after 60 s (3 attempts): connection error: could not connect"
    )
