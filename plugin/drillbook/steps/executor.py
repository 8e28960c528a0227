"""The step executor: runs runbook steps, checks and rollbacks and records what each did.

Every text in a result (the command or request shown, output, messages, mismatches) passes the
executor's :class:`Masker`. Every wait between retries goes through the :class:`Clock`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from types import TracebackType

import httpx

from drillbook.drill.clock import Clock, RealClock
from drillbook.formats.common import Action, Expect, HttpRequest, Until
from drillbook.formats.prose import effective_expect
from drillbook.formats.runbook import Step
from drillbook.steps import http
from drillbook.steps.envvars import UndefinedVariable, merged_environment
from drillbook.steps.expectations import check, default_mismatches
from drillbook.steps.masking import Masker
from drillbook.steps.outcome import ActionResult, Mismatch, Outcome
from drillbook.steps.shell import CommandNotStarted, ProcessWatch, run_shell

MASK_MARGIN = 8 * 1024
"""Extra bytes kept before the output tail, so a secret cut by the tail is still masked whole."""
MIN_INTERVAL = 0.1
"""The shortest wait between ``until`` attempts (an interval of 0 would never move a clock)."""


@dataclass
class StepsOutcome:
    """The results of running a runbook's steps, and of the rollbacks a failure set off."""

    results: list[ActionResult] = field(default_factory=list)
    rollbacks: list[ActionResult] = field(default_factory=list)
    failed: ActionResult | None = None

    @property
    def ok(self) -> bool:
        return self.failed is None


@dataclass
class _Attempt:
    """One try of an action, before masking."""

    outcome: Outcome
    shown: str
    exit_code: int | None = None
    status_code: int | None = None
    stdout: str = ""
    stderr: str = ""
    mismatches: list[Mismatch] = field(default_factory=list)
    message: str = ""


