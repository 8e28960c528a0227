"""The holiday service (fixtures/holiday/) as a real process under uvicorn, against a real
PostgreSQL and small local stand-ins for Stripe and the auth provider written here.

One service process serves most tests (each test puts back the levers it pulls); the database
outage, the graceful shutdown and the bad configuration each get a process of their own.
"""

from __future__ import annotations

import contextlib
import importlib
import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit, urlunsplit

import httpx
import jwt
import psycopg
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from drillbook.services.ports import reserve_port
from drillbook.services.postgres import obtain_postgres
from prometheus_client.parser import text_string_to_metric_families

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
ADMIN_TOKEN = "admin-" + uuid.uuid4().hex
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
PRIMARY_KEY, BACKUP_KEY = "sk_test_primary", "sk_test_backup"
TIMEOUT = 1.0  # DEPENDENCY_TIMEOUT given to the service
APP_VARIABLES = (
    "DATABASE_URL",
    "DATABASE_REPLICA_URL",
    "STRIPE_URL",
    "STRIPE_SECRET_KEY",
    "STRIPE_BACKUP_SECRET_KEY",
    "AUTH_URL",
    "FEATURE_FLAGS",
    "RECOMMENDATIONS_URL",
)


# --- stand-ins for the SaaS dependencies ---------------------------------------------------


@dataclass
class Seen:
    """One request a stand-in received."""

    method: str
    path: str
    headers: dict[str, str]
    form: dict[str, str]


class StandIn:
    """A tiny HTTP server in a thread; subclasses answer ``handle`` and it records requests."""

    def __init__(self) -> None:
        self.seen: list[Seen] = []
        self.delay = 0.0
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_GET(self) -> None:
                self._answer()

            def do_POST(self) -> None:
                self._answer()

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode() if length else ""
                form = {key: values[0] for key, values in parse_qs(raw).items()}
                url = urlsplit(self.path)
                seen = Seen(self.command, url.path, dict(self.headers.items()), form)
                owner.seen.append(seen)
                time.sleep(owner.delay)
                status, body = owner.handle(seen)
                data = json.dumps(body).encode()
                with contextlib.suppress(OSError):  # the service may have given up waiting
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def handle(self, seen: Seen) -> tuple[int, Any]:
        raise NotImplementedError

    def reset(self) -> None:
        self.seen.clear()
        self.delay = 0.0

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class FakeStripe(StandIn):
    """Charges, a balance and products, honouring idempotency keys; can be made to fail."""

    def __init__(self) -> None:
        super().__init__()
        self.fail_status: int | None = None
        self.products_status = 200
        self.charges: dict[str, dict[str, Any]] = {}
        self.ids = itertools.count(1)

    def reset(self) -> None:
        super().reset()
        self.fail_status, self.products_status = None, 200

    def handle(self, seen: Seen) -> tuple[int, Any]:
        if seen.headers.get("Authorization") not in (
            f"Bearer {PRIMARY_KEY}",
            f"Bearer {BACKUP_KEY}",
        ):
            return 401, {"error": {"type": "invalid_request_error", "message": "bad key"}}
        if seen.path == "/v1/products":
            return self.products_status, {"data": [{"id": "prod_1", "name": "Travel insurance"}]}
        if self.fail_status is not None:
            return self.fail_status, {"error": {"type": "api_error", "message": "Stripe is down"}}
        if seen.path == "/v1/balance":
            return 200, {"object": "balance"}
        key = seen.headers.get("Idempotency-Key", "")
        if key not in self.charges:
            self.charges[key] = {
                "id": f"ch_{next(self.ids)}",
                "object": "charge",
                "status": "succeeded",
                "amount": int(seen.form["amount"]),
            }
        return 200, self.charges[key]

    def charge_requests(self) -> list[Seen]:
        return [seen for seen in self.seen if seen.path == "/v1/charges"]


class FakeAuth(StandIn):
    """An OAuth password-grant token endpoint and the JWKS that verifies its tokens."""

    def __init__(self) -> None:
        super().__init__()
        self.users = {"ada": "lovelace"}
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.down = False

    def reset(self) -> None:
        super().reset()
        self.down = False

    def handle(self, seen: Seen) -> tuple[int, Any]:
        if self.down:
            return 503, {"error": "temporarily_unavailable"}
        if seen.path == "/.well-known/jwks.json":
            jwk = jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
            return 200, {"keys": [{**jwk, "kid": "key-1", "use": "sig", "alg": "RS256"}]}
        if self.users.get(seen.form.get("username", "")) != seen.form.get("password"):
            return 403, {"error": "invalid_grant"}
        claims = {"sub": "user-ada", "name": "Ada", "exp": int(time.time()) + 600}
        token = jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": "key-1"})
        return 200, {"access_token": token, "token_type": "Bearer", "expires_in": 600}


