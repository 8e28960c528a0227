"""Synthetic traffic against a real local server: rate, errors, latency percentiles, lag."""

from __future__ import annotations

import json
import statistics
import threading
import time
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from drillbook.drill.clock import RealClock
from drillbook.drill.traffic import (
    Reservoir,
    SmoothWeights,
    TrafficGenerator,
    TrafficReport,
    TrafficSpec,
    percentile,
)
from drillbook.errors import LoadError
from drillbook.formats.loader import load_model_text
from hypothesis import given
from hypothesis import strategies as st


class Server:
    """Answers /ok at once, /slow after 100 ms, /hang after 2 s, and fails every 4th /flaky."""

    def __init__(self) -> None:
        self.statuses: Counter[int] = Counter()
        self.paths: Counter[str] = Counter()
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                self._answer()

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                self.rfile.read(length)
                self._answer()

            def _answer(self) -> None:
                path = self.path.split("?")[0]
                with outer.lock:
                    outer.paths[path] += 1
                    count = outer.paths[path]
                delay = {"/slow": 0.1, "/hang": 2.0}.get(path, 0.0)
                if delay:
                    time.sleep(delay)
                status = 500 if path == "/flaky" and count % 4 == 0 else 200
                with outer.lock:
                    outer.statuses[status] += 1
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting (the timeout test)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_port}"
        threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()

    @property
    def answered(self) -> int:
        with self.lock:
            return sum(self.statuses.values())

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server() -> Iterator[Server]:
    running = Server()
    yield running
    running.close()


def _spec(**fields: Any) -> TrafficSpec:
    return TrafficSpec.model_validate(fields)


def _run(spec: TrafficSpec, url: str, seconds: float, **options: Any) -> TrafficReport:
    generator = TrafficGenerator(spec, {"APP_URL": url}, RealClock(), **options)
    generator.start()
    time.sleep(seconds)
    return generator.stop()


def test_the_achieved_rate_is_the_target_rate(server: Server) -> None:
    spec = _spec(rate=50, mix=[{"http": {"url": "$APP_URL/ok"}}])
    report = _run(spec, server.url, 1.2)
    assert report.achieved_rate is not None
    assert report.achieved_rate == pytest.approx(50, rel=0.15)  # measured: a tolerance
    assert report.requests == report.sent == server.answered
    assert report.errors == 0 and report.error_ratio == 0
    assert report.statuses == {"200": report.requests}


def test_errors_are_the_answers_outside_2xx_and_3xx(server: Server) -> None:
    spec = _spec(rate=40, mix=[{"http": {"url": "$APP_URL/flaky"}}])
    report = _run(spec, server.url, 0.8)
    assert report.requests == server.answered >= 8
    assert report.errors == server.statuses[500] == report.requests // 4
    assert report.statuses == {str(code): count for code, count in server.statuses.items()}
    assert report.error_ratio == pytest.approx(server.statuses[500] / report.requests)
    assert report.error_examples and all("HTTP 500" in e for e in report.error_examples)


def test_percentiles_come_from_the_latencies_of_each_mix_entry(server: Server) -> None:
    spec = _spec(
        rate=40,
        mix=[
            {"name": "fast", "http": {"url": "$APP_URL/ok"}},
            {"name": "slow", "http": {"method": "post", "url": "$APP_URL/slow", "json": {"a": 1}}},
        ],
    )
    report = _run(spec, server.url, 0.8)
    fast, slow = report.entries
    assert (fast.name, slow.name) == ("fast", "slow")
    assert slow.latency.p50 is not None and slow.latency.p50 >= 0.1  # the server sleeps 100 ms
    assert fast.latency.p50 is not None and fast.latency.p50 < slow.latency.p50
    assert report.latency.p99 is not None and report.latency.p99 >= 0.1
    assert report.latency.samples == report.requests == fast.requests + slow.requests
    assert server.paths["/ok"] == fast.requests and server.paths["/slow"] == slow.requests


def test_the_mix_is_sent_in_the_proportions_of_its_weights(server: Server) -> None:
    spec = _spec(
        rate=80,
        mix=[
            {"weight": 3, "http": {"url": "$APP_URL/ok?a"}},
            {"weight": 1, "http": {"url": "$APP_URL/ok?b"}},
        ],
    )
    report = _run(spec, server.url, 0.6)
    heavy, light = report.entries
    assert heavy.requests + light.requests == report.requests
    assert abs(heavy.requests - 3 * light.requests) <= 3


