"""The detector against real HTTP servers and a real /metrics endpoint, and in virtual time."""

from __future__ import annotations

import json
import textwrap
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from drillbook.detect import DetectionTimeout, Detector, RulesFile, load_rules_text
from drillbook.drill.clock import RealClock, VirtualClock
from drillbook.errors import DrillbookError
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

Answer = tuple[int, str]


class Server:
    """A local HTTP server whose answer per path the test sets and changes."""

    def __init__(self) -> None:
        self.routes: dict[str, Callable[[], Answer]] = {}
        self.hits: dict[str, int] = {}
        routes, hits = self.routes, self.hits

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                hits[self.path] = hits.get(self.path, 0) + 1
                status, body = routes.get(self.path, lambda: (404, "not found"))()
                data = body.encode()
                self.send_response(status)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server() -> Iterator[Server]:
    running = Server()
    yield running
    running.close()


def _health(status: str) -> Answer:
    return 200, json.dumps({"checks": {"database": {"status": status}}})


PROBE_RULES = """\
rules:
  - id: database-outage
    name: Database Outage
    severity: P1
    runbook: database-outage
    probe:
      http: {url: $APP_URL/api/health/ready}
      fires_when: {json: [{path: checks.database.status, equals: unhealthy}]}
"""


def _rules(text: str) -> RulesFile:
    return load_rules_text(textwrap.dedent(text)).model


def test_a_probe_fires_when_the_server_says_the_database_is_down(server: Server) -> None:
    state = {"db": "healthy"}
    server.routes["/api/health/ready"] = lambda: _health(state["db"])
    with Detector(
        _rules(PROBE_RULES), variables={"APP_URL": server.url}, clock=VirtualClock()
    ) as detector:
        [healthy] = detector.evaluate_once()
        assert not healthy.fired and not healthy.holds
        assert 'expected "unhealthy", got "healthy"' in healthy.describe()
        state["db"] = "unhealthy"
        [down] = detector.evaluate_once()
        assert down.fired and down.error is None
        assert down.plan.severity == "P1" and down.plan.runbook == "database-outage"
    assert server.hits["/api/health/ready"] == 2


def test_wait_for_polls_at_the_interval_until_the_probe_fires(server: Server) -> None:
    def health() -> Answer:  # down from the fourth request on
        return _health("unhealthy" if server.hits["/ready"] >= 4 else "healthy")

    server.routes["/ready"] = health
    rules = _rules(PROBE_RULES.replace("/api/health/ready", "/ready")).model_copy(
        update={"interval": 2.0}
    )
    clock = VirtualClock()
    with Detector(rules, variables={"APP_URL": server.url}, clock=clock) as detector:
        detection = detector.wait_for("database-outage", timeout=60)
    assert detection.seconds_after_start == 6  # polls at 0, 2, 4, 6 s
    assert detection.fired_at == clock.now()
    assert [e.rule_id for e in detection.evaluations] == ["database-outage"]


def test_an_unanswered_probe_is_an_error_or_fires_when_told_to(server: Server) -> None:
    url = server.url
    server.close()
    rules = _rules(PROBE_RULES)
    with Detector(rules, variables={"APP_URL": url}, clock=VirtualClock()) as detector:
        [refused] = detector.evaluate_once()
    assert not refused.fired and refused.error is not None
    assert "could not connect" in refused.error
    assert refused.rule_id in refused.describe() and "no answer" in refused.describe()
    text = PROBE_RULES.replace("      http:", "      fires_on_error: true\n      http:")
    with Detector(_rules(text), variables={"APP_URL": url}, clock=VirtualClock()) as detector:
        [fires] = detector.evaluate_once()
    assert fires.fired and fires.error is not None


# -- metric rules against a real /metrics endpoint ---------------------------------------

METRIC_RULES = """\
interval: 1s
profiles:
  drill: {max_window: 10s}
rules:
  - id: high-error-rate
    name: High Error Rate
    severity: P2
    runbook: high-error-rate
    metric:
      url: $METRICS_URL
      ratio: {numerator: 'http_requests_total{status=~"5.."}', denominator: http_requests_total}
      window: 5m
      above: 0.05
  - id: auth-failures
    name: Authentication Failures
    severity: P2
    runbook: auth-failures
    metric: {url: $METRICS_URL, rate: auth_failures_total, window: 5m, above: 0.5}
  - id: p95-latency
    name: Bookings p95
    severity: P3
    runbook: slow-bookings
    metric:
      url: $METRICS_URL
      quantile: {histogram: http_request_duration_seconds, q: 0.95, labels: {route: /api/bookings}}
      window: 5m
      drill_window: 20s
      above: 0.5
  - id: queue-stuck
    name: Queue stuck
    severity: P3
    runbook: queue
    metric: {url: $METRICS_URL, value: queue_depth, above: 100}
"""


