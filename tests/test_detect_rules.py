"""The detection rules file: what it accepts, and file:line:col errors for what it does not."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from drillbook.errors import LoadError, LoadErrors
from drillbook.formats.detection import (
    LabelMatcher,
    Selector,
    load_rules,
    load_rules_text,
    parse_selector,
)
from hypothesis import given
from hypothesis import strategies as st

SEED_RULES = """\
interval: 1s
profiles:
  drill: {max_window: 10s}
rules:
  - id: database-outage
    name: Database Outage
    severity: P1
    runbook: database-outage
    probe:
      http: {url: $APP_URL/api/health/ready}
      fires_when: {json: [{path: checks.database.status, equals: unhealthy}]}
  - id: high-error-rate
    name: High Error Rate
    severity: P2
    runbook: high-error-rate
    metric:
      url: $APP_URL/metrics
      ratio: {numerator: 'http_requests_total{status=~"5.."}', denominator: http_requests_total}
      window: 5m
      above: 0.05
  - id: payment-failures
    name: Payment Failures
    severity: P1
    runbook: payment-failure
    for: 30s
    metric:
      url: $APP_URL/metrics
      ratio: {numerator: 'payments_total{outcome="failed"}', denominator: payments_total}
      window: 10m
      drill_window: 5s
      above: 0.1
  - id: auth-failures
    name: Authentication Failures
    severity: P2
    runbook: auth-failures
    metric: {url: $APP_URL/metrics, rate: auth_failures_total, window: 5m, above: 0.5}
  - id: p95-latency
    name: Bookings p95 latency
    severity: P3
    runbook: slow-bookings
    metric:
      url: $APP_URL/metrics
      quantile: {histogram: http_request_duration_seconds, q: 0.95, labels: {route: /api/bookings}}
      window: 5m
      above: 0.5
  - id: custom
    name: Custom check
    severity: P4
    runbook: custom
    python: "mypackage.checks:queue_stuck"
