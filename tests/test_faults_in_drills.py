"""Faults from YAML drills (``inject:``) on a real system under test: a latency toxic and a
disabled proxy in front of PostgreSQL, and an HTTP fault on a stand-in service with
``fault_api: true`` (a small ASGI app wrapped in FaultMiddleware, run under uvicorn by the
environment). The drills pass or fail as their runbooks' expectations say, the report lists
the faults, and the faults are lifted after each drill: the drills' recover checks look at
the toxiproxy server and the services while the environment is still up, and the test looks
at the server once pytest is done.

Also the LedgerInjector on its own: unknown proxies and targets are explained, and one fault
that cannot be lifted does not keep the others in place.
"""

from __future__ import annotations

import http.server
import json
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from drillbook.errors import DrillbookError
from drillbook.faults.drill_injector import LedgerInjector
from drillbook.faults.ledger import FaultLedger
from drillbook.faults.server import ToxiproxyServer
from drillbook.faults.toxiproxy_client import ToxiproxyClient
from drillbook.formats.drill import HttpFault, ProxyDownFault, ToxicFault
from drillbook.services.ports import free_port

STANDIN = '''\
"""A payments stand-in: every request answers 200 with JSON; faults come through its admin API."""
import sys

import uvicorn
from drillbook.faults.http.asgi import FaultMiddleware, send_response


async def payments(scope, receive, send):
    body = b'{"ok": true}'
    await send_response(send, 200, body, [(b"content-type", b"application/json")])


uvicorn.run(
    FaultMiddleware(payments),
    host="127.0.0.1",
    port=int(sys.argv[1]),
    log_level="warning",
    lifespan="off",
)
'''

PROBE = '''\
"""What the on-call engineer looks at, printed as one JSON object (imports kept lazy: fast)."""
import json
import os
import sys
import time


def query():
    import psycopg

    with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True, connect_timeout=5) as conn:
        started = time.perf_counter()
        conn.execute("SELECT 1").fetchone()
        return {"ms": (time.perf_counter() - started) * 1000}


def connect():
    import psycopg

    try:
        psycopg.connect(os.environ["DATABASE_URL"], connect_timeout=5).close()
    except psycopg.OperationalError as exc:
        return {"connected": False, "refused": "Connection refused" in str(exc)}
    return {"connected": True, "refused": False}


def toxiproxy():
    from urllib.request import urlopen

    with urlopen(os.environ["TOXIPROXY_URL"] + "/proxies", timeout=5) as answer:
        proxies = json.load(answer)
    return {
        "proxies": len(proxies),
        "toxics": sum(len(p["toxics"]) for p in proxies.values()),
        "disabled": sum(not p["enabled"] for p in proxies.values()),
    }


print(json.dumps({"query": query, "connect": connect, "toxiproxy": toxiproxy}[sys.argv[1]]()))
'''

ENVIRONMENT = """\
id: shop
services:
  db:
    provider: postgres
  payments:
    command: ["{python}", "{root}/../standin.py", "{port}"]
    fault_api: true
    ready:
      http: "http://127.0.0.1:{port}/health"
proxies:
  postgres:
    upstream: "{services.db.host}:{services.db.port}"
exports:
  PYTHON: "{python}"
  PROBE: "{root}/../probe.py"
  DATABASE_URL: "postgresql://postgres@127.0.0.1:{proxies.postgres.port}/drillbook?sslmode=disable"
  PAYMENTS_URL: "{services.payments.url}"
"""

RUNBOOKS = {
    "slow-database": """\
id: slow-database
title: The database answers slowly
severity: P2
steps:
  - order: 1
    description: Time a query
    readOnly: true
    command: '"$PYTHON" "$PROBE" query'
    expect:
      json:
        - path: ms
          gt: 250
""",
    "database-down": """\
id: database-down
title: The database refuses connections
severity: P1
steps:
  - order: 1
    description: Try to connect
    readOnly: true
    command: '"$PYTHON" "$PROBE" connect'
    expect:
      json:
        - path: refused
          equals: true
""",
    "payments-failing": """\
id: payments-failing
title: Charges fail
severity: P1
steps:
  - order: 1
    description: Try a charge
    readOnly: true
    http:
      method: POST
      url: "$PAYMENTS_URL/v1/charges"
    expect:
      status: 503
      json:
        - path: error
          equals: payments unavailable
""",
}

# recover runs once the faults are lifted: the toxiproxy server must be clean by then
SERVER_CLEAN = """\
  - description: toxiproxy holds no toxic and no disabled proxy
    command: '"$PYTHON" "$PROBE" toxiproxy'
    expect:
      json:
        - path: toxics
          equals: 0
        - path: disabled
          equals: 0
        - path: proxies
          equals: 1
"""

