"""Reading the exposition prometheus_client itself writes: counters, histograms, NaN, +Inf."""

from __future__ import annotations

import math

import pytest
from drillbook.detect.prometheus import (
    ExpositionError,
    Scrape,
    le_of,
    normalise_le,
    parse_exposition,
)
from drillbook.formats.detection import parse_selector
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest


def _registry() -> tuple[CollectorRegistry, Counter, Histogram, Gauge]:
    registry = CollectorRegistry()
    requests = Counter(
        "http_requests", "Requests.", ["status", "route"], registry=registry
    )  # exposed as http_requests_total
    latency = Histogram(
        "http_request_duration_seconds",
        "Latency.",
        ["route"],
        buckets=(0.1, 0.25, 0.5, 1.0),
        registry=registry,
    )
    queue = Gauge("queue_depth", "Queue.", registry=registry)
    Counter("payments", "Payments.", ["outcome"], registry=registry)  # declared, never used
    return registry, requests, latency, queue


def _scrape(registry: CollectorRegistry) -> Scrape:
    return parse_exposition(generate_latest(registry).decode())


def test_counters_are_read_by_sample_name_and_summed_over_matching_series() -> None:
    registry, requests, _, _ = _registry()
    requests.labels("200", "/a").inc(90)
    requests.labels("503", "/a").inc(7)
    requests.labels("500", "/b").inc(3)
    scrape = _scrape(registry)
    all_requests = scrape.series(parse_selector("http_requests_total"))
    errors = scrape.series(parse_selector('http_requests_total{status=~"5.."}'))
    on_b = scrape.series(parse_selector('http_requests_total{route="/b"}'))
    assert all_requests is not None and sum(all_requests.values()) == 100
    assert errors is not None and sum(errors.values()) == 10
    assert on_b == {(("route", "/b"), ("status", "500")): 3.0}


def test_a_counter_family_name_stands_for_its_total() -> None:
    registry, requests, _, _ = _registry()
    requests.labels("200", "/a").inc(4)
    series = _scrape(registry).series(parse_selector("http_requests"))
    assert series is not None and sum(series.values()) == 4


def test_a_declared_counter_without_series_reads_empty_and_a_missing_one_as_none() -> None:
    registry, _, _, _ = _registry()
    scrape = _scrape(registry)
    assert scrape.series(parse_selector('payments_total{outcome="failed"}')) == {}
    assert scrape.series(parse_selector("no_such_metric_total")) is None


def test_histogram_buckets_keep_their_bounds_and_filter_by_labels() -> None:
    registry, _, latency, _ = _registry()
    for value in (0.05, 0.2, 0.2, 0.7, 3.0):
        latency.labels("/api/bookings").observe(value)
    latency.labels("/other").observe(0.05)
    buckets = _scrape(registry).buckets(
        parse_selector('http_request_duration_seconds{route="/api/bookings"}')
    )
    assert buckets is not None
    by_bound = {le_of(key): value for key, value in buckets.items()}
    assert by_bound == {0.1: 1.0, 0.25: 3.0, 0.5: 3.0, 1.0: 4.0, math.inf: 5.0}


def test_nan_samples_count_as_absent_and_inf_is_read() -> None:
    registry, _, _, queue = _registry()
    queue.set(math.nan)
    text = generate_latest(registry).decode() + "# TYPE big gauge\nbig +Inf\n"
    scrape = parse_exposition(text)
    assert scrape.series(parse_selector("queue_depth")) == {}
    assert scrape.series(parse_selector("big")) == {(): math.inf}


def test_bucket_bounds_written_differently_are_one_bucket() -> None:
    assert normalise_le("1") == normalise_le("1.0") == normalise_le("1e0")
    assert normalise_le("+Inf") == repr(math.inf)


@pytest.mark.parametrize("text", ['metric{a="b" 1\n', "metric one\n", "<html>oops</html>\n"])
def test_text_that_is_not_the_format_raises_a_readable_error(text: str) -> None:
    with pytest.raises(ExpositionError, match="not in the Prometheus text format"):
        parse_exposition(text)