"""


def test_the_seed_rules_load_with_every_kind() -> None:
    loaded = load_rules_text(SEED_RULES)
    rules = {rule.id: rule for rule in loaded.model.rules}
    assert [rule.kind for rule in loaded.model.rules] == [
        "probe",
        "metric",
        "metric",
        "metric",
        "metric",
        "python",
    ]
    assert rules["high-error-rate"].metric is not None
    assert rules["high-error-rate"].metric.window == 300
    assert rules["payment-failures"].for_ == 30
    assert rules["payment-failures"].metric is not None
    assert rules["payment-failures"].metric.drill_window == 5
    assert rules["p95-latency"].metric is not None
    assert rules["p95-latency"].metric.kind == "quantile"
    assert rules["custom"].python is not None
    assert rules["custom"].python.call == "mypackage.checks:queue_stuck"
    assert loaded.model.profiles["drill"].max_window == 10
    window_line = SEED_RULES.splitlines().index("      window: 10m") + 1
    assert loaded.line("rules", 2, "metric", "window") == window_line


def _error(text: str, tmp_path: Path) -> str:
    path = tmp_path / "rules.yaml"
    path.write_text(textwrap.dedent(text))
    with pytest.raises((LoadError, LoadErrors)) as caught:
        load_rules(path)
    return str(caught.value)


def _rule(body: str) -> str:
    head = "rules:\n  - id: r\n    name: R\n    severity: P2\n    runbook: r\n"
    return head + textwrap.indent(textwrap.dedent(body), "    ")


def test_a_bad_selector_is_reported_at_its_line_and_column(tmp_path: Path) -> None:
    message = _error(
        _rule("""\
        metric:
          url: http://x/metrics
          rate: 'errors_total{status="5xx" code="1"}'
          window: 5m
          above: 1
        """),
        tmp_path,
    )
    assert message.startswith(f"{tmp_path / 'rules.yaml'}:8:13: ")
    assert "separate label matchers with commas" in message


def test_an_unknown_key_suggests_the_right_one(tmp_path: Path) -> None:
    message = _error(
        _rule("""\
        metric: {url: http://x/metrics, rate: a_total, window: 5m, abov: 1}
        """),
        tmp_path,
    )
    assert ":6:" in message
    assert "unknown key `abov`; did you mean `above`?" in message


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("metric: {url: u, rate: a_total, above: 1}\n", "needs a window"),
        ("metric: {url: u, rate: a_total, window: 5m}\n", "needs a threshold"),
        (
            "metric: {url: u, rate: a_total, increase: a_total, window: 5m, above: 1}\n",
            "this one gives rate, increase",
        ),
        ("metric: {url: u, value: up, window: 5m, below: 1}\n", "takes no window"),
        ("metric: {url: u, value: up, above: 1, below: 2}\n", "either above or below"),
        (
            "python: not-a-reference\n",
            "does not name a python function; write package.module:function",
        ),
        ("probe: {http: {url: u}, fires_when: {}}\n", "fires_when needs a condition"),
        (
            "python: m:f\nprobe: {http: {url: u}, fires_when: {status: 503}}\n",
            "this one has probe and python",
        ),
        ("for: soon\npython: m:f\n", "is not a duration"),
        (
            "metric: {url: u, quantile: {histogram: h, q: 1.5}, window: 5m, above: 1}\n",
            "less than or equal to 1",
        ),
    ],
)
def test_rule_mistakes_are_explained(body: str, expected: str, tmp_path: Path) -> None:
    message = _error(_rule(body), tmp_path)
    assert expected in message
    assert message.startswith(str(tmp_path / "rules.yaml") + ":")


def test_duplicate_rule_ids_are_refused(tmp_path: Path) -> None:
    rule = "  - {id: same, name: S, severity: P1, runbook: r, python: 'm:f'}\n"
    message = _error("rules:\n" + rule + rule, tmp_path)
    assert "two rules have the id 'same'" in message


def test_a_zero_interval_is_refused(tmp_path: Path) -> None:
    message = _error("interval: 0s\n" + _rule("python: m:f\n"), tmp_path)
    assert message.startswith(f"{tmp_path / 'rules.yaml'}:1:11: ")


def test_selectors_parse_all_four_matchers() -> None:
    selector = parse_selector(
        """ http_requests_total{status=~"5..", route!="/health", job='api', env!~"dev|test",} """
    )
    assert selector == Selector(
        "http_requests_total",
        (
            LabelMatcher("status", "=~", "5.."),
            LabelMatcher("route", "!=", "/health"),
            LabelMatcher("job", "=", "api"),
            LabelMatcher("env", "!~", "dev|test"),
        ),
    )
    assert selector.matches({"status": "503", "route": "/x", "job": "api", "env": "prod"})
    assert not selector.matches({"status": "5030", "route": "/x", "job": "api", "env": "prod"})
    assert not selector.matches({"status": "500", "route": "/health", "job": "api"})
    assert not selector.matches({"status": "500", "route": "/x", "job": "api", "env": "dev"})


@pytest.mark.parametrize(
    "text", ["", "5xx_total", "a{b}", 'a{b="c" d="e"}', 'a{b=~"("}', "a b", 'a{b="c"', "{a='b'}"]
)
def test_malformed_selectors_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match=r"selector|label|regular expression|braces"):
        parse_selector(text)


_names = st.from_regex(r"[a-zA-Z_:][a-zA-Z0-9_:]{0,12}", fullmatch=True)
_labels = st.from_regex(r"[a-zA-Z_][a-zA-Z0-9_]{0,8}", fullmatch=True)
_values = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
_matchers = st.builds(LabelMatcher, _labels, st.sampled_from(["=", "!="]), _values)


@given(st.builds(Selector, _names, st.lists(_matchers, max_size=4).map(tuple)))
def test_a_selector_reads_back_as_it_prints(selector: Selector) -> None:
    assert parse_selector(str(selector)) == selector