class StepExecutor:
    """Runs actions (shell commands and HTTP requests) with the runbook's vars as environment."""

    def __init__(
        self,
        *,
        env: Mapping[str, str],
        masker: Masker,
        clock: Clock | None = None,
        cwd: Path | None = None,
        dry_run: bool = False,
        http_client: httpx.Client | None = None,
        output_limit: int = 64 * 1024,
        file: str | None = None,
        watch: ProcessWatch | None = None,
    ) -> None:
        self.env = dict(env)
        self.deadline: float | None = None  # a Clock monotonic time no `until` waits past
        self.masker = masker
        self.clock: Clock = clock or RealClock()
        self.cwd = cwd
        self.dry_run = dry_run
        self.output_limit = output_limit
        self.file = file
        self.watch = watch
        self._client = http_client
        self._owns_client = http_client is None

    def close(self) -> None:
        """Close the HTTP client if this executor created it."""
        if self._client is not None and self._owns_client:
            self._client.close()
            self._client = None

    def __enter__(self) -> StepExecutor:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # -- one action -------------------------------------------------------------------------

    def run_action(
        self,
        action: Action,
        *,
        label: str,
        role: str = "step",
        line: int | None = None,
        prose: str | None = None,
    ) -> ActionResult:
        """Run one step, check or rollback and judge it against its expectation."""
        started = self.clock.now()
        if not action.runnable:
            attempt = _Attempt(Outcome.MANUAL, self._shown(action), message=_manual_message(prose))
            return self._record(attempt, action, label, role, line, started)
        if self.dry_run:
            attempt = _Attempt(Outcome.DRY_RUN, self._shown(action), message="dry run: not run")
            return self._record(attempt, action, label, role, line, started)
        expect = effective_expect(action.expect, prose)
        if action.until is None:
            attempt, attempts = self._attempt(action, expect), 1
        else:
            attempt, attempts = self._until(action, expect, action.until)
        return self._record(attempt, action, label, role, line, started, attempts)

    def _attempt(self, action: Action, expect: Expect | None) -> _Attempt:
        if action.http is not None:
            return self._http(action.http, action.timeout, expect)
        return self._command(action, expect)

    def _command(self, action: Action, expect: Expect | None) -> _Attempt:
        command = action.command or ""
        try:
            run = run_shell(
                command,
                env=merged_environment(self.env),
                timeout=action.timeout,
                limit=self.output_limit + MASK_MARGIN,
                cwd=self.cwd,
                watch=self.watch,
            )
        except CommandNotStarted as error:
            return _Attempt(Outcome.ERROR, command, message=str(error))
        attempt = _Attempt(
            Outcome.PASSED, command, exit_code=run.exit_code, stdout=run.stdout, stderr=run.stderr
        )
        if run.timed_out:
            return replace(attempt, outcome=Outcome.TIMED_OUT, message=_timed_out(action.timeout))
        return _judge(attempt, expect)

    def _http(self, spec: HttpRequest, timeout: float, expect: Expect | None) -> _Attempt:
        shown = f"{spec.method} {spec.url}"
        try:
            request = http.prepare(spec, merged_environment(self.env))
            shown = request.shown
            exchange = http.send(
                self._http_client(),
                request,
                timeout=timeout,
                limit=self.output_limit + MASK_MARGIN,
            )
        except (UndefinedVariable, http.RequestNotSent) as error:
            return _Attempt(Outcome.ERROR, shown, message=str(error))
        attempt = _Attempt(
            Outcome.PASSED, shown, status_code=exchange.status_code, stdout=exchange.body
        )
        if exchange.timed_out:
            return replace(attempt, outcome=Outcome.TIMED_OUT, message=_timed_out(timeout))
        if exchange.failure is not None:
            return replace(attempt, outcome=Outcome.FAILED, message=exchange.failure)
        return _judge(attempt, expect)

    def _http_client(self) -> httpx.Client:
        if self._client is None:
            self._client = httpx.Client()
        return self._client

    def _until(self, action: Action, expect: Expect | None, until: Until) -> tuple[_Attempt, int]:
        """Try again every ``until.interval`` until the expectation holds or time runs out."""
        start = self.clock.monotonic()
        limit = until.timeout
        if self.deadline is not None:  # a drill's own timeout also ends the wait
            limit = max(0.0, min(limit, self.deadline - start))
        attempts = 0
        while True:
            attempts += 1
            attempt = self._attempt(action, expect)
            if attempt.outcome in (Outcome.PASSED, Outcome.ERROR):
                return attempt, attempts
            elapsed = self.clock.monotonic() - start
            if elapsed >= limit:
                return _gave_up(attempt, elapsed, attempts), attempts
            self.clock.sleep(max(MIN_INTERVAL, min(until.interval, limit - elapsed)))

    # -- recording --------------------------------------------------------------------------

    def _shown(self, action: Action) -> str:
        """What would run: the command as written, or the request with what vars are known."""
        if action.http is not None:
            try:
                return http.prepare(action.http, merged_environment(self.env)).shown
            except UndefinedVariable:
                return f"{action.http.method} {action.http.url}"
        return action.command or ""

    def _record(
        self,
        attempt: _Attempt,
        action: Action,
        label: str,
        role: str,
        line: int | None,
        started: datetime,
        attempts: int = 1,
    ) -> ActionResult:
        mask = self.masker.mask
        return ActionResult(
            label=mask(label),
            kind=_kind(action),
            shown=mask(attempt.shown),
            outcome=attempt.outcome,
            started_at=started,
            ended_at=self.clock.now(),
            file=self.file,
            line=line,
            exit_code=attempt.exit_code,
            status_code=attempt.status_code,
            stdout=self._tail(mask(attempt.stdout)),
            stderr=self._tail(mask(attempt.stderr)),
            mismatches=[
                Mismatch(mask(m.what), mask(m.expected), mask(m.actual)) for m in attempt.mismatches
            ],
            attempts=attempts,
            message=mask(attempt.message),
            role=role,
        )

    def _tail(self, text: str) -> str:
        return text[-self.output_limit :] if self.output_limit > 0 else ""

    # -- a runbook's steps ------------------------------------------------------------------

    def run_steps(
        self,
        steps: Sequence[Step],
        *,
        select: Callable[[Step], bool] = lambda step: True,
        lines: Mapping[int, int] | None = None,
        on_result: Callable[[ActionResult], None] | None = None,
    ) -> StepsOutcome:
        """Run ``steps`` in order; on the first failure roll back and stop.

        The failed step's own rollback runs first, then those of the steps that passed, last
        first. Steps not selected are recorded as skipped and never rolled back.
        """
        lines = lines or {}
        outcome = StepsOutcome()

        def emit(result: ActionResult, into: list[ActionResult]) -> None:
            into.append(result)
            if on_result is not None:
                on_result(result)

        passed: list[Step] = []
        for step in sorted(steps, key=lambda step: step.order):
            line = lines.get(step.order)
            if not select(step):
                emit(self._skipped(step, line), outcome.results)
                continue
            result = self.run_action(
                step, label=_step_label(step), line=line, prose=step.expected_outcome
            )
            emit(result, outcome.results)
            if result.outcome is Outcome.PASSED:
                passed.append(step)
            elif not result.outcome.ok:
                outcome.failed = result
                for undone in [step, *reversed(passed)]:
                    rollback = self._roll_back(undone, lines.get(undone.order))
                    if rollback is not None:
                        emit(rollback, outcome.rollbacks)
                break
        return outcome

    def _roll_back(self, step: Step, line: int | None) -> ActionResult | None:
        action = step.rollback_action()
        if action is None:
            return None
        label = f"rollback of step {step.order}: {step.description}"
        return self.run_action(action, label=label, role="rollback", line=line)

    def _skipped(self, step: Step, line: int | None) -> ActionResult:
        now = self.clock.now()
        attempt = _Attempt(Outcome.SKIPPED, self._shown(step), message="not selected")
        return self._record(attempt, step, _step_label(step), "step", line, now)