class App:
    """The metrics a real application would export, served by prometheus_client."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("http_requests", "r", ["status"], registry=self.registry)
        self.auth = Counter("auth_failures", "a", registry=self.registry)
        self.latency = Histogram(
            "http_request_duration_seconds",
            "l",
            ["route"],
            buckets=(0.1, 0.25, 0.5, 1.0, 2.5),
            registry=self.registry,
        )
        self.queue = Gauge("queue_depth", "q", registry=self.registry)
        self.httpd, _ = start_http_server(0, addr="127.0.0.1", registry=self.registry)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/metrics"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def app() -> Iterator[App]:
    running = App()
    yield running
    running.close()


def test_metric_rules_read_a_live_metrics_endpoint(app: App) -> None:
    clock = VirtualClock()
    detector = Detector(_rules(METRIC_RULES), variables={"METRICS_URL": app.url}, clock=clock)
    with detector:
        app.requests.labels("200").inc(100)
        first = {e.rule_id: e for e in detector.evaluate_once()}
        assert first["high-error-rate"].value is None  # one scrape: no window yet
        assert "needs two scrapes" in first["high-error-rate"].describe()
        assert first["queue-stuck"].value == 0 and not first["queue-stuck"].fired

        clock.advance(5)
        app.requests.labels("200").inc(90)
        app.requests.labels("503").inc(10)  # a series born after the first scrape
        app.auth.inc(20)
        app.queue.set(250)
        for value in [0.05] * 10 + [0.3] * 8 + [0.7, 2.0]:
            app.latency.labels("/api/bookings").observe(value)
        app.latency.labels("/other").observe(9.0)  # another route: left out
        second = {e.rule_id: e for e in detector.evaluate_once()}

    assert second["high-error-rate"].value == pytest.approx(10 / 100)
    assert second["high-error-rate"].fired
    assert second["auth-failures"].value == pytest.approx(20 / 5)
    assert second["auth-failures"].fired
    # 20 observations, rank 19 lies in (1, 2.5] holding 1 of them: 1 + 1.5 * (19 - 19) / 1
    assert second["p95-latency"].value == pytest.approx(1.0)
    assert second["p95-latency"].fired
    assert second["queue-stuck"].value == 250 and second["queue-stuck"].fired
    assert second["p95-latency"].window == 20 and second["p95-latency"].production_window == 300


def test_a_ratio_with_nothing_counted_has_no_value_rather_than_zero(app: App) -> None:
    clock = VirtualClock()
    with Detector(
        _rules(METRIC_RULES), variables={"METRICS_URL": app.url}, clock=clock
    ) as detector:
        detector.evaluate_once()
        clock.advance(1)
        evaluations = {e.rule_id: e for e in detector.evaluate_once()}
    ratio = evaluations["high-error-rate"]
    assert ratio.value is None and not ratio.fired and ratio.error is None
    assert "no value: 0 / 0" in ratio.describe()
    assert evaluations["auth-failures"].value == 0


def test_a_failed_scrape_is_an_evaluation_with_an_error(server: Server) -> None:
    server.routes["/metrics"] = lambda: (200, "<html>not metrics</html>")
    server.routes["/broken"] = lambda: (500, "oops")
    text = METRIC_RULES.replace(
        "metric: {url: $METRICS_URL, value", "metric: {url: $BROKEN_URL, value"
    )
    variables = {"METRICS_URL": server.url + "/metrics", "BROKEN_URL": server.url + "/broken"}
    with Detector(_rules(text), variables=variables, clock=VirtualClock()) as detector:
        evaluations = {e.rule_id: e for e in detector.evaluate_once()}
    assert server.hits["/metrics"] == 1  # three rules share one scrape per poll
    assert "not in the Prometheus text format" in (evaluations["auth-failures"].error or "")
    assert "answered HTTP 500" in (evaluations["queue-stuck"].error or "")
    assert not any(e.fired for e in evaluations.values())


# -- virtual time: a scripted endpoint --------------------------------------------------


def _scripted(clock: VirtualClock, errors_from: float) -> httpx.Client:
    """/metrics of an app serving 10 requests/s that fails 5 of them a second from
    ``errors_from`` (virtual seconds) on."""

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path != "/metrics":
            raise httpx.ConnectError("connection refused", request=request)
        now = clock.monotonic()
        total = 10 * now
        failed = 5 * max(0.0, now - errors_from)
        body = (
            "# TYPE http_requests_total counter\n"
            f'http_requests_total{{status="200"}} {total - failed}\n'
            f'http_requests_total{{status="500"}} {failed}\n'
        )
        return httpx.Response(200, text=body)

    return httpx.Client(transport=httpx.MockTransport(handler))


ERROR_RATE_RULE = """\
rules:
  - id: high-error-rate
    name: High Error Rate
    severity: P2
    runbook: high-error-rate
    for: {hold}
    metric:
      url: http://app/metrics
      ratio: {{numerator: 'http_requests_total{{status=~"5.."}}', denominator: http_requests_total}}
      window: 5m
      drill_window: 10s
      above: 0.05
