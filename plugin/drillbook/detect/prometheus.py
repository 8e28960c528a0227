"""Reading the Prometheus text exposition format into series a selector can pick from.

Parsing is prometheus_client's; this module flattens its metric families into samples keyed by
sample name (``http_requests_total``, ``latency_seconds_bucket``) and remembers which names the
scrape declared, so that a counter with no series yet reads as 0 while a metric missing from
the scrape altogether is reported as missing.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from prometheus_client.parser import text_string_to_metric_families

from drillbook.formats.detection import Selector

SeriesKey = tuple[tuple[str, str], ...]
"""A series' labels, sorted: hashable and stable across scrapes."""

_SUFFIXES = {
    "counter": ("_total", "_created"),
    "histogram": ("_bucket", "_count", "_sum", "_created", "_gcount", "_gsum"),
    "gaugehistogram": ("_bucket", "_gcount", "_gsum"),
    "summary": ("_count", "_sum", "_created"),
    "info": ("_info",),
}

_NO_BARE_SAMPLE = {"counter", "histogram", "gaugehistogram", "info"}
"""Family types whose samples all carry a suffix: the family name alone names no series."""


class ExpositionError(ValueError):
    """Text that is not in the Prometheus exposition format."""


@dataclass
class Scrape:
    """One scrape: every sample by name, and every name the scrape declared."""

    samples: dict[str, list[tuple[dict[str, str], float]]] = field(default_factory=dict)
    declared: set[str] = field(default_factory=set)

    def resolve(self, name: str) -> str | None:
        """The sample name a selector's name stands for: itself, or ``name_total``."""
        for candidate in (name, f"{name}_total"):
            if candidate in self.declared or candidate in self.samples:
                return candidate
        return None

    def series(self, selector: Selector) -> dict[SeriesKey, float] | None:
        """The matching series and their values; None when the metric is not in the scrape.

        A NaN sample counts as absent."""
        name = self.resolve(selector.name)
        if name is None:
            return None
        return {
            series_key(labels): value
            for labels, value in self.samples.get(name, [])
            if not math.isnan(value) and selector.matches(labels)
        }

    def buckets(self, selector: Selector) -> dict[SeriesKey, float] | None:
        """The ``_bucket`` series of a histogram (each key keeps its ``le`` label)."""
        base = selector.name.removesuffix("_bucket")
        name = f"{base}_bucket"
        if name not in self.declared and name not in self.samples:
            return None
        return {
            series_key({**labels, "le": normalise_le(labels["le"])}): value
            for labels, value in self.samples.get(name, [])
            if "le" in labels and not math.isnan(value) and selector.matches(labels)
        }


def parse_exposition(text: str) -> Scrape:
    """Parse exposition text; raises ExpositionError saying what could not be read."""
    scrape = Scrape()
    try:
        for family in text_string_to_metric_families(text):
            if family.type not in _NO_BARE_SAMPLE:
                scrape.declared.add(family.name)
            scrape.declared.update(family.name + s for s in _SUFFIXES.get(family.type, ()))
            for sample in family.samples:
                scrape.samples.setdefault(sample.name, []).append(
                    (dict(sample.labels), float(sample.value))
                )
    except (ValueError, IndexError, KeyError, TypeError) as error:
        raise ExpositionError(f"not in the Prometheus text format: {error}") from None
    return scrape


def series_key(labels: Mapping[str, str]) -> SeriesKey:
    return tuple(sorted(labels.items()))


def normalise_le(text: str) -> str:
    """``1``, ``1.0`` and ``1e0`` name one bucket: write each bound one way."""
    try:
        return repr(float(text))
    except ValueError:
        return text


def le_of(key: SeriesKey) -> float | None:
    """The upper bound of a bucket series, or None when it has no readable ``le``."""
    for label, value in key:
        if label == "le":
            try:
                return float(value)
            except ValueError:
                return None
    return None