def _judge(attempt: _Attempt, expect: Expect | None) -> _Attempt:
    """The attempt, passed or failed by its expectation (or the default one)."""
    if expect is None or expect.is_empty():
        mismatches = default_mismatches(
            exit_code=attempt.exit_code, status_code=attempt.status_code
        )
    else:
        mismatches = check(
            expect,
            exit_code=attempt.exit_code,
            status_code=attempt.status_code,
            stdout=attempt.stdout,
            stderr=attempt.stderr,
        )
    if not mismatches:
        return attempt
    message = "; ".join(str(mismatch) for mismatch in mismatches)
    return replace(attempt, outcome=Outcome.FAILED, mismatches=mismatches, message=message)


def _gave_up(attempt: _Attempt, elapsed: float, attempts: int) -> _Attempt:
    last = "; ".join(str(m) for m in attempt.mismatches) or attempt.message
    plural = "attempt" if attempts == 1 else "attempts"
    message = f"still not as expected after {_seconds(elapsed)} s ({attempts} {plural}): {last}"
    return replace(attempt, outcome=Outcome.TIMED_OUT, message=message)


def _timed_out(seconds: float) -> str:
    return f"timed out after {_seconds(seconds)} s"


def _seconds(seconds: float) -> str:
    rounded = round(seconds, 1)
    return str(int(rounded)) if rounded.is_integer() else str(rounded)


def _kind(action: Action) -> str:
    if not action.runnable:
        return "manual"
    return "http" if action.http is not None else "command"


def _manual_message(prose: str | None) -> str:
    message = "manual: carry this out by hand"
    return f"{message}; expected: {prose}" if prose else message


def _step_label(step: Step) -> str:
    return f"step {step.order}: {step.description}"
