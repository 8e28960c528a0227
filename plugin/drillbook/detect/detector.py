"""The detector: polls every rule at an interval and tells when each one fired.

Three ways to use it, all timed by the Clock:

- ``evaluate_once()`` polls every rule once;
- ``wait_for(rule_id, timeout)`` polls until that rule fires, or raises DetectionTimeout
  listing every rule's last value;
- ``start()`` / ``fired()`` / ``stop()`` poll in a background thread, so a drill can start
  detection before injecting and read afterwards when each rule fired (``wait_for`` then
  waits on that thread's polls instead of polling itself).

A failed scrape, a refused probe or a raising python rule is an evaluation with an error,
never an exception. Configuration problems (an undefined ``$VAR``, a python rule that cannot
be imported, an unknown profile) raise DrillbookError when the detector is made.
"""

from __future__ import annotations

import difflib
import threading
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Self

import httpx

from drillbook.detect.evaluation import (
    Detection,
    DetectionTimeout,
    Evaluation,
    Reading,
    RulePlan,
)
from drillbook.detect.metric import Endpoint, MetricRule, ScrapeResult, fetch
from drillbook.detect.probe import ProbeRule
from drillbook.detect.python_rule import PythonRule
from drillbook.drill.clock import Clock
from drillbook.errors import DrillbookError
from drillbook.formats.detection import Profile, Rule, RulesFile
from drillbook.steps.masking import Masker

BACKGROUND_SLICE = 0.1
"""The longest single sleep of the background thread, so ``stop()`` is prompt."""


@dataclass
class _RuleState:
    """A rule, how it is read, and since when its condition has held."""

    rule: Rule
    plan: RulePlan
    reader: ProbeRule | MetricRule | PythonRule
    pending_since: float | None = None
    firing: Detection | None = None


