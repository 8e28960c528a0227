"""Per scenario (drill id): the last result, the pass rate over time and the trends of time to
detect and time to mitigate, aggregated in one pass over all drill runs.

Runs are grouped into buckets (a day, a week or a month, by how long the history spans) so a
chart has at most a few dozen points however many thousands of runs there are. The pass rate
counts passed, failed and errored runs; skipped runs are no verdict and are left out. A
bucket's time to detect or mitigate is the median of the runs that measured it.
"""

from __future__ import annotations

import hashlib
import re
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from drillbook.history.records import DrillRun

RECENT_RUNS = 100  # runs listed on a scenario's page
Unit = Literal["day", "week", "month"]
_VERDICTS = frozenset({"passed", "failed", "error"})
_SLUG = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class Bucket:
    """The runs of one scenario in one day, week or month (``start`` is its first day)."""

    start: date
    runs: int
    passed: int
    judged: int  # passed + failed + error
    time_to_detect: float | None  # median of the measured ones, seconds
    time_to_mitigate: float | None

    @property
    def pass_rate(self) -> float | None:
        """Passed runs in percent of the judged ones (None: none judged)."""
        return 100.0 * self.passed / self.judged if self.judged else None


@dataclass(frozen=True)
class Scenario:
    """One drill id across the history."""

    drill_id: str
    title: str
    runbook_id: str | None
    severity: str | None
    page: str  # the file name of its page
    last: DrillRun
    runs: int
    passed: int
    judged: int
    unit: Unit
    buckets: tuple[Bucket, ...]
    recent: tuple[DrillRun, ...]  # latest first, at most RECENT_RUNS

    @property
    def pass_rate(self) -> float | None:
        return 100.0 * self.passed / self.judged if self.judged else None


def summarize(runs: Iterable[DrillRun], *, recent: int = RECENT_RUNS) -> list[Scenario]:
    """One Scenario per drill id, sorted: failing last results first, then by drill id."""
    grouped: dict[str, list[DrillRun]] = {}
    for run in runs:
        grouped.setdefault(run.drill_id, []).append(run)
    scenarios = [_scenario(drill_id, group, recent) for drill_id, group in grouped.items()]
    return sorted(scenarios, key=lambda s: (s.last.outcome == "passed", s.drill_id))


def _scenario(drill_id: str, runs: list[DrillRun], recent: int) -> Scenario:
    runs.sort(key=lambda run: run.started_at)
    last = runs[-1]
    unit = bucket_unit(runs[0].started_at.date(), last.started_at.date())
    judged = [run for run in runs if run.outcome in _VERDICTS]
    return Scenario(
        drill_id=drill_id,
        title=last.title or drill_id,
        runbook_id=last.runbook_id,
        severity=last.severity,
        page=page_name(drill_id),
        last=last,
        runs=len(runs),
        passed=sum(run.outcome == "passed" for run in judged),
        judged=len(judged),
        unit=unit,
        buckets=tuple(buckets(runs, unit)),
        recent=tuple(reversed(runs[-recent:])) if recent > 0 else (),
    )


def bucket_unit(first: date, last: date) -> Unit:
    """Days for up to three months of history, weeks up to three years, months beyond."""
    span = (last - first).days
    if span <= 92:
        return "day"
    return "week" if span <= 3 * 366 else "month"


def bucket_start(day: date, unit: Unit) -> date:
    """The first day of the bucket holding ``day`` (weeks start on Monday)."""
    if unit == "week":
        return day - timedelta(days=day.weekday())
    if unit == "month":
        return day.replace(day=1)
    return day


def buckets(runs: Sequence[DrillRun], unit: Unit) -> list[Bucket]:
    """The runs (any order) grouped into buckets, oldest first."""
    grouped: dict[date, list[DrillRun]] = {}
    for run in runs:
        grouped.setdefault(bucket_start(run.started_at.date(), unit), []).append(run)
    return [_bucket(start, grouped[start]) for start in sorted(grouped)]


def _bucket(start: date, runs: list[DrillRun]) -> Bucket:
    judged = [run for run in runs if run.outcome in _VERDICTS]
    return Bucket(
        start=start,
        runs=len(runs),
        passed=sum(run.outcome == "passed" for run in judged),
        judged=len(judged),
        time_to_detect=_median(run.time_to_detect for run in runs),
        time_to_mitigate=_median(run.time_to_mitigate for run in runs),
    )


def _median(values: Iterable[float | None]) -> float | None:
    measured = [value for value in values if value is not None]
    return statistics.median(measured) if measured else None


def page_name(drill_id: str) -> str:
    """A file name for a scenario's page: readable, and unique even for hostile ids."""
    slug = _SLUG.sub("-", drill_id.lower()).strip("-")[:48] or "scenario"
    digest = hashlib.sha256(drill_id.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return f"scenario-{slug}-{digest}.html"