"""


@pytest.mark.parametrize(("hold", "fires_at"), [("0s", 8.0), ("3s", 11.0)])
def test_wait_for_fires_at_the_right_virtual_time(hold: str, fires_at: float) -> None:
    clock = VirtualClock()
    rules = _rules(ERROR_RATE_RULE.format(hold=hold))
    with Detector(rules, variables={}, clock=clock, http=_scripted(clock, 7.0)) as detector:
        detection = detector.wait_for("high-error-rate", timeout=60, since=0.0)
    # errors start at 7 s; at 8 s the 10 s window holds 5 errors in 80 requests (6.25 %)
    assert detection.seconds_after_start == fires_at
    assert clock.monotonic() == fires_at
    assert detection.value is not None and detection.value > 0.05


def test_the_timeout_names_every_rule_with_its_last_value_and_windows(server: Server) -> None:
    clock = VirtualClock()
    text = ERROR_RATE_RULE.format(hold="0s") + textwrap.indent(
        PROBE_RULES.removeprefix("rules:\n"), ""
    )
    rules = _rules(text)
    http = _scripted(clock, errors_from=1e9)
    with (
        Detector(rules, variables={"APP_URL": "http://127.0.0.1:9"}, clock=clock, http=http) as d,
        pytest.raises(DetectionTimeout) as caught,
    ):
        d.wait_for("high-error-rate", timeout=30)
    message = str(caught.value)
    assert message.startswith("rule high-error-rate did not fire within 30 s; last evaluations")
    assert "(31 polls)" in message
    assert (
        "high-error-rate: 0, 0 / 100 over 10 s (fires above 0.05 over 10 s; "
        "production window 5 m)" in message
    )
    assert "database-outage: no answer (connection error: " in message
    assert [e.rule_id for e in caught.value.evaluations] == ["high-error-rate", "database-outage"]


def test_the_drill_profile_shortens_windows_and_the_plan_shows_both() -> None:
    text = METRIC_RULES.replace("drill: {max_window: 10s}", "drill: {max_window: 10s, max_for: 1s}")
    text = text.replace("above: 0.5}\n", "above: 0.5}\n    for: 2m\n", 1)
    rules = _rules(text)
    variables = {"METRICS_URL": "http://127.0.0.1:9/metrics"}
    with Detector(rules, variables=variables, clock=VirtualClock()) as drill:
        plans = {plan.rule_id: plan for plan in drill.plan()}
    assert (plans["high-error-rate"].window, plans["high-error-rate"].production_window) == (
        10,
        300,
    )
    assert plans["p95-latency"].window == 20  # drill_window wins over max_window
    assert (plans["auth-failures"].for_, plans["auth-failures"].production_for) == (1, 120)
    assert plans["auth-failures"].condition() == (
        "fires above 0.5 over 10 s for 1 s; production window 5 m; production for 2 m"
    )
    assert plans["queue-stuck"].window is None
    with Detector(rules, variables=variables, clock=VirtualClock(), profile=None) as production:
        assert {p.rule_id: p.window for p in production.plan()}["high-error-rate"] == 300
    with pytest.raises(DrillbookError, match="no profile 'staging'"):
        Detector(rules, variables=variables, clock=VirtualClock(), profile="staging")


# -- python rules ----------------------------------------------------------------------


PYTHON_RULES = """\
rules:
  - {id: flag, name: F, severity: P3, runbook: r, python: "drill_checks:flag"}
  - {id: pair, name: P, severity: P3, runbook: r, python: "drill_checks:pair"}
  - {id: number, name: N, severity: P3, runbook: r, python: {call: "drill_checks:number", above: 3}}
  - {id: broken, name: B, severity: P3, runbook: r, python: "drill_checks:broken"}
  - {id: bare, name: B, severity: P3, runbook: r, python: "drill_checks:number"}