class Relay:
    """A TCP relay to PostgreSQL that can be cut: then the service's URL points at a closed
    port and its open connections are gone."""

    def __init__(self, host: str, port: int) -> None:
        self.upstream = (host, port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.1)
        self.port = self.listener.getsockname()[1]
        self.sockets: list[socket.socket] = []
        self.open = True
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while self.open:
            try:
                client, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            server = socket.create_connection(self.upstream)
            self.sockets += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, target: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                target.sendall(data)
        with contextlib.suppress(OSError):
            target.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        self.open = False
        self.listener.close()
        for sock in self.sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()


# --- the service process -------------------------------------------------------------------


@dataclass
class App:
    """A running service process and a client for it."""

    process: subprocess.Popen[bytes]
    url: str
    log: Path
    client: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self.client = httpx.Client(base_url=self.url, timeout=8.0, trust_env=False)

    def admin(self, path: str, method: str = "POST") -> httpx.Response:
        response = self.client.request(method, f"/api/admin{path}", headers=ADMIN)
        assert response.status_code == 200, response.text
        return response

    def metric(self, name: str, **labels: str) -> float:
        """The value of one sample of /metrics (0 when it has not appeared yet)."""
        text = self.client.get("/metrics").text
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if sample.name == name and all(
                    sample.labels.get(k) == v for k, v in labels.items()
                ):
                    return float(sample.value)
        return 0.0

    def stop(self) -> int:
        self.client.close()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                return self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        return self.process.wait()


def app_env(**settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in APP_VARIABLES}
    env.update(
        ADMIN_TOKEN=ADMIN_TOKEN,
        DEPENDENCY_TIMEOUT=str(TIMEOUT),
        JOBS_INTERVAL="0.1",
        PYTHONUNBUFFERED="1",
        LOG_LEVEL="warning",
    )
    env.update(settings)
    return env


def start_app(log_dir: Path, argv: list[str] | None = None, **settings: str) -> App:
    port = reserve_port()
    log = log_dir / f"app-{port}.log"
    command = argv or [sys.executable, "-m", "holiday"]
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*command, "--port", str(port)],
            cwd=FIXTURES,
            env=app_env(**settings),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    app = App(process, f"http://127.0.0.1:{port}", log)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and process.poll() is None:
        with contextlib.suppress(httpx.HTTPError):
            if app.client.get("/api/health/live").status_code == 200:
                return app
        time.sleep(0.05)
    app.stop()
    raise AssertionError(f"the service did not come up:\n{log.read_text()}")


def until(check: Callable[[], bool], what: str, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.05)


# --- fixtures --------------------------------------------------------------------------------


@dataclass
class Databases:
    server_url: str
    primary: str
    replica: str
    host: str
    port: int


def _database_url(url: str, name: str, port: int | None = None) -> str:
    parts = urlsplit(url)
    netloc = parts.netloc if port is None else f"{parts.netloc.rsplit(':', 1)[0]}:{port}"
    return urlunsplit(parts._replace(netloc=netloc, path=f"/{name}"))


@pytest.fixture(scope="module")
def databases() -> Iterator[Databases]:
    provided = obtain_postgres()
    server = provided.value
    names = [f"holiday_{uuid.uuid4().hex[:8]}_{role}" for role in ("primary", "replica")]
    with psycopg.connect(server.url, autocommit=True) as conn:
        for name in names:
            conn.execute(f'CREATE DATABASE "{name}"')
    try:
        urls = [_database_url(server.url, name) for name in names]
        yield Databases(server.url, urls[0], urls[1], server.host, server.port)
    finally:
        with psycopg.connect(server.url, autocommit=True) as conn:
            for name in names:
                with contextlib.suppress(psycopg.Error):
                    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        server.stop()


@pytest.fixture(scope="module")
def stripe() -> Iterator[FakeStripe]:
    fake = FakeStripe()
    yield fake
    fake.close()


@pytest.fixture(scope="module")
def auth() -> Iterator[FakeAuth]:
    fake = FakeAuth()
    yield fake
    fake.close()


