"""Metric rules: a number from a Prometheus text endpoint, over a window, against a threshold."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace

import httpx

from drillbook.detect.evaluation import Reading, format_seconds, format_value
from drillbook.detect.prometheus import ExpositionError, Scrape, SeriesKey, parse_exposition
from drillbook.detect.window import CounterHistory, WindowDelta, bucket_counts, histogram_quantile
from drillbook.formats.detection import LabelMatcher, MetricSource, Selector, parse_selector
from drillbook.steps.envvars import expand

SCRAPE_LIMIT = 32 * 1024 * 1024
"""The largest exposition read; a bigger answer is an error, not a memory spike."""


@dataclass(frozen=True)
class Endpoint:
    """Where a metric rule scrapes: rules sharing one endpoint share one scrape per poll."""

    url: str
    headers: tuple[tuple[str, str], ...]
    timeout: float


@dataclass(frozen=True)
class ScrapeResult:
    """A scrape, or why there is none, and when it was taken (monotonic seconds)."""

    at: float
    scrape: Scrape | None
    error: str | None = None


def fetch(client: httpx.Client, endpoint: Endpoint, at: float) -> ScrapeResult:
    """Scrape ``endpoint``; every failure (refused, non-200, not the format) is an error text."""
    try:
        with client.stream(
            "GET",
            endpoint.url,
            headers=dict(endpoint.headers),
            timeout=httpx.Timeout(endpoint.timeout),
        ) as response:
            if response.status_code != 200:
                return ScrapeResult(
                    at, None, f"{endpoint.url} answered HTTP {response.status_code}"
                )
            body = _read_limited(response)
    except httpx.HTTPError as error:
        reason = str(error) or type(error).__name__
        return ScrapeResult(at, None, f"cannot scrape {endpoint.url}: {reason}")
    if body is None:
        return ScrapeResult(at, None, f"{endpoint.url} answered more than {SCRAPE_LIMIT} bytes")
    try:
        return ScrapeResult(at, parse_exposition(body.decode("utf-8", errors="replace")))
    except ExpositionError as error:
        return ScrapeResult(at, None, f"{endpoint.url}: {error}")


def _read_limited(response: httpx.Response) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > SCRAPE_LIMIT:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


class MetricRule:
    """One metric rule: its endpoint, its selectors and their histories over the window."""

    def __init__(
        self, source: MetricSource, variables: Mapping[str, str], window: float | None
    ) -> None:
        self.source = source
        self.window = window
        self.endpoint = Endpoint(
            url=expand(source.url, variables),
            headers=tuple(
                (name, expand(value, variables)) for name, value in source.headers.items()
            ),
            timeout=source.timeout,
        )
        self.selectors = _selectors(source)
        self.histories = {
            role: CounterHistory(window) for role in self.selectors if window is not None
        }

    @property
    def shown(self) -> str:
        """The computation, as PromQL would write it."""
        kind, window = self.source.kind, format_seconds(self.window or 0)
        if kind == "value":
            return f"sum({self.selectors['value']})"
        if kind == "ratio":
            num, den = self.selectors["numerator"], self.selectors["denominator"]
            return f"rate({num}[{window}]) / rate({den}[{window}])"
        if kind == "quantile":
            q = self.source.quantile.q if self.source.quantile else 0
            return f"histogram_quantile({q:g}, {self.selectors['buckets']} [{window}])"
        return f"{kind}({self.selectors[kind]}[{window}])"

    def read(self, result: ScrapeResult) -> Reading:
        """The rule's value from this poll's scrape; the scrape is added to the histories."""
        if result.scrape is None:
            return Reading(None, False, error=result.error or "no scrape")
        found: dict[str, dict[SeriesKey, float]] = {}
        for role, selector in self.selectors.items():
            series = (
                result.scrape.buckets(selector)
                if role == "buckets"
                else result.scrape.series(selector)
            )
            if series is None:
                return Reading(
                    None,
                    False,
                    error=f"{selector.name} is not in the scrape of {self.endpoint.url}",
                )
            found[role] = series
        return self._compute(result.at, found)

    def _compute(self, at: float, found: dict[str, dict[SeriesKey, float]]) -> Reading:
        if self.source.kind == "value":
            series = found["value"]
            if not series:
                return Reading(
                    None, False, detail=f"no value: no series matches {self.selectors['value']}"
                )
            return self._judge(sum(series.values()), "")
        deltas: dict[str, WindowDelta | None] = {}
        for role, series in found.items():
            self.histories[role].add(at, series)
            deltas[role] = self.histories[role].delta()
        return self._windowed(deltas)

    def _windowed(self, deltas: Mapping[str, WindowDelta | None]) -> Reading:
        if any(delta is None for delta in deltas.values()):
            return Reading(None, False, detail="no value yet: a window needs two scrapes")
        kind = self.source.kind
        if kind in ("rate", "increase"):
            delta = deltas[kind]
            assert delta is not None
            value = delta.rate if kind == "rate" else delta.total
            return self._judge(value, f"increase {format_value(delta.total)} over {_span(delta)}")
        if kind == "ratio":
            return self._ratio(deltas["numerator"], deltas["denominator"])
        return self._quantile(deltas["buckets"])

    def _ratio(self, numerator: WindowDelta | None, denominator: WindowDelta | None) -> Reading:
        assert numerator is not None and denominator is not None
        counts = f"{format_value(numerator.total)} / {format_value(denominator.total)}"
        if denominator.total <= 0:
            return Reading(None, False, detail=f"no value: {counts} over {_span(denominator)}")
        return self._judge(
            numerator.total / denominator.total, f"{counts} over {_span(denominator)}"
        )

    def _quantile(self, delta: WindowDelta | None) -> Reading:
        assert delta is not None and self.source.quantile is not None
        value = histogram_quantile(self.source.quantile.q, bucket_counts(delta.increases))
        if value is None:
            return Reading(None, False, detail=f"no value: no observations over {_span(delta)}")
        observed = sum(
            count for bound, count in bucket_counts(delta.increases) if math.isinf(bound)
        )
        return self._judge(value, f"{format_value(observed)} observations over {_span(delta)}")

    def _judge(self, value: float, detail: str) -> Reading:
        return Reading(value, self.source.crosses(value), detail=detail)


def _span(delta: WindowDelta) -> str:
    return format_seconds(round(delta.span, 3))


def _selectors(source: MetricSource) -> dict[str, Selector]:
    """The selectors a metric rule reads, by role: value/rate/increase, numerator and
    denominator, or buckets (the quantile's extra ``labels`` become matchers)."""
    if source.ratio is not None:
        return {
            "numerator": parse_selector(source.ratio.numerator),
            "denominator": parse_selector(source.ratio.denominator),
        }
    if source.quantile is not None:
        selector = parse_selector(source.quantile.histogram)
        extra = tuple(LabelMatcher(k, "=", v) for k, v in sorted(source.quantile.labels.items()))
        return {"buckets": replace(selector, matchers=selector.matchers + extra)}
    kind = source.kind
    text = getattr(source, kind)
    return {kind: parse_selector(text)}
