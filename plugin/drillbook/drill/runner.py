"""The drill lifecycle: steady state, inject, detect, respond, verify, recover.

Each phase is recorded with its start, end and outcome. Whatever happens, the faults are
lifted and the system under test is stopped in ``finally`` blocks.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import cast

from drillbook.drill.clock import Clock, RealClock
from drillbook.drill.escalation_check import escalation_mismatches, notification_mismatches
from drillbook.drill.incident_tracker import IncidentTracker
from drillbook.drill.manual import describe_step, run_manually
from drillbook.drill.observation import DetectionMissed, Observation
from drillbook.drill.plan import DrillPlan
from drillbook.drill.result import DrillOutcome, DrillResult, Failure, PhaseResult, TimelineEvent
from drillbook.drill.variables import captured_values, resolve_variables
from drillbook.errors import DrillbookError
from drillbook.faults.drill_injector import LedgerInjector
from drillbook.faults.injector import FaultInjector
from drillbook.formats.common import Check, Severity
from drillbook.formats.runbook import Step
from drillbook.incident import Link
from drillbook.interactive.prompter import Prompter
from drillbook.services.environment import RunningEnvironment, start_environment
from drillbook.services.resources import SessionResources
from drillbook.steps.executor import StepExecutor
from drillbook.steps.masking import Masker, is_secret_name
from drillbook.steps.outcome import ActionResult

InjectorFactory = Callable[[RunningEnvironment | None], FaultInjector]


@dataclass
class RunOptions:
    """How to run drills: where output goes, extra values, and what provides faults."""

    output_dir: Path
    dry_run: bool = False
    overrides: Mapping[str, str] = field(default_factory=dict)
    clock: Clock = field(default_factory=RealClock)
    injector_factory: InjectorFactory | None = None
    resources: SessionResources | None = None
    prompter: Prompter | None = None
    training: bool = False
    performer: str = "the responder"  # who carries out the steps, for the record
    on_event: Callable[[TimelineEvent], None] | None = None


def display_path(path: Path) -> str:
    """A path as people want to read it: relative to the working directory when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


INCIDENT_EVENT_KINDS = frozenset({"phase", "step", "rollback", "check", "fault", "capture"})


class PhaseFailed(Exception):
    """The drill failed in a phase: the system did not behave as the runbook says."""

    def __init__(self, summary: str, action: ActionResult | None = None) -> None:
        super().__init__(summary)
        self.summary = summary
        self.action = action


class PhaseError(Exception):
    """The drill could not be carried out (set-up, injection): not the runbook's fault."""


