"""Synthetic traffic for drills: requests at a steady rate, so rate rules have something to rate.

A drill's ``traffic:`` block names a rate (requests per second) and a weighted mix of
requests. :class:`TrafficGenerator` sends them open-loop: request *n* is due at
``start + n / rate`` whatever the earlier ones are doing, so a slow system under test gets
more concurrent requests rather than fewer (no coordinated omission). When it cannot keep up
(every worker busy, or the machine too slow) it says so: requests that started late, the
worst lag, and the requests that were due but never sent.

Memory stays bounded: latencies are kept in fixed-size reservoirs (exact percentiles up to
the reservoir's size, a uniform sample beyond), statuses and error kinds as counts.

    traffic:
      rate: 20
      warmup: 5s
      mix:
        - {weight: 3, http: {url: $APP_URL/api/bookings}}
        - {weight: 1, http: {method: POST, url: $APP_URL/api/payments, json: {amount: 10}}}
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Annotated, Any, Self

import httpx
from pydantic import Field

from drillbook.drill.clock import Clock, RealClock
from drillbook.formats.common import Duration, HttpRequest, SnakeModel
from drillbook.steps.http import PreparedRequest, prepare
from drillbook.steps.masking import Masker

MAX_RATE = 5000.0
RESERVOIR_SIZE = 10_000
ENTRY_RESERVOIR_SIZE = 2_000
ERROR_EXAMPLES = 5
SCHEDULER_SLICE = 0.05
"""The longest single sleep of the scheduler, so ``stop()`` is prompt."""
LATE_AFTER = 0.05
"""A request that starts more than this many seconds after it was due counts as late."""


# -- the drill's traffic: block ------------------------------------------------------------


class TrafficEntry(SnakeModel):
    """One kind of request in the mix, sent ``weight`` times as often as a weight of 1."""

    weight: Annotated[float, Field(gt=0)] = 1.0
    name: str | None = None  # how the report names it (default: METHOD url)
    http: HttpRequest


class TrafficSpec(SnakeModel):
    """Synthetic load for the length of a drill."""

    rate: Annotated[float, Field(gt=0, le=MAX_RATE)]  # requests per second, over the whole mix
    mix: Annotated[list[TrafficEntry], Field(min_length=1)]
    warmup: Duration = 0.0  # sent but left out of the report (the system warms up)
    timeout: Annotated[Duration, Field(gt=0)] = 5.0  # per request
    concurrency: Annotated[int, Field(ge=1, le=1024)] = 32  # requests in flight at most


# -- the report ------------------------------------------------------------------------


@dataclass(frozen=True)
class LatencySummary:
    """Percentiles of the answered requests' latencies, in seconds (None: no answers)."""

    p50: float | None
    p95: float | None
    p99: float | None
    max: float | None
    samples: int  # how many latencies the percentiles were computed from

    def to_dict(self) -> dict[str, Any]:
        return {
            "p50": _round(self.p50),
            "p95": _round(self.p95),
            "p99": _round(self.p99),
            "max": _round(self.max),
            "samples": self.samples,
        }


@dataclass(frozen=True)
class EntryReport:
    """The requests of one mix entry."""

    name: str
    weight: float
    requests: int
    errors: int
    statuses: Mapping[str, int]
    latency: LatencySummary

    @property
    def error_ratio(self) -> float | None:
        return self.errors / self.requests if self.requests else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "weight": self.weight,
            "requests": self.requests,
            "errors": self.errors,
            "error_ratio": _round(self.error_ratio),
            "statuses": dict(self.statuses),
            "latency": self.latency.to_dict(),
        }