"""


def test_python_rules_are_called_with_the_variables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "drill_checks.py").write_text(
        textwrap.dedent("""\
        def flag(env):
            return env["MODE"] == "down"

        def pair(env):
            return (True, "queue " + env["MODE"])

        def number(env):
            return len(env["MODE"])

        def broken(env):
            raise RuntimeError("the check itself failed")
        """)
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    rules = _rules(PYTHON_RULES)
    with Detector(rules, variables={"MODE": "down"}, clock=VirtualClock()) as detector:
        results = {e.rule_id: e for e in detector.evaluate_once()}
    assert results["flag"].fired and "returned True" in results["flag"].describe()
    assert results["pair"].fired and results["pair"].detail == "queue down"
    assert results["number"].value == 4 and results["number"].fired
    assert (
        results["broken"].error
        == "drill_checks:broken raised RuntimeError: the check itself failed"
    )
    assert results["bare"].error == "returned a number, but the rule has no above or below"


def test_a_python_rule_that_cannot_be_imported_fails_when_the_detector_is_made() -> None:
    rules = _rules(PYTHON_RULES.replace("drill_checks:flag", "no_such_module_here:flag"))
    with pytest.raises(DrillbookError, match="detection rule flag: cannot load the python rule"):
        Detector(rules, variables={}, clock=VirtualClock())


# -- configuration errors, masking, background -------------------------------------------


def test_an_undefined_variable_is_refused_up_front() -> None:
    with pytest.raises(DrillbookError, match=r"detection rule database-outage: variable \$APP_URL"):
        Detector(_rules(PROBE_RULES), variables={}, clock=VirtualClock())


def test_an_unknown_rule_is_refused_with_a_suggestion() -> None:
    rules = _rules(PROBE_RULES)
    with (
        Detector(rules, variables={"APP_URL": "http://x"}, clock=VirtualClock()) as detector,
        pytest.raises(DrillbookError, match="did you mean 'database-outage'"),
    ):
        detector.wait_for("database-outtage", timeout=1)


def test_secrets_in_urls_never_reach_evaluations() -> None:
    rules = _rules(
        PROBE_RULES.replace("$APP_URL/api", "http://admin:hunter22@127.0.0.1:9/$API_TOKEN")
    )
    variables = {"API_TOKEN": "tok-5ecr3t-value"}
    with Detector(rules, variables=variables, clock=VirtualClock()) as detector:
        [evaluation] = detector.evaluate_once()
        shown = evaluation.describe() + json.dumps(evaluation.to_dict())
    assert evaluation.error is not None
    assert "hunter22" not in shown and "tok-5ecr3t-value" not in shown
    assert "********" in shown


def test_background_polling_records_when_each_rule_fired(server: Server) -> None:
    state = {"db": "healthy"}
    server.routes["/api/health/ready"] = lambda: _health(state["db"])
    rules = _rules(PROBE_RULES).model_copy(update={"interval": 0.02})
    clock = RealClock()
    with Detector(rules, variables={"APP_URL": server.url}, clock=clock) as detector:
        detector.start()
        assert detector.running
        give_up = clock.monotonic() + 10
        while detector.polls < 2 and clock.monotonic() < give_up:  # healthy polls first
            clock.sleep(0.01)
        assert detector.fired() == []
        injected = clock.monotonic()
        state["db"] = "unhealthy"
        detection = detector.wait_for("database-outage", timeout=10, since=injected)
        detector.stop()
        assert not detector.running
        polls = detector.polls
    assert detection.seconds_after_start >= 0
    assert [d.rule_id for d in detector.fired()] == ["database-outage"]
    assert polls >= 3 and server.hits["/api/health/ready"] == polls