class DrillRun:
    """One run of one drill."""

    def __init__(self, plan: DrillPlan, options: RunOptions) -> None:
        self.plan = plan
        self.options = options
        self.clock = options.clock
        self.drill = plan.drill.model
        self.runbook = plan.runbook.model
        self.phases: list[PhaseResult] = []
        self.timeline: list[TimelineEvent] = []
        self.metrics: dict[str, float | None] = {
            "time_to_detect": None,
            "time_to_acknowledge": None,
            "time_to_mitigate": None,
            "time_to_resolve": None,
        }
        self.environment: RunningEnvironment | None = None
        self.injector: FaultInjector | None = None
        self.failure: Failure | None = None
        self.outcome = DrillOutcome.PASSED
        self.masker = Masker()
        self.variables: dict[str, str] = {}
        self.timings: dict[str, float] = {}
        self.observation: Observation | None = None
        self._live_executors: list[StepExecutor] = []
        self.tracker = IncidentTracker(clock=self.clock, pagerduty=None, on_event=self.event)
        self._injected_at: datetime | None = None
        self._current: PhaseResult | None = None
        self._incident_start: float | None = None
        self._deadline = 0.0

    # -- the lifecycle -------------------------------------------------------------------
    def execute(self) -> DrillResult:
        started = self.clock.now()
        self._deadline = self.clock.monotonic() + self.drill.timeout
        self.event("drill", f"drill {self.drill.id} started (runbook {self.runbook.id})")
        try:
            setup_started = self.clock.monotonic()
            try:
                self._bring_up()
            finally:
                self.timings["setup"] = round(self.clock.monotonic() - setup_started, 6)
            self._start_watching()
            self._run_phases()
        except PhaseFailed as failed:
            self._fail(DrillOutcome.FAILED, failed.summary, failed.action)
        except (PhaseError, DrillbookError) as error:
            self._fail(DrillOutcome.ERROR, str(error), None)
        finally:
            teardown_started = self.clock.monotonic()
            self._stop_watching()
            self._lift_faults()
            self._tear_down()
            self.timings["teardown"] = round(self.clock.monotonic() - teardown_started, 6)
        self.event("drill", f"drill {self.outcome.value}")
        return self._result(started)

    def _run_phases(self) -> None:
        executors = self._executors()
        self._live_executors = list(executors)
        try:
            self.phase(
                "steady_state",
                lambda: self._checks(executors[1], self.drill.steady_state, "steady_state"),
            )
            self.phase("inject", self._inject)
            self.phase("detect", self._detect)
            self.phase("respond", lambda: self._respond(executors[0]))
            if not self.drill.verify.during_fault:
                self._lift_faults()
            self.phase("verify", lambda: self._verify(executors))
            self._lift_faults()
            self.phase("recover", lambda: self._recover(executors[1]))
        finally:
            for executor in executors:
                executor.close()

    # -- set-up and tear-down ------------------------------------------------------------
    def _bring_up(self) -> None:
        exported: dict[str, str] = {}
        secret_names: set[str] = set(self.runbook.secret_names())
        if self.plan.environment is not None and not self.options.dry_run:
            env_model = self.plan.environment.model
            log_dir = self.options.output_dir / "logs" / self.drill.id
            try:
                self.environment = start_environment(
                    env_model,
                    root=self.plan.environment.path.parent,
                    log_dir=log_dir,
                    clock=self.clock,
                    resources=self.options.resources,
                )
            except DrillbookError as exc:
                raise PhaseError(f"the system under test did not come up: {exc}") from None
            exported = self.environment.exports
            secret_names |= self.environment.secret_names()
            self.event(
                "environment",
                f"environment {env_model.id} up: " + ", ".join(self.environment.startup_seconds),
            )
        values = resolve_variables(
            self.runbook,
            exported=exported,
            drill_values=self.drill.vars,
            overrides=self.options.overrides,
        )
        self.variables = values
        self.masker = Masker.for_environment(values, secret_names)

    def _start_watching(self) -> None:
        """Detection and traffic start once the system is up; so does the incident tracker."""
        environment = self.plan.environment
        rules = None
        paging = None
        if environment is not None and not self.options.dry_run:
            if environment.model.detection:
                rules = (environment.path.parent / environment.model.detection).resolve()
            if environment.model.paging is not None:
                paging = environment.model.paging.pagerduty
        if paging is not None and self.environment is not None:
            paging = self.environment.fill_target(paging)
        notifications = None
        if environment is not None and environment.model.notifications and not self.options.dry_run:
            notifications = (environment.path.parent / environment.model.notifications).resolve()
        self.tracker = IncidentTracker(
            clock=self.clock,
            pagerduty=paging,
            on_event=self.event,
            notifications=notifications,
            environ={**os.environ, **self.variables},  # routes may read env:NAME from both
        )
        self.observation = Observation(
            rules_path=rules,
            traffic=None if self.options.dry_run else self.drill.traffic,
            variables=self.variables,
            clock=self.clock,
            masker=self.masker,
        )
        self.observation.start()

    def _stop_watching(self) -> None:
        if self.observation is not None:
            self.observation.stop()
        if self.tracker is not None:
            self.tracker.close()

    def _executors(self) -> tuple[StepExecutor, StepExecutor]:
        """One executor for the runbook's steps and one for the drill's own checks."""
        return self._executor(self.plan.runbook.path), self._executor(self.plan.drill.path)

    def _executor(self, source: Path) -> StepExecutor:
        executor = self._new_executor(source)
        executor.deadline = self._deadline
        return executor

    def _new_executor(self, source: Path) -> StepExecutor:
        return StepExecutor(
            env=self.variables,
            masker=self.masker,
            clock=self.clock,
            cwd=source.parent,
            dry_run=self.options.dry_run,
            file=display_path(source),
            watch=self.options.resources.watch_process if self.options.resources else None,
        )

    def _tear_down(self) -> None:
        """Stop the system under test; a part that will not stop makes the drill an error."""
        if self.environment is None:
            return
        try:
            self.environment.stop()
        except DrillbookError as exc:
            self.event("failure", str(exc))
            if self.outcome is DrillOutcome.PASSED:
                self._fail(DrillOutcome.ERROR, str(exc), None)
            return
        self.event("environment", "system under test stopped")

    def _lift_faults(self) -> None:
        """Lift every fault; a fault that cannot be lifted makes the drill an error."""
        if self.injector is None:
            return
        try:
            lifted = self.injector.lift_all()
        except DrillbookError as exc:
            self.event("failure", f"faults not lifted: {exc}")
            if self.outcome is DrillOutcome.PASSED:
                self._fail(DrillOutcome.ERROR, f"faults could not be lifted: {exc}", None)
            return
        for description in lifted:
            self.event("fault", f"lifted: {description}")

    # -- phases --------------------------------------------------------------------------
    def phase(self, name: str, body: Callable[[], list[ActionResult] | None]) -> None:
        """Run one phase, record it, and let a failure end the drill."""
        self._check_deadline(name)
        started = self.clock.now()
        record = PhaseResult(name, DrillOutcome.PASSED, started, started)
        self.phases.append(record)
        self._current = record
        self.event("phase", f"{name} started")
        try:
            actions = body()
            if actions is None:
                record.outcome = DrillOutcome.SKIPPED
        except PhaseFailed as failed:
            record.outcome = DrillOutcome.FAILED
            record.message = failed.summary
            raise
        except (PhaseError, DrillbookError) as error:
            record.outcome = DrillOutcome.ERROR
            record.message = str(error)
            raise
        finally:
            record.ended_at = self.clock.now()

    def _checks(
        self, executor: StepExecutor, checks: Sequence[Check], where: str
    ) -> list[ActionResult] | None:
        if not checks:
            return None
        results: list[ActionResult] = []
        for index, check in enumerate(checks):
            line = self.plan.drill.line(where, index)
            results.append(self._run_check(executor, check, line))
        return results

    def _run_check(self, executor: StepExecutor, check: Check, line: int) -> ActionResult:
        result = executor.run_action(
            check, label=check.description, role="check", line=line, prose=check.expected
        )
        if result.outcome.ok and check.capture and not self.options.dry_run:
            self._capture(check, result)
        self._record(result)
        self.event("check", f"{result.outcome.value}: {check.description}")
        if not result.outcome.ok:
            raise PhaseFailed(f"check failed: {check.description}", result)
        return result

    def _capture(self, check: Check, result: ActionResult) -> None:
        """Keep values from the check's JSON answer as variables for what runs next; a
        secret-looking name is masked from here on, in this result too."""
        try:
            values = captured_values(check.capture, result.stdout)
        except DrillbookError as exc:
            raise PhaseFailed(f"check {check.description!r}: {exc}", result) from None
        for name, value in values.items():
            self.variables[name] = value
            for executor in self._live_executors:
                executor.env[name] = value
            if is_secret_name(name):
                self.masker.add([value])
        result.stdout = self.masker.mask(result.stdout)
        self.event("capture", "captured " + ", ".join(sorted(values)))

    def _inject(self) -> list[ActionResult] | None:
        faults = self.drill.inject
        if not faults:
            self._incident_start = self.clock.monotonic()
            return None
        if self.options.dry_run:
            for fault in faults:
                self.event("fault", f"would inject: {fault.model_dump(exclude_defaults=True)}")
            return []
        self._check_not_firing()
        self.injector = self._make_injector()
        self._injected_at = self.clock.now()
        for fault in faults:
            described = self.injector.apply(fault)
            self.event("fault", f"injected: {described}")
        self._incident_start = self.clock.monotonic()
        return []

    def _check_not_firing(self) -> None:
        expectation = self.drill.expect.detection
        if expectation is None or self.observation is None:
            return
        fired = self.observation.already_firing(expectation.rule)
        if fired is not None:
            raise PhaseFailed(
                f"rule {expectation.rule} was already firing before anything was injected: "
                "the steady state is not steady"
            )

    def _make_injector(self) -> FaultInjector:
        if self.options.injector_factory is not None:
            return self.options.injector_factory(self.environment)
        if self.options.resources is None or self.environment is None:
            raise PhaseError(
                "this drill injects faults, but it has no `environment:` whose proxies or "
                "stand-ins the faults could go on"
            )
        return LedgerInjector(
            self.options.resources.ledger,
            toxiproxy_url=self.environment.toxiproxy_url,
            proxies=self.environment.proxies,
            http_targets=self.environment.http_targets,
        )

    def _detect(self) -> list[ActionResult] | None:
        expectation = self.drill.expect.detection
        if expectation is None:
            if self.drill.inject:
                self._open_incident(self.drill.title, self.runbook.severity, "the drill")
            return None
        assert self.observation is not None and self._incident_start is not None
        try:
            detection = self.observation.wait_for(
                expectation.rule, expectation.within, self._incident_start
            )
        except DetectionMissed as missed:
            raise PhaseFailed(str(missed)) from None
        self.metrics["time_to_detect"] = round(detection.seconds_after_start, 6)
        self.event(
            "detection",
            f"rule {expectation.rule} fired {detection.seconds_after_start:.2f} s after the fault",
        )
        plan = detection.plan
        self._open_incident(plan.name, cast(Severity, plan.severity), f"rule {plan.rule_id}")
        self._check_paging()
        self._escalate()
        return []

    def _open_incident(self, title: str, severity: Severity, detected_by: str) -> None:
        services = [
            part["name"] for part in (self.environment.describe() if self.environment else [])
        ]
        self.tracker.open(
            title,
            severity,
            runbook=self.runbook.id,
            services=services,
            source=f"drillbook drill {self.drill.id} ({detected_by})",
            rule=detected_by,
            runbook_title=self.runbook.title,
            links=[
                Link(href=self.plan.runbook.path.resolve().as_uri(), text="runbook"),
                Link(
                    href=(self.options.output_dir / "drill-report.html").resolve().as_uri(),
                    text="drill report",
                ),
            ],
        )

    def _recover(self, executor: StepExecutor) -> list[ActionResult] | None:
        """Checks once the faults are lifted; then the incident is resolved and what was
        announced about it is compared with what the drill expects."""
        results = self._checks(executor, self.drill.recover, "recover")
        self.metrics["time_to_resolve"] = self._since_incident()
        self.tracker.resolve()
        problems = notification_mismatches(
            self.tracker.notifications, self.drill.expect.notifications
        )
        if problems:
            raise PhaseFailed("notifications: " + "; ".join(problems))
        return results

    def _escalate(self) -> None:
        environment = self.plan.environment
        if environment is None or environment.model.oncall is None:
            if self.drill.expect.escalation or self.drill.responders:
                raise PhaseError(
                    "the drill scripts responders or expects an escalation path, but its "
                    "environment names no on-call file (`oncall: {file, service}`)"
                )
            return
        oncall = environment.model.oncall
        record = self.tracker.escalate(
            oncall_file=(environment.path.parent / oncall.file).resolve(),
            service=oncall.service,
            responses=self.drill.responders,
        )
        problems = escalation_mismatches(record, self.drill.expect.escalation)
        if problems:
            raise PhaseFailed("escalation: " + "; ".join(problems))

    def _check_paging(self) -> None:
        for expectation in self.drill.expect.paging:
            if self.tracker.paged_at is None or self.tracker.incident is None:
                raise PhaseFailed(
                    f"the drill expects {expectation.target} to be paged, but the environment "
                    "pages nobody (`paging:` in the environment)"
                )
            delay = (self.tracker.paged_at - self.tracker.incident.detected_at).total_seconds()
            if delay > expectation.within:
                raise PhaseFailed(
                    f"{expectation.target} was paged {delay:.1f} s after detection; "
                    f"expected within {expectation.within:g} s"
                )

    def _respond(self, executor: StepExecutor) -> list[ActionResult] | None:
        respond = self.drill.respond
        if respond.mode == "skip":
            return None
        self.tracker.respond()
        steps = self.runbook.ordered_steps()
        lines = {
            step.order: self.plan.runbook.line("steps", self.runbook.steps.index(step))
            for step in steps
        }
        if respond.mode == "manual":
            return self._respond_manually(steps, lines)
        select = self._step_selector()
        if self.options.training:
            select = self._trainee_decides(select)
        outcome = executor.run_steps(
            steps,
            select=select,
            lines=lines,
            on_result=lambda r: self.event(r.role, f"{r.outcome.value}: {r.label}"),
        )
        for result in [*outcome.results, *outcome.rollbacks]:
            self._record(result)
        if outcome.failed is not None:
            raise PhaseFailed(f"runbook step failed: {outcome.failed.label}", outcome.failed)
        return outcome.results

    def _trainee_decides(self, select: Callable[[Step], bool]) -> Callable[[Step], bool]:
        """Training: the trainee is shown each step and decides to run or skip it; the
        decision and how long it took go on the timeline."""
        prompter = self._person_at_terminal("--drill-mode training")

        def decide(step: Step) -> bool:
            if not select(step) or not step.runnable:
                return select(step)
            prompter.show(describe_step(step, self.masker))
            asked = self.clock.monotonic()
            answer = prompter.choose(f"step {step.order}", ("run", "skip"), on_end="skip")
            took = self.clock.monotonic() - asked
            self.event(
                "training",
                f"{self.options.performer} chose to {answer} step {step.order} after {took:.1f} s",
            )
            return answer == "run"

        return decide

    def _person_at_terminal(self, what: str) -> Prompter:
        prompter = self.options.prompter
        if prompter is None or not prompter.interactive:
            raise PhaseError(
                f"{what} needs a person at a terminal: run pytest with -s from a terminal, "
                "or step through the runbook with `drillbook run`"
            )
        return prompter

    def _respond_manually(self, steps: list[Step], lines: dict[int, int]) -> list[ActionResult]:
        prompter = self._person_at_terminal("respond: manual")
        results, aborted = run_manually(
            steps,
            prompter=prompter,
            clock=self.clock,
            masker=self.masker,
            file=display_path(self.plan.runbook.path),
            lines=lines,
            select=self._step_selector(),
            performer=self.options.performer,
        )
        for result in results:
            self._record(result)
            self.event("step", f"{result.outcome.value}: {result.label} ({result.duration:.1f} s)")
        if aborted is not None:
            raise PhaseFailed(f"the responder aborted at {aborted.label}", aborted)
        return results

    def _step_selector(self) -> Callable[[Step], bool]:
        choice = self.drill.respond.steps
        if choice == "all":
            return lambda step: True
        if choice == "read-only":
            return lambda step: step.read_only
        chosen = set(choice)
        return lambda step: step.order in chosen

    def _verify(self, executors: tuple[StepExecutor, StepExecutor]) -> list[ActionResult] | None:
        results: list[ActionResult] = []
        if self.drill.verify.runbook:
            for index, check in enumerate(self.runbook.verification):
                line = self.plan.runbook.line("verification", index)
                results.append(self._run_check(executors[0], check, line))
        for index, check in enumerate(self.drill.verify.checks):
            line = self.plan.drill.line("verify", "checks", index)
            results.append(self._run_check(executors[1], check, line))
        if not results:
            return None
        self.metrics["time_to_mitigate"] = self._since_incident()
        self.tracker.mitigated()
        return results

    # -- bookkeeping ---------------------------------------------------------------------
    def _record(self, result: ActionResult) -> None:
        if self._current is not None:
            self._current.actions.append(result)

    def event(self, kind: str, message: str) -> None:
        """One line on the drill's timeline, and on the open incident's too when it is about
        the response (phases, steps, checks, faults)."""
        event = TimelineEvent(self.clock.now(), kind, self.masker.mask(message))
        self.timeline.append(event)
        if kind in INCIDENT_EVENT_KINDS:
            self.tracker.note(kind, event.message)
        if self.options.on_event is not None:
            self.options.on_event(event)

    def _since_incident(self) -> float | None:
        if self._incident_start is None:
            return None
        return round(self.clock.monotonic() - self._incident_start, 6)

    def _check_deadline(self, phase: str) -> None:
        if self.clock.monotonic() > self._deadline:
            raise PhaseFailed(
                f"the drill ran past its timeout of {self.drill.timeout:g} s before {phase}"
            )

    def _fail(self, outcome: DrillOutcome, summary: str, action: ActionResult | None) -> None:
        self.outcome = outcome
        phase = self.phases[-1].name if self.phases else "set-up"
        active = self.injector.active() if self.injector is not None else []
        self.failure = Failure(phase, self.masker.mask(summary), action, active)
        self.event("failure", f"{phase}: {summary}")

    def _result(self, started: datetime) -> DrillResult:
        figures = self.tracker.metrics(self._injected_at)
        if figures is not None:
            detected = self.metrics["time_to_detect"]  # when the rule fired, by the detector
            self.metrics.update({k: v for k, v in figures.items() if v is not None})
            # the incident opens once the detector's answer is in; the figure is the firing
            self.metrics["time_to_detect"] = detected
        return DrillResult(
            drill_id=self.drill.id,
            title=self.drill.title,
            runbook_id=self.runbook.id,
            severity=self.runbook.severity,
            drill_file=display_path(self.plan.drill.path),
            runbook_file=display_path(self.plan.runbook.path),
            outcome=self.outcome,
            started_at=started,
            ended_at=self.clock.now(),
            tags=list(self.drill.tags),
            phases=self.phases,
            timeline=self.timeline,
            metrics=self.metrics,
            failure=self.failure,
            services=self.environment.describe() if self.environment else [],
            timings=dict(self.timings),
            incident=self.tracker.record(),
            detection=self.observation.detection_record() if self.observation else None,
            traffic=self.observation.traffic_record() if self.observation else None,
            providers=list(self.options.resources.provider_lines) if self.options.resources else [],
        )