class Detector:
    """Polls the rules of one rules file under one profile (``drill`` by default)."""

    def __init__(
        self,
        rules_file: RulesFile,
        *,
        variables: Mapping[str, str],
        clock: Clock,
        profile: str | None = "drill",
        http: httpx.Client | None = None,
        masker: Masker | None = None,
    ) -> None:
        self.rules_file = rules_file
        self.clock = clock
        self.profile = profile
        self.masker = masker or Masker.for_environment(variables)
        chosen = _profile(rules_file, profile)
        self.interval = chosen.interval if chosen and chosen.interval else rules_file.interval
        self._states = [self._state(rule, chosen, variables) for rule in rules_file.rules]
        self._client = http or httpx.Client()
        self._own_client = http is None
        self._lock = threading.Lock()  # guards what waiters read: last values, firings
        self._poll_lock = threading.Lock()  # one poll at a time
        self._last: dict[str, Evaluation] = {}
        self._episodes: list[Detection] = []
        self._polls = 0
        self._since = clock.monotonic()
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    # -- what it runs ------------------------------------------------------------------
    def plan(self) -> list[RulePlan]:
        """Every rule's condition and timings, production and effective, for reports."""
        return [state.plan for state in self._states]

    def rule_ids(self) -> list[str]:
        return [state.rule.id for state in self._states]

    # -- polling -------------------------------------------------------------------------
    def evaluate_once(self) -> list[Evaluation]:
        """Poll every rule once (each metric endpoint is scraped once per poll).

        Polls run one at a time; the shared results are locked only to record each rule's
        evaluation as soon as its answer is in, so a slow source (a probe waiting out a
        dependency's timeout) never holds up a waiter nor delays another rule's firing."""
        with self._poll_lock:
            scrapes: dict[Endpoint, ScrapeResult] = {}
            evaluations: list[Evaluation] = []
            for state in self._states:
                reading = self._mask(self._read(state, scrapes))
                # timed when the answer is in: a rule cannot fire before what it saw happened
                at, now = self.clock.monotonic(), self.clock.now()
                evaluation = self._judge(state, reading, at, now)
                evaluations.append(evaluation)
                with self._lock:
                    self._last[state.rule.id] = evaluation
                    latest = [
                        self._last[s.rule.id] for s in self._states if s.rule.id in self._last
                    ]
                    self._record(state, evaluation, latest)
            with self._lock:
                self._polls += 1
            return evaluations

    def last_evaluations(self) -> list[Evaluation]:
        """Each rule's latest evaluation, in file order (rules not polled yet are left out)."""
        with self._lock:
            return [self._last[s.rule.id] for s in self._states if s.rule.id in self._last]

    @property
    def polls(self) -> int:
        return self._polls

    def wait_for(self, rule_id: str, timeout: float, *, since: float | None = None) -> Detection:
        """Poll until ``rule_id`` fires; ``seconds_after_start`` counts from ``since``
        (a Clock monotonic time, by default now). Raises DetectionTimeout after ``timeout``."""
        self._known(rule_id)
        start = self.clock.monotonic() if since is None else since
        deadline = self.clock.monotonic() + timeout
        polls_before = self._polls
        while True:
            polled = self.clock.monotonic()
            found = self._fired_since(rule_id, start) if self.running else self._poll(rule_id)
            # a firing stamped after the deadline (a poll under way held the wait up) is late
            if found is not None and found.monotonic <= deadline:
                return _relative(found, start)
            remaining = deadline - self.clock.monotonic()
            if remaining <= 0:
                raise DetectionTimeout(
                    rule_id, timeout, self.last_evaluations(), self._polls - polls_before
                )
            period = min(self.interval, BACKGROUND_SLICE) if self.running else self.interval
            pause = period - (self.clock.monotonic() - polled)  # a slow poll eats into the wait
            self.clock.sleep(max(0.0, min(pause, remaining)))

    # -- background mode ---------------------------------------------------------------
    def start(self, *, since: float | None = None) -> None:
        """Poll in a background thread until ``stop()``; detections count from ``since``."""
        if self.running:
            raise DrillbookError("the detector is already polling")
        self._since = self.clock.monotonic() if since is None else since
        self._stopping.clear()
        self._thread = threading.Thread(target=self._loop, name="drillbook-detector", daemon=True)
        self._thread.start()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def stop(self) -> None:
        """Stop the background polls (the poll under way finishes first)."""
        thread, self._thread = self._thread, None
        if thread is None:
            return
        self._stopping.set()
        thread.join(timeout=self._longest_poll() + 5.0)

    def fired(self) -> list[Detection]:
        """Every time a rule started firing, in order (a rule that stops and fires again
        appears again); ``seconds_after_start`` counts from ``start()``'s ``since``."""
        with self._lock:
            return [_relative(detection, self._since) for detection in self._episodes]

    def close(self) -> None:
        """Stop polling and close the HTTP client if the detector made it."""
        self.stop()
        if self._own_client:
            self._client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- inside ----------------------------------------------------------------------------
    def _state(
        self, rule: Rule, profile: Profile | None, variables: Mapping[str, str]
    ) -> _RuleState:
        reader = _reader(rule, profile, variables)
        plan = _plan(rule, profile, reader, self.masker)
        return _RuleState(rule, plan, reader)

    def _read(self, state: _RuleState, scrapes: dict[Endpoint, ScrapeResult]) -> Reading:
        reader = state.reader
        if isinstance(reader, ProbeRule):
            return reader.read(self._client)
        if isinstance(reader, PythonRule):
            return reader.read()
        if reader.endpoint not in scrapes:
            scrapes[reader.endpoint] = fetch(self._client, reader.endpoint, self.clock.monotonic())
        return reader.read(scrapes[reader.endpoint])

    def _mask(self, reading: Reading) -> Reading:
        error = None if reading.error is None else self.masker.mask(reading.error)
        return replace(reading, detail=self.masker.mask(reading.detail), error=error)

    def _judge(self, state: _RuleState, reading: Reading, at: float, now: datetime) -> Evaluation:
        if reading.holds:
            state.pending_since = at if state.pending_since is None else state.pending_since
        else:
            state.pending_since = None
        held = 0.0 if state.pending_since is None else at - state.pending_since
        fired = reading.holds and held >= state.plan.for_
        return Evaluation(
            plan=state.plan,
            at=now,
            monotonic=at,
            value=reading.value,
            holds=reading.holds,
            fired=fired,
            held_for=held,
            detail=reading.detail,
            error=reading.error,
        )

    def _record(self, state: _RuleState, evaluation: Evaluation, poll: list[Evaluation]) -> None:
        if not evaluation.fired:
            state.firing = None
            return
        if state.firing is None:
            state.firing = Detection(
                plan=state.plan,
                fired_at=evaluation.at,
                seconds_after_start=evaluation.monotonic,
                value=evaluation.value,
                evaluations=tuple(poll),
                monotonic=evaluation.monotonic,
            )
            self._episodes.append(state.firing)

    def _poll(self, rule_id: str) -> Detection | None:
        self.evaluate_once()
        with self._lock:
            return self._by_id(rule_id).firing

    def _fired_since(self, rule_id: str, since: float) -> Detection | None:
        """The first firing at or after ``since``, or the firing still going on."""
        with self._lock:
            for detection in self._episodes:
                if detection.rule_id == rule_id and detection.monotonic >= since:
                    return detection
            return self._by_id(rule_id).firing

    def _by_id(self, rule_id: str) -> _RuleState:
        return next(state for state in self._states if state.rule.id == rule_id)

    def _known(self, rule_id: str) -> None:
        ids = self.rule_ids()
        if rule_id in ids:
            return
        close = difflib.get_close_matches(rule_id, ids, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise DrillbookError(
            f"no detection rule {rule_id!r} in the rules file{hint} (rules: {', '.join(ids)})"
        )

    def _loop(self) -> None:
        while not self._stopping.is_set():
            started = self.clock.monotonic()
            self.evaluate_once()
            while not self._stopping.is_set():
                remaining = self.interval - (self.clock.monotonic() - started)
                if remaining <= 0:
                    break
                self.clock.sleep(min(remaining, BACKGROUND_SLICE))

    def _longest_poll(self) -> float:
        total = 0.0
        for state in self._states:
            source = state.rule.probe or state.rule.metric
            total += source.timeout if source is not None else 0.0
        return total


def _profile(rules_file: RulesFile, name: str | None) -> Profile | None:
    """The named profile; ``drill`` may be left out of the file (then only ``drill_window``)."""
    if name is None:
        return None
    if name in rules_file.profiles:
        return rules_file.profiles[name]
    if name == "drill":
        return Profile()
    known = ", ".join(sorted(rules_file.profiles)) or "none"
    raise DrillbookError(f"the rules file has no profile {name!r} (profiles: {known})")


def effective_window(rule: Rule, profile: Profile | None) -> float | None:
    """The window a rule computes over under ``profile`` (None: production)."""
    metric = rule.metric
    if metric is None or metric.window is None:
        return None
    if profile is None:
        return metric.window
    if metric.drill_window is not None:
        return metric.drill_window
    if profile.max_window is not None:
        return min(metric.window, profile.max_window)
    return metric.window


def effective_for(rule: Rule, profile: Profile | None) -> float:
    if profile is None or profile.max_for is None:
        return rule.for_
    return min(rule.for_, profile.max_for)


def _reader(
    rule: Rule, profile: Profile | None, variables: Mapping[str, str]
) -> ProbeRule | MetricRule | PythonRule:
    try:
        if rule.probe is not None:
            return ProbeRule(rule.probe, variables)
        if rule.metric is not None:
            return MetricRule(rule.metric, variables, effective_window(rule, profile))
        assert rule.python is not None
        return PythonRule(rule.python, variables)
    except DrillbookError as error:
        raise DrillbookError(f"detection rule {rule.id}: {error}") from None


def _plan(
    rule: Rule, profile: Profile | None, reader: ProbeRule | MetricRule | PythonRule, mask: Masker
) -> RulePlan:
    if rule.probe is not None:
        threshold = "when fires_when holds"
    elif rule.metric is not None:
        threshold = rule.metric.describe_threshold()
    else:
        assert rule.python is not None
        threshold = rule.python.describe_threshold()
    return RulePlan(
        rule_id=rule.id,
        name=rule.name,
        kind=rule.kind,
        severity=rule.severity,
        runbook=rule.runbook,
        source=mask.mask(reader.shown),
        threshold=threshold,
        window=effective_window(rule, profile),
        production_window=rule.metric.window if rule.metric else None,
        for_=effective_for(rule, profile),
        production_for=rule.for_,
    )


def _relative(detection: Detection, since: float) -> Detection:
    return replace(detection, seconds_after_start=detection.monotonic - since)
