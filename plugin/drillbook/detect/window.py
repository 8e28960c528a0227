"""Counter arithmetic over a sliding window, the way Prometheus does it.

A :class:`CounterHistory` keeps the scrapes of one selector (timestamps from the Clock's
monotonic time) and answers how much each series increased over a window, treating a drop as a
counter reset (the counter restarted from 0) like PromQL's ``rate``/``increase``. Unlike
Prometheus it does not extrapolate to the window's edges: drills see few scrapes, and an
honest increase between two real samples is easier to check by hand.

A series that was not in the window's first scrape was born after it, so it counts from 0
(prometheus_client creates a labelled series on first use, typically to count its first
error). :func:`histogram_quantile` is PromQL's ``histogram_quantile`` over bucket increases.
"""

from __future__ import annotations

import itertools
import math
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from drillbook.detect.prometheus import SeriesKey, le_of


@dataclass(frozen=True)
class Observation:
    """The matching series of one scrape, and when it was taken (monotonic seconds)."""

    at: float
    series: Mapping[SeriesKey, float]


@dataclass(frozen=True)
class WindowDelta:
    """How much each series increased between two scrapes ``span`` seconds apart."""

    span: float
    increases: Mapping[SeriesKey, float]

    @property
    def total(self) -> float:
        return math.fsum(self.increases.values())

    @property
    def rate(self) -> float:
        """Per second over the span."""
        return self.total / self.span


def counter_increase(values: Sequence[float]) -> float:
    """The increase of one counter over consecutive samples; a drop is a reset to 0."""
    increase = 0.0
    for previous, current in itertools.pairwise(values):
        increase += current - previous if current >= previous else current
    return increase


class CounterHistory:
    """The recent scrapes of one selector, trimmed to what the window needs."""

    def __init__(self, window: float) -> None:
        if window <= 0:
            raise ValueError("a window is longer than 0 seconds")
        self.window = window
        self._observations: deque[Observation] = deque()

    def __len__(self) -> int:
        return len(self._observations)

    def add(self, at: float, series: Mapping[SeriesKey, float]) -> None:
        """Record a scrape; older scrapes than the window needs are forgotten."""
        if self._observations and at < self._observations[-1].at:
            raise ValueError("scrapes are added in time order")
        self._observations.append(Observation(at, dict(series)))
        cutoff = at - self.window
        while len(self._observations) > 1 and self._observations[1].at <= cutoff:
            self._observations.popleft()

    def delta(self) -> WindowDelta | None:
        """The increase over the window ending at the latest scrape; None before two scrapes.

        The window starts at the latest scrape at least ``window`` old (or the oldest kept,
        while the history is younger than the window)."""
        if len(self._observations) < 2:
            return None
        observations = list(self._observations)
        span = observations[-1].at - observations[0].at
        if span <= 0:
            return None
        keys = {key for observation in observations for key in observation.series}
        return WindowDelta(span, {key: _increase(key, observations) for key in keys})


def _increase(key: SeriesKey, observations: Iterable[Observation]) -> float:
    values: list[float] = []
    for index, observation in enumerate(observations):
        value = observation.series.get(key)
        if value is None and index == 0:
            value = 0.0  # born after the window's first scrape: it started from 0
        if value is not None:
            values.append(value)
    return counter_increase(values)


def bucket_counts(increases: Mapping[SeriesKey, float]) -> list[tuple[float, float]]:
    """Per upper bound, the sum over series of each bucket's increase: ``(le, count)``."""
    totals: dict[float, float] = {}
    for key, count in increases.items():
        bound = le_of(key)
        if bound is not None and not math.isnan(bound):
            totals[bound] = totals.get(bound, 0.0) + count
    return sorted(totals.items())


def histogram_quantile(q: float, buckets: Sequence[tuple[float, float]]) -> float | None:
    """PromQL's ``histogram_quantile``: linear interpolation inside the bucket holding rank.

    ``buckets`` are ``(upper bound, cumulative count)``; None when there is nothing to rank
    (no ``+Inf`` bucket, fewer than two buckets, no observations)."""
    if not 0 <= q <= 1:
        raise ValueError("q is between 0 and 1")
    ordered = sorted(buckets)
    if len(ordered) < 2 or not math.isinf(ordered[-1][0]):
        return None
    bounds = [bound for bound, _ in ordered]
    counts = _monotone([count for _, count in ordered])
    observations = counts[-1]
    if observations <= 0:
        return None
    rank = q * observations
    found = next((i for i in range(len(ordered) - 1) if counts[i] >= rank), len(ordered) - 1)
    if found == len(ordered) - 1:
        return bounds[-2]
    if found == 0 and bounds[0] <= 0:
        return bounds[0]
    start = 0.0 if found == 0 else bounds[found - 1]
    count = counts[found] - (counts[found - 1] if found > 0 else 0.0)
    rank -= counts[found - 1] if found > 0 else 0.0
    if count <= 0:
        return start
    return start + (bounds[found] - start) * (rank / count)


def _monotone(counts: Sequence[float]) -> list[float]:
    """Cumulative counts never fall; scrape races can make them, so take the running max."""
    fixed: list[float] = []
    for count in counts:
        fixed.append(max(count, fixed[-1]) if fixed else count)
    return fixed