@pytest.fixture(scope="module")
def app(
    databases: Databases,
    stripe: FakeStripe,
    auth: FakeAuth,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[App]:
    running = start_app(
        tmp_path_factory.mktemp("holiday"),
        DATABASE_URL=databases.primary,
        DATABASE_REPLICA_URL=databases.replica,
        STRIPE_URL=stripe.url,
        STRIPE_SECRET_KEY=PRIMARY_KEY,
        STRIPE_BACKUP_SECRET_KEY=BACKUP_KEY,
        AUTH_URL=auth.url,
        CACHE_TTL="60",
    )
    yield running
    running.stop()


@pytest.fixture(autouse=True)
def fresh_stand_ins(request: pytest.FixtureRequest) -> None:
    for name in ("stripe", "auth"):
        if name in request.fixturenames:
            request.getfixturevalue(name).reset()


# --- health -----------------------------------------------------------------------------------


def test_live_and_ready_report_every_dependency_with_its_latency(app: App) -> None:
    assert app.client.get("/api/health/live").json() == {"status": "ok"}
    response = app.client.get("/api/health/ready")
    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "healthy"
    assert set(body["checks"]) == {"database", "payments", "auth"}
    for name, check in body["checks"].items():
        assert check["status"] == "healthy", (name, check)
        assert isinstance(check["latency_ms"], float) and check["latency_ms"] >= 0, (name, check)
    assert body["checks"]["database"]["target"] == "primary"
    assert app.client.get("/api/trpc/healthz.healthz").json() == {"result": {"data": "ok"}}


# --- bookings and jobs in PostgreSQL ----------------------------------------------------------


def test_bookings_round_trip_through_postgresql_and_the_job_loop(
    app: App, databases: Databases
) -> None:
    guest = f"Ada {uuid.uuid4().hex[:6]}"
    created = app.client.post("/api/bookings", json={"guest": guest})
    assert created.status_code == 201, created.text
    booking_id = created.json()["id"]
    with psycopg.connect(databases.primary) as conn:
        row = conn.execute("SELECT guest FROM bookings WHERE id = %s", (booking_id,)).fetchone()
    assert row == (guest,)
    listed = app.client.get("/api/bookings").json()
    assert listed["stale"] is False
    assert guest in [b["guest"] for b in listed["bookings"]]

    def confirmed() -> bool:
        bookings = app.client.get("/api/bookings").json()["bookings"]
        return any(b["id"] == booking_id and b["status"] == "confirmed" for b in bookings)

    until(confirmed, "the background job to confirm the booking")
    assert app.client.post("/api/bookings", json={}).status_code == 400


def test_pausing_the_job_loop_stops_jobs_and_resuming_restarts_them(app: App) -> None:
    assert app.admin("/jobs/pause").json() == {"jobs_paused": True}
    try:
        time.sleep(0.3)  # a job already running finishes
        before = app.admin("/status", "GET").json()["jobs"]
        time.sleep(0.5)  # five intervals
        after = app.admin("/status", "GET").json()["jobs"]
        assert before["paused"] is True
        assert after["ticks"] == before["ticks"]
    finally:
        assert app.admin("/jobs/resume").json() == {"jobs_paused": False}
    until(lambda: app.admin("/status", "GET").json()["jobs"]["ticks"] > after["ticks"], "a job")
    assert app.metric("jobs_processed_total") >= after["ticks"]


def test_failover_points_reads_and_writes_at_the_replica_and_failback_returns(
    app: App, databases: Databases
) -> None:
    marker = f"replica-{uuid.uuid4().hex[:6]}"
    with psycopg.connect(databases.replica, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS bookings (id serial PRIMARY KEY, guest text NOT NULL,"
            " status text NOT NULL DEFAULT 'pending')"
        )
        conn.execute("INSERT INTO bookings (guest) VALUES (%s)", (marker,))
    on_primary = app.client.post("/api/bookings", json={"guest": "only on primary"}).json()
    assert app.admin("/database/failover").json() == {"database": "replica"}
    try:
        guests = [b["guest"] for b in app.client.get("/api/bookings").json()["bookings"]]
        assert marker in guests and "only on primary" not in guests
        written = app.client.post("/api/bookings", json={"guest": "on the replica"}).json()
        with psycopg.connect(databases.replica) as conn:
            row = conn.execute("SELECT guest FROM bookings WHERE id = %s", (written["id"],))
            assert row.fetchone() == ("on the replica",)
        ready = app.client.get("/api/health/ready").json()
        assert ready["checks"]["database"] == {
            **ready["checks"]["database"],
            "status": "healthy",
            "target": "replica",
        }
        assert app.admin("/status", "GET").json()["database"]["target"] == "replica"
    finally:
        assert app.admin("/database/failback").json() == {"database": "primary"}
    ids = [b["id"] for b in app.client.get("/api/bookings").json()["bookings"]]
    assert on_primary["id"] in ids


def test_reads_come_from_the_last_good_answer_when_the_database_port_is_closed(
    databases: Databases, tmp_path: Path
) -> None:
    relay = Relay(databases.host, databases.port)
    app = start_app(
        tmp_path,
        DEPENDENCY_TIMEOUT="0.5",
        CACHE_TTL="0.1",
        DATABASE_URL=_database_url(
            databases.primary, urlsplit(databases.primary).path[1:], port=relay.port
        ),
    )
    try:
        assert app.client.post("/api/bookings", json={"guest": "Grace"}).status_code == 201
        good = app.client.get("/api/bookings").json()
        relay.cut()
        failed = app.client.get("/api/bookings")
        assert failed.status_code == 503, failed.text  # no stale answers unless asked for
        assert app.admin("/readonly/enable").json() == {"readonly": True}
        stale = app.client.get("/api/bookings")
        assert stale.status_code == 200, stale.text
        assert stale.json()["stale"] is True and stale.json()["readonly"] is True
        assert stale.json()["bookings"] == good["bookings"]
        refused = app.client.post("/api/bookings", json={"guest": "Ada"})
        assert refused.status_code == 503 and "read-only" in refused.json()["error"]
        ready = app.client.get("/api/health/ready")
        assert ready.status_code == 503
        assert ready.json()["checks"]["database"]["status"] == "unhealthy"
        assert ready.json()["checks"]["database"]["latency_ms"] >= 0
        assert app.admin("/readonly/disable").json() == {"readonly": False}
        write = app.client.post("/api/bookings", json={"guest": "Ada"})
        assert write.status_code == 503 and "database unavailable" in write.json()["error"]
        assert app.admin("/cache/enable").json() == {"cache_enabled": True}
        cached = app.client.get("/api/bookings").json()  # the cache's answer, kept past its TTL
        assert (cached["stale"], cached["readonly"]) == (True, False)
        assert cached["bookings"] == good["bookings"]
        assert app.client.post("/api/admin/database/failover", headers=ADMIN).status_code == 409
    finally:
        relay.cut()
        app.stop()


def test_the_response_cache_answers_without_the_database_until_a_write(
    app: App, databases: Databases
) -> None:
    assert app.admin("/cache/enable").json() == {"cache_enabled": True}
    try:
        first = app.client.get("/api/bookings").json()
        with psycopg.connect(databases.primary, autocommit=True) as conn:
            conn.execute("INSERT INTO bookings (guest) VALUES ('behind the cache')")
        cached = app.client.get("/api/bookings").json()
        assert cached["cached"] is True and cached["bookings"] == first["bookings"]
        app.client.post("/api/bookings", json={"guest": "through the API"})
        fresh = [b["guest"] for b in app.client.get("/api/bookings").json()["bookings"]]
        assert {"behind the cache", "through the API"} <= set(fresh)
    finally:
        assert app.admin("/cache/disable").json() == {"cache_enabled": False}


# --- payments ---------------------------------------------------------------------------------


def test_a_charge_forwards_the_idempotency_key_to_stripe(app: App, stripe: FakeStripe) -> None:
    key = f"order-{uuid.uuid4().hex[:8]}"
    first = app.client.post(
        "/api/payments/charge", json={"amount": 1999}, headers={"Idempotency-Key": key}
    )
    again = app.client.post(
        "/api/payments/charge", json={"amount": 1999}, headers={"Idempotency-Key": key}
    )
    assert first.status_code == 200, first.text
    assert first.json()["status"] == "succeeded" and first.json()["idempotency_key"] == key
    assert again.json()["id"] == first.json()["id"]  # Stripe saw the same key: one charge
    sent = stripe.charge_requests()
    assert [s.headers["Idempotency-Key"] for s in sent] == [key, key]
    assert sent[0].form["amount"] == "1999"
    assert sent[0].headers["Authorization"] == f"Bearer {PRIMARY_KEY}"
    test = app.client.post("/api/trpc/payment.testCharge")
    assert test.json()["result"]["data"]["status"] == "succeeded"
    assert app.client.post("/api/payments/charge", json={"amount": "ten"}).status_code == 400


def test_failed_payments_are_counted_and_the_retry_queue_is_flushed(
    app: App, stripe: FakeStripe
) -> None:
    failed_before = app.metric("payments_total", outcome="failed", account="primary")
    stripe.fail_status = 503
    plain = app.client.post("/api/payments/charge", json={"amount": 500})
    assert plain.status_code == 502 and plain.json()["status"] == "failed"
    logs = app.client.get("/api/admin/logs/payments?last=10m", headers=ADMIN).json()
    assert logs["failed"] >= 1 and logs["failureRate"] > 0
    assert app.admin("/payments/enable-retry").json() == {"payment_retry": True}
    try:
        queued = app.client.post(
            "/api/payments/charge", json={"amount": 700}, headers={"Idempotency-Key": "retry-me"}
        )
        assert queued.status_code == 202 and queued.json()["status"] == "queued"
        assert app.admin("/status", "GET").json()["payments"]["queued"] == 1
        assert (
            app.metric("payments_total", outcome="failed", account="primary") == failed_before + 2
        )
        assert app.admin("/payments/retry/flush").json()["queued"] == 1  # Stripe still down
        stripe.fail_status = None
        flushed = app.admin("/payments/retry/flush").json()
        assert flushed == {"retried": 1, "succeeded": 1, "failed": 0, "queued": 0}
    finally:
        app.admin("/payments/disable-retry")
    keys = [s.headers["Idempotency-Key"] for s in stripe.charge_requests()]
    assert keys.count("retry-me") == 3  # the first attempt, a failed retry, the good retry
    assert app.metric("payment_retry_queue_size") == 0
    notified = app.admin("/notifications/payment-issue").json()["sent"]
    assert notified >= 3 and app.admin("/notifications/payment-issue").json() == {"sent": 0}


def test_the_backup_stripe_account_takes_the_charges_when_switched_on(
    app: App, stripe: FakeStripe
) -> None:
    before = app.metric("payments_total", outcome="succeeded", account="backup")
    assert app.admin("/payments/backup-account/enable").json()["account"] == "backup"
    try:
        response = app.client.post("/api/payments/charge", json={"amount": 300})
        assert response.json()["account"] == "backup"
    finally:
        app.admin("/payments/backup-account/disable")
    assert stripe.charge_requests()[-1].headers["Authorization"] == f"Bearer {BACKUP_KEY}"
    assert app.metric("payments_total", outcome="succeeded", account="backup") == before + 1
    app.client.post("/api/payments/charge", json={"amount": 300})
    assert stripe.charge_requests()[-1].headers["Authorization"] == f"Bearer {PRIMARY_KEY}"


def test_turning_recommendations_off_removes_the_failing_dependency(
    app: App, stripe: FakeStripe
) -> None:
    assert app.admin("/flags", "GET").json() == {"flags": {"recommendations": False}}
    app.admin("/flags/recommendations/enable")
    try:
        body = app.client.get("/api/bookings").json()
        assert body["recommendations"] == [{"id": "prod_1", "name": "Travel insurance"}]
        stripe.products_status = 500
        assert app.client.get("/api/bookings").status_code == 503
    finally:
        assert app.admin("/flags/recommendations/disable").json()["enabled"] is False
    calls = len(stripe.seen)
    answer = app.client.get("/api/bookings")
    assert answer.status_code == 200 and "recommendations" not in answer.json()
    assert len(stripe.seen) == calls  # the dependency is out of the request path
    unknown = app.client.post("/api/admin/flags/nope/enable", headers=ADMIN)
    assert unknown.status_code == 404


# --- login and tokens ---------------------------------------------------------------------------


def test_login_and_token_checks_fall_back_to_cached_keys(app: App, auth: FakeAuth) -> None:
    refused_before = app.metric("auth_failures_total", reason="bad_credentials")
    wrong = app.client.post("/api/auth/login", json={"username": "ada", "password": "nope"})
    assert wrong.status_code == 401
    assert app.metric("auth_failures_total", reason="bad_credentials") == refused_before + 1
    login = app.client.post("/api/auth/login", json={"username": "ada", "password": "lovelace"})
    assert login.status_code == 200, login.text
    bearer = {"Authorization": f"Bearer {login.json()['access_token']}"}
    me = app.client.get("/api/me", headers=bearer).json()
    assert (me["sub"], me["keys"]) == ("user-ada", "live")
    assert app.client.get("/api/me", headers={"Authorization": "Bearer x.y.z"}).status_code == 401
    assert app.client.get("/api/me").status_code == 401

    auth.delay = TIMEOUT + 1.5  # the provider hangs: the service gives up after its timeout
    down = app.client.get("/api/me", headers=bearer)
    assert down.status_code == 503, down.text
    assert app.metric("auth_failures_total", reason="provider_unavailable") >= 1
    auth.delay, auth.down = 0.0, True
    assert app.client.get("/api/health/ready").json()["checks"]["auth"]["status"] == "unhealthy"
    assert app.admin("/auth/fallback/enable").json() == {"auth_fallback": True}
    try:
        cached = app.client.get("/api/me", headers=bearer)
        assert cached.status_code == 200 and cached.json()["keys"] == "cached"
        ready = app.client.get("/api/health/ready")
        assert ready.status_code == 200 and ready.json()["checks"]["auth"]["status"] == "degraded"
    finally:
        app.admin("/auth/fallback/disable")
    assert app.client.get("/api/me", headers=bearer).status_code == 503


# --- metrics and the admin guard ------------------------------------------------------------------


def test_metrics_use_the_agreed_names_and_count(app: App) -> None:
    before = app.metric("http_requests_total", route="/api/health/live", method="GET", status="200")
    for _ in range(3):
        app.client.get("/api/health/live")
    after = app.metric("http_requests_total", route="/api/health/live", method="GET", status="200")
    assert after == before + 3
    families = {f.name: f for f in text_string_to_metric_families(app.client.get("/metrics").text)}
    assert families["http_requests"].type == "counter"
    histogram = families["http_request_duration_seconds"]
    assert histogram.type == "histogram"
    bounds = {s.labels["le"] for s in histogram.samples if s.name.endswith("_bucket")}
    assert {"0.005", "5.0", "+Inf"} <= bounds
    for name in ("payments", "auth_failures", "jobs_processed"):
        assert families[name].type == "counter", name
    app.client.get("/api/nothing-here")
    assert app.metric("http_requests_total", route="unmatched", status="404") >= 1


def _admin_routes() -> list[tuple[str, str]]:
    sys.path.insert(0, str(FIXTURES))
    try:
        routes = importlib.import_module("holiday.routes_admin").ROUTES
    finally:
        sys.path.remove(str(FIXTURES))
    return [
        (method, route.path.replace("{name}", "recommendations"))
        for route in routes
        for method in sorted(route.methods - {"HEAD"})
    ]


def test_every_admin_route_requires_the_bearer_token(app: App) -> None:
    routes = _admin_routes()
    levers = {
        ("POST", "/api/admin/payments/retry/flush"),
        ("POST", "/api/admin/database/failover"),
        ("GET", "/api/admin/logs/payments"),
        ("POST", "/api/admin/readonly/enable"),
    }
    assert levers <= set(routes)
    for method, path in routes:
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": ADMIN_TOKEN}):
            response = app.client.request(method, path, headers=headers)
            assert response.status_code == 401, (method, path, headers)
    assert app.client.get("/api/admin/status", headers=ADMIN).status_code == 200


# --- the process ----------------------------------------------------------------------------------


def test_sigterm_lets_a_request_in_flight_finish_and_the_script_form_runs(
    tmp_path: Path, auth: FakeAuth
) -> None:
    script = [sys.executable, str(FIXTURES / "holiday" / "__main__.py")]
    app = start_app(tmp_path, script, AUTH_URL=auth.url)
    assert app.client.get("/api/health/ready").json()["checks"]["database"]["mode"] == "memory"
    auth.seen.clear()
    auth.delay = TIMEOUT / 2
    answers: list[httpx.Response] = []
    bad_token = {"Authorization": "Bearer x.y.z"}
    request = threading.Thread(
        target=lambda: answers.append(app.client.get("/api/me", headers=bad_token))
    )
    request.start()
    until(lambda: bool(auth.seen), "the service to fetch the keys")
    app.process.send_signal(signal.SIGTERM)
    request.join(timeout=10)
    assert [a.status_code for a in answers] == [401]  # answered, not cut off
    # uvicorn shuts down cleanly, then re-raises the signal: the conventional exit status
    assert app.stop() in (0, -signal.SIGTERM)
    assert "holiday app stopped" in app.log.read_text()


def test_unusable_settings_are_refused_with_a_clear_message() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "holiday", "--port", "1"],
        cwd=FIXTURES,
        env=app_env(DEPENDENCY_TIMEOUT="soon"),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert (
        result.stderr.strip() == "holiday: DEPENDENCY_TIMEOUT must be a positive number, got 'soon'"
    )