@dataclass(frozen=True)
class TrafficReport:
    """What the generator sent and what came back, warm-up left out."""

    target_rate: float
    duration: float  # seconds from the end of warm-up to stop
    sent: int  # requests started after warm-up
    requests: int  # of those, finished (answered or failed)
    errors: int  # answered with a status outside 2xx/3xx, or not answered at all
    late: int  # started more than late_after seconds after they were due
    max_lag: float
    missed: int  # due (by more than late_after) before stop, never started: it fell behind
    warmup_requests: int
    latency: LatencySummary
    statuses: Mapping[str, int]  # "200": 95, "503": 5, "timeout": 1, "ConnectError": 2
    error_examples: Sequence[str]
    entries: Sequence[EntryReport]

    @property
    def error_ratio(self) -> float | None:
        return self.errors / self.requests if self.requests else None

    @property
    def achieved_rate(self) -> float | None:
        return self.sent / self.duration if self.duration > 0 else None

    def summary(self) -> str:
        """``1200 requests at 19.9/s (target 20/s), 3 errors (0.25%), p95 41 ms``."""
        rate = f"{self.achieved_rate:.3g}/s" if self.achieved_rate is not None else "-"
        ratio = f" ({self.error_ratio:.2%})" if self.error_ratio is not None else ""
        p95 = f", p95 {self.latency.p95 * 1000:.0f} ms" if self.latency.p95 is not None else ""
        behind = f", {self.late} late, {self.missed} never sent" if self.late or self.missed else ""
        return (
            f"{self.requests} requests at {rate} (target {self.target_rate:g}/s), "
            f"{self.errors} errors{ratio}{p95}{behind}"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "target_rate": self.target_rate,
            "achieved_rate": _round(self.achieved_rate),
            "duration": _round(self.duration),
            "sent": self.sent,
            "requests": self.requests,
            "errors": self.errors,
            "error_ratio": _round(self.error_ratio),
            "late": self.late,
            "max_lag": _round(self.max_lag),
            "missed": self.missed,
            "warmup_requests": self.warmup_requests,
            "latency": self.latency.to_dict(),
            "statuses": dict(self.statuses),
            "error_examples": list(self.error_examples),
            "entries": [entry.to_dict() for entry in self.entries],
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


# -- bounded statistics ----------------------------------------------------------------


class Reservoir:
    """A uniform sample of at most ``size`` values (Algorithm R), seeded: reproducible."""

    def __init__(self, size: int, seed: int = 0) -> None:
        self.size = size
        self.seen = 0
        self.values: list[float] = []
        self._random = random.Random(seed)

    def add(self, value: float) -> None:
        self.seen += 1
        if len(self.values) < self.size:
            self.values.append(value)
            return
        slot = self._random.randrange(self.seen)
        if slot < self.size:
            self.values[slot] = value

    def summary(self) -> LatencySummary:
        ordered = sorted(self.values)
        return LatencySummary(
            p50=percentile(ordered, 0.50),
            p95=percentile(ordered, 0.95),
            p99=percentile(ordered, 0.99),
            max=ordered[-1] if ordered else None,
            samples=len(ordered),
        )


def percentile(ordered: Sequence[float], q: float) -> float | None:
    """The ``q`` quantile of sorted values, interpolated linearly between neighbours."""
    if not ordered:
        return None
    position = q * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass
class _Tally:
    """Counts and latencies of one group of requests (the whole mix, or one entry)."""

    reservoir: Reservoir
    requests: int = 0
    errors: int = 0
    statuses: Counter[str] = field(default_factory=Counter)

    def add(self, outcome: str, failed: bool, latency: float | None) -> None:
        self.requests += 1
        self.errors += failed
        self.statuses[outcome] += 1
        if latency is not None:
            self.reservoir.add(latency)


class SmoothWeights:
    """Smooth weighted round robin: exact proportions, evenly interleaved, no randomness."""

    def __init__(self, weights: Sequence[float]) -> None:
        self.weights = list(weights)
        self.total = sum(self.weights)
        self.current = [0.0] * len(self.weights)

    def next(self) -> int:
        for index, weight in enumerate(self.weights):
            self.current[index] += weight
        chosen = max(range(len(self.current)), key=self.current.__getitem__)
        self.current[chosen] -= self.total
        return chosen


# -- the generator ---------------------------------------------------------------------


class TrafficGenerator:
    """Sends the spec's mix at its rate from ``start()`` to ``stop()``."""

    def __init__(
        self,
        spec: TrafficSpec,
        variables: Mapping[str, str],
        clock: Clock | None = None,
        *,
        client: httpx.Client | None = None,
        masker: Masker | None = None,
        late_after: float = LATE_AFTER,
    ) -> None:
        self.spec = spec
        self.clock = clock or RealClock()
        self.late_after = late_after
        self.masker = masker or Masker.for_environment(variables)
        self.requests: list[PreparedRequest] = [prepare(e.http, variables) for e in spec.mix]
        self.names = [
            entry.name or self.masker.mask(request.shown)
            for entry, request in zip(spec.mix, self.requests, strict=True)
        ]
        self._client = client or httpx.Client(
            limits=httpx.Limits(
                max_connections=spec.concurrency, max_keepalive_connections=spec.concurrency
            )
        )
        self._own_client = client is None
        self._lock = threading.Lock()
        self._total = _Tally(Reservoir(RESERVOIR_SIZE))
        self._entries = [
            _Tally(Reservoir(ENTRY_RESERVOIR_SIZE, i + 1)) for i in range(len(spec.mix))
        ]
        self._examples: list[str] = []
        self._warmup_requests = 0
        self._sent = self._late = 0
        self._max_lag = 0.0
        self._started: float | None = None
        self._stopped: float | None = None
        self._stopping = threading.Event()
        self._slots = threading.BoundedSemaphore(spec.concurrency)
        self._pool: ThreadPoolExecutor | None = None
        self._scheduler: threading.Thread | None = None
        self._report: TrafficReport | None = None

    # -- life ------------------------------------------------------------------------
    def start(self) -> None:
        if self._started is not None:
            raise RuntimeError("a traffic generator starts once")
        self._pool = ThreadPoolExecutor(self.spec.concurrency, thread_name_prefix="drillbook-load")
        self._started = self.clock.monotonic()
        self._scheduler = threading.Thread(
            target=self._schedule, name="drillbook-traffic", daemon=True
        )
        self._scheduler.start()

    def wait_warm(self) -> None:
        """Sleep (on the Clock) until the warm-up is over."""
        if self._started is None:
            raise RuntimeError("start the traffic before waiting for it to warm up")
        remaining = self._started + self.spec.warmup - self.clock.monotonic()
        self.clock.sleep(max(0.0, remaining))

    def stop(self) -> TrafficReport:
        """Stop sending, wait for the requests in flight (each has a timeout), and report."""
        if self._report is not None:
            return self._report
        if self._started is None:
            raise RuntimeError("the traffic was never started")
        with self._lock:
            self._stopped = self.clock.monotonic()
        self._stopping.set()
        if self._scheduler is not None:
            self._scheduler.join()
        if self._pool is not None:
            self._pool.shutdown(wait=True)
        if self._own_client:
            self._client.close()
        self._report = self.report()
        return self._report

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- the report ------------------------------------------------------------------
    def report(self) -> TrafficReport:
        """What has happened so far (the final report once stopped)."""
        with self._lock:
            started = self._started if self._started is not None else self.clock.monotonic()
            ended = self._stopped if self._stopped is not None else self.clock.monotonic()
            measured_from = started + self.spec.warmup
            duration = max(0.0, ended - measured_from)
            overdue = ended - self.late_after - started  # due this long before the end
            due = math.floor(overdue * self.spec.rate) + 1 if overdue >= 0 else 0
            return TrafficReport(
                target_rate=self.spec.rate,
                duration=duration,
                sent=self._sent,
                requests=self._total.requests,
                errors=self._total.errors,
                late=self._late,
                max_lag=self._max_lag,
                missed=max(0, due - self._sent - self._warmup_requests),
                warmup_requests=self._warmup_requests,
                latency=self._total.reservoir.summary(),
                statuses=dict(self._total.statuses),
                error_examples=list(self._examples),
                entries=[self._entry(i, tally) for i, tally in enumerate(self._entries)],
            )

    def _entry(self, index: int, tally: _Tally) -> EntryReport:
        return EntryReport(
            name=self.names[index],
            weight=self.spec.mix[index].weight,
            requests=tally.requests,
            errors=tally.errors,
            statuses=dict(tally.statuses),
            latency=tally.reservoir.summary(),
        )

    # -- inside ----------------------------------------------------------------------
    def _schedule(self) -> None:
        """Start request n at ``start + n / rate``; never wait for answers, only for a slot."""
        assert self._started is not None and self._pool is not None
        picker = SmoothWeights([entry.weight for entry in self.spec.mix])
        number = 0
        while True:
            due = self._started + number / self.spec.rate
            if not self._sleep_until(due) or not self._take_slot():
                return
            lag = max(0.0, self.clock.monotonic() - due)
            warm = due - self._started < self.spec.warmup
            self._count_start(lag, warm)
            self._pool.submit(self._send, picker.next(), warm)
            number += 1

    def _sleep_until(self, due: float) -> bool:
        while not self._stopping.is_set():
            remaining = due - self.clock.monotonic()
            if remaining <= 0:
                return True
            self.clock.sleep(min(remaining, SCHEDULER_SLICE))
        return False

    def _take_slot(self) -> bool:
        """Wait for a free worker (all busy: the system is slow; the lag grows and shows)."""
        while not self._stopping.is_set():
            if self._slots.acquire(timeout=SCHEDULER_SLICE):
                return True
        return False

    def _count_start(self, lag: float, warm: bool) -> None:
        with self._lock:
            if warm:
                self._warmup_requests += 1
                return
            self._sent += 1
            self._max_lag = max(self._max_lag, lag)
            if lag > self.late_after:
                self._late += 1

    def _send(self, index: int, warm: bool) -> None:
        try:
            outcome, failed, latency, problem = self._exchange(self.requests[index])
            if warm:
                return
            with self._lock:
                self._total.add(outcome, failed, latency)
                self._entries[index].add(outcome, failed, latency)
                if problem and len(self._examples) < ERROR_EXAMPLES:
                    self._examples.append(self.masker.mask(f"{self.names[index]}: {problem}"))
        finally:
            self._slots.release()

    def _exchange(self, request: PreparedRequest) -> tuple[str, bool, float | None, str | None]:
        """``(outcome, failed, latency, problem)``: the status, or the kind of failure."""
        began = time.perf_counter()
        try:
            response = self._client.request(
                request.method,
                request.url,
                headers=request.headers,
                json=request.json_body,
                content=request.body,
                timeout=self.spec.timeout,
                follow_redirects=request.follow_redirects,
            )
        except httpx.TimeoutException:
            return "timeout", True, None, f"no answer within {self.spec.timeout:g} s"
        except httpx.HTTPError as error:
            kind = type(error).__name__
            return kind, True, None, f"{kind}: {error}" if str(error) else kind
        latency = time.perf_counter() - began
        status = response.status_code
        failed = not 200 <= status < 400
        return str(status), failed, latency, f"HTTP {status}" if failed else None