DRILLS = {
    "slow-database": """\
id: slow-database-drill
title: Slow database
runbook: slow-database
environment: shop
vars:
  TOXIPROXY_URL: {url}
inject:
  - proxy: postgres
    type: latency
    attributes: {{latency: 300}}
recover:
  - description: queries are fast again
    command: '"$PYTHON" "$PROBE" query'
    expect:
      json:
        - path: ms
          lt: 100
{clean}""",
    "database-down": """\
id: database-down-drill
title: Database down
runbook: database-down
environment: shop
vars:
  TOXIPROXY_URL: {url}
inject:
  - kind: proxy_down
    proxy: postgres
recover:
  - description: connections are accepted again
    command: '"$PYTHON" "$PROBE" connect'
    expect:
      json:
        - path: connected
          equals: true
{clean}""",
    "payments": """\
id: payments-drill
title: Payments answer 503
runbook: payments-failing
environment: shop
vars:
  TOXIPROXY_URL: {url}
inject:
  - kind: http
    target: payments
    status: 503
    path: /v1/charges
    body: {{error: payments unavailable}}
recover:
  - description: charges work again
    http:
      method: POST
      url: "$PAYMENTS_URL/v1/charges"
    expect:
      status: 200
      json:
        - path: ok
          equals: true
""",
    "too-little-latency": """\
id: too-little-latency-drill
title: Latency too small to notice
runbook: slow-database
environment: shop
vars:
  TOXIPROXY_URL: {url}
inject:
  - proxy: postgres
    type: latency
    name: barely-slow
    attributes: {{latency: 20}}
""",
}


@dataclass
class DrillRun:
    """One pytest run over the drills, against a toxiproxy server the test keeps."""

    output: str
    returncode: int
    report: dict[str, Any]
    server: ToxiproxyServer
    project: Path

    def drill(self, drill_id: str) -> dict[str, Any]:
        return next(d for d in self.report["drills"] if d["drill_id"] == drill_id)

    def proxy(self, drill_id: str) -> str:
        """The real name of the drill's ``postgres`` proxy (named with the run, numbered)."""
        number = sorted(d["drill_id"] for d in self.report["drills"]).index(drill_id) + 1
        return f"drillbook-{self.report['session']['run_id']}-main-{number}-postgres"

    def fault_events(self, drill_id: str) -> list[str]:
        return [e["message"] for e in self.drill(drill_id)["timeline"] if e["kind"] == "fault"]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DrillRun]:
    project = tmp_path_factory.mktemp("shop")
    (project / "pytest.ini").write_text("[pytest]\n")
    (project / "standin.py").write_text(STANDIN)
    (project / "probe.py").write_text(PROBE)
    for folder in ("environments", "runbooks", "drills"):
        (project / folder).mkdir()
    (project / "environments" / "shop.yaml").write_text(ENVIRONMENT)
    for name, text in RUNBOOKS.items():
        (project / "runbooks" / f"{name}.yaml").write_text(text)
    with ToxiproxyServer("127.0.0.1", 0) as server:
        for name, text in DRILLS.items():
            drill = text.format(url=server.url, clean=SERVER_CLEAN)
            (project / "drills" / f"{name}.yaml").write_text(drill)
        command = [sys.executable, "-m", "pytest", "drills", "-p", "no:cacheprovider", "-q"]
        command += ["--toxiproxy-url", server.url, "-p", "no:xdist"]
        # a run of its own, even when this test runs in an xdist worker
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_XDIST")}
        done = subprocess.run(
            command, cwd=project, env=env, capture_output=True, text=True, timeout=120, check=False
        )
        report = json.loads((project / "reports" / "drill-report.json").read_text())
        yield DrillRun(done.stdout + done.stderr, done.returncode, report, server, project)


# -- drills from YAML -------------------------------------------------------------------------
def test_each_drill_passes_or_fails_as_its_runbook_expects(run: DrillRun) -> None:
    outcomes = {d["drill_id"]: d["outcome"] for d in run.report["drills"]}
    assert outcomes == {
        "slow-database-drill": "passed",
        "database-down-drill": "passed",
        "payments-drill": "passed",
        "too-little-latency-drill": "failed",
    }, run.output
    assert run.returncode == 1
    assert "1 failed, 3 passed" in run.output