def test_a_generator_that_cannot_keep_up_says_so(server: Server) -> None:
    spec = _spec(rate=20, concurrency=1, mix=[{"http": {"url": "$APP_URL/slow"}}])
    report = _run(spec, server.url, 0.8)
    assert report.late > 0 and report.max_lag > 0.1
    assert report.missed > 0
    assert report.sent < 0.8 * 20
    assert "late" in report.summary() and "never sent" in report.summary()


def test_warm_up_requests_are_sent_but_left_out_of_the_report(server: Server) -> None:
    spec = _spec(rate=20, warmup="0.3s", mix=[{"http": {"url": "$APP_URL/ok"}}])
    generator = TrafficGenerator(spec, {"APP_URL": server.url})
    generator.start()
    generator.wait_warm()
    time.sleep(0.4)
    report = generator.stop()
    assert 3 <= report.warmup_requests <= 8
    assert report.requests >= 4
    assert server.answered == report.warmup_requests + report.requests
    assert report.duration >= 0.4  # measured from the end of the warm-up


def test_unanswered_requests_count_as_errors_by_kind(server: Server) -> None:
    spec = _spec(
        rate=20,
        timeout="0.2s",
        mix=[
            {"name": "hang", "http": {"url": "$APP_URL/hang"}},
            {"name": "closed", "http": {"url": "http://127.0.0.1:9/"}},
        ],
    )
    report = _run(spec, server.url, 0.3)
    hang, closed = report.entries
    assert hang.requests >= 1 and hang.statuses == {"timeout": hang.requests}
    assert closed.requests >= 1 and closed.statuses == {"ConnectError": closed.requests}
    assert report.errors == report.requests
    assert report.latency.samples == 0 and report.latency.p50 is None


def test_the_report_is_json_and_masks_secrets_in_names(server: Server) -> None:
    spec = _spec(rate=20, mix=[{"http": {"url": "$APP_URL/ok?token=$API_TOKEN"}}])
    generator = TrafficGenerator(spec, {"APP_URL": server.url, "API_TOKEN": "s3cr3t-tok"})
    generator.start()
    time.sleep(0.2)
    report = generator.stop()
    data = json.loads(json.dumps(report.to_dict()))
    assert data["requests"] == report.requests >= 1
    assert data["entries"][0]["requests"] == report.requests
    assert "s3cr3t-tok" not in json.dumps(data)
    assert data["entries"][0]["name"].endswith("token=********")
    assert generator.stop() is report  # stopping twice gives the same report


def test_a_traffic_block_with_mistakes_points_at_the_line() -> None:
    text = "rate: 0\nmix:\n  - http: {url: http://x}\n"
    with pytest.raises(LoadError) as caught:
        load_model_text(text, TrafficSpec, "traffic", "drill.yaml")
    assert str(caught.value).startswith("drill.yaml:1:7: ")
    assert "greater than 0" in str(caught.value)


@given(st.lists(st.floats(0, 10), max_size=300), st.integers(1, 50))
def test_a_reservoir_never_holds_more_than_its_size(values: list[float], size: int) -> None:
    reservoir = Reservoir(size)
    for value in values:
        reservoir.add(value)
    assert len(reservoir.values) == min(size, len(values))
    assert reservoir.seen == len(values)
    assert set(reservoir.values) <= set(values)


@given(st.lists(st.floats(0, 10), min_size=2, max_size=200))
def test_percentiles_interpolate_between_neighbours(values: list[float]) -> None:
    ordered = sorted(values)
    cuts = statistics.quantiles(ordered, n=100, method="inclusive")
    assert percentile(ordered, 0.95) == pytest.approx(cuts[94], abs=1e-9)
    assert percentile(ordered, 0.50) == pytest.approx(statistics.median(ordered), abs=1e-9)
    assert percentile(ordered, 1.0) == ordered[-1]


@given(st.lists(st.integers(1, 6), min_size=1, max_size=5), st.integers(1, 4))
def test_smooth_weights_pick_each_entry_in_proportion(weights: list[int], rounds: int) -> None:
    picker = SmoothWeights([float(w) for w in weights])
    picks = Counter(picker.next() for _ in range(sum(weights) * rounds))
    assert [picks[i] for i in range(len(weights))] == [w * rounds for w in weights]