def test_the_report_lists_each_fault_injected_and_lifted(run: DrillRun) -> None:
    toxic = "drillbook_latency_downstream_1"
    assert run.fault_events("slow-database-drill") == [
        f"injected: latency toxic {toxic} on postgres (downstream, latency=300, toxicity 1)",
        f"lifted: toxic {toxic} on proxy {run.proxy('slow-database-drill')}",
    ]
    assert run.fault_events("database-down-drill") == [
        "injected: proxy postgres disabled",
        f"lifted: proxy {run.proxy('database-down-drill')} re-enabled",
    ]
    injected, lifted = run.fault_events("payments-drill")
    assert injected == "injected: HTTP fault on payments: 503 on any method /v1/charges"
    assert re.fullmatch(r"lifted: HTTP fault drillbook-1 on http://127\.0\.0\.1:\d+", lifted)


def test_a_failed_drill_names_the_faults_in_force_and_still_lifts_them(run: DrillRun) -> None:
    drill = run.drill("too-little-latency-drill")
    fault = "latency toxic barely-slow on postgres (downstream, latency=20, toxicity 1)"
    assert drill["failure"]["phase"] == "respond"
    assert drill["failure"]["faults_active"] == [fault]
    assert run.fault_events("too-little-latency-drill") == [
        f"injected: {fault}",
        f"lifted: toxic barely-slow on proxy {run.proxy('too-little-latency-drill')}",
    ]
    assert "still injected at the time:" in run.output
    assert f"- {fault}" in run.output
    markdown = (run.project / "reports" / "drill-report.md").read_text()
    assert "barely-slow" in markdown


def test_the_recover_checks_saw_every_fault_lifted(run: DrillRun) -> None:
    for drill_id in ("slow-database-drill", "database-down-drill", "payments-drill"):
        recover = next(p for p in run.drill(drill_id)["phases"] if p["name"] == "recover")
        assert recover["outcome"] == "passed", (drill_id, recover)
        assert len(recover["actions"]) == (1 if drill_id == "payments-drill" else 2)


def test_nothing_is_left_on_the_toxiproxy_server_or_in_the_ledger(run: DrillRun) -> None:
    with ToxiproxyClient(run.server.url) as client:
        assert client.proxies() == {}
    assert list((run.project / ".drillbook" / "ledgers").glob("*.jsonl")) == []


# -- the injector on its own ----------------------------------------------------------------
@pytest.fixture
def server() -> Iterator[ToxiproxyServer]:
    with ToxiproxyServer("127.0.0.1", 0) as running:
        yield running


def _proxy(server: ToxiproxyServer, name: str) -> None:
    with ToxiproxyClient(server.url) as client:
        client.create_proxy(name, "127.0.0.1:0", f"127.0.0.1:{free_port()}")


def test_a_proxy_the_environment_does_not_define_is_named_with_the_known_ones(
    tmp_path: Path, server: ToxiproxyServer
) -> None:
    injector = LedgerInjector(
        FaultLedger(tmp_path, "run"), toxiproxy_url=server.url, proxies={"postgres": "pg-real"}
    )
    with pytest.raises(DrillbookError) as raised:
        injector.apply(ToxicFault(proxy="redis", type="latency"))
    assert str(raised.value) == (
        "the drill names proxy 'redis', which the environment does not define (proxies: postgres)"
    )
    with pytest.raises(DrillbookError, match="'billing', which is not a service with `fault_api"):
        injector.apply(HttpFault(kind="http", target="billing"))
    assert injector.active() == []


class _Refusing(http.server.BaseHTTPRequestHandler):
    """A toxiproxy look-alike that fails every request with a 500."""

    def do_DELETE(self) -> None:
        self.send_response(500)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        return None


def test_one_fault_that_cannot_be_lifted_does_not_keep_the_others_in_place(
    tmp_path: Path, server: ToxiproxyServer
) -> None:
    _proxy(server, "pg-real")
    refusing = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Refusing)
    threading.Thread(target=refusing.serve_forever, daemon=True).start()
    bad_url = f"http://127.0.0.1:{refusing.server_address[1]}"
    ledger = FaultLedger(tmp_path, "run")
    injector = LedgerInjector(ledger, toxiproxy_url=server.url, proxies={"postgres": "pg-real"})
    try:
        injector.apply(ToxicFault(proxy="postgres", type="latency", name="first"))
        ledger.record("toxic", {"server": bad_url, "proxy": "x", "toxic": "stuck"}, "stuck toxic")
        injector.apply(ProxyDownFault(kind="proxy_down", proxy="postgres"))
        with pytest.raises(DrillbookError) as raised:
            injector.lift_all()
    finally:
        refusing.shutdown()
        refusing.server_close()
    message = str(raised.value)
    assert message.startswith("lifted 2 fault(s), but these are still in force:\n  stuck toxic: ")
    assert "500" in message and str(ledger.path) in message
    with ToxiproxyClient(server.url) as client:
        proxy = client.proxies()["pg-real"]
    assert (proxy["toxics"], proxy["enabled"]) == ([], True)
    assert injector.active() == ["stuck toxic"]
