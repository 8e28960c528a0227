"""Stepping through a runbook with a responder: ask, run, report, roll back, verify, record.

Each decision and result goes into the :class:`Timeline`, which is saved after every change.
Ctrl-C anywhere ends the run as ``interrupted``; the executor's shell runner kills the step's
whole process group when the interrupt reaches it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from drillbook.drill.clock import Clock
from drillbook.formats.common import Action, Check
from drillbook.formats.loader import Loaded
from drillbook.formats.runbook import Runbook, Step
from drillbook.interactive import render
from drillbook.interactive.prompter import Prompter
from drillbook.interactive.timeline import IncidentStatus, RollbackRecord, StepRecord, Timeline
from drillbook.steps import http
from drillbook.steps.envvars import UndefinedVariable, merged_environment
from drillbook.steps.executor import StepExecutor
from drillbook.steps.masking import Masker
from drillbook.steps.outcome import ActionResult, Outcome

STEP_CHOICES = ("run", "skip", "abort")
MANUAL_CHOICES = ("yes", "skip", "abort")
FAILURE_CHOICES = ("rollback", "continue", "abort")
AFTER_ROLLBACK_CHOICES = ("continue", "abort")
YES_NO = ("yes", "no")


@dataclass(frozen=True)
class RunSettings:
    """How the responder asked to run: ``--yes``, ``--dry-run``, ``--from-step``."""

    assume_yes: bool = False
    dry_run: bool = False
    from_step: int | None = None

    @property
    def asks(self) -> bool:
        """Whether the responder is asked before steps (not with --yes, not in a dry run)."""
        return not (self.assume_yes or self.dry_run)


class IncidentRun:
    """One pass through a runbook's steps and verification with a responder."""

    def __init__(
        self,
        loaded: Loaded[Runbook],
        *,
        executor: StepExecutor,
        prompter: Prompter,
        timeline: Timeline,
        masker: Masker,
        clock: Clock,
        settings: RunSettings,
    ) -> None:
        self.loaded = loaded
        self.runbook = loaded.model
        self.executor = executor
        self.prompter = prompter
        self.timeline = timeline
        self.masker = masker
        self.clock = clock
        self.settings = settings
        self.completed: list[Step] = []
        self.aborted = False
        self.stopped = False
        self.failed = False
        self._current: StepRecord | None = None
        self._index = {id(step): index for index, step in enumerate(self.runbook.steps)}

    # -- the whole run ----------------------------------------------------------------------

    def run(self) -> IncidentStatus:
        """Steps, then verification unless stopped; returns the final status."""
        try:
            self._run_steps()
            if not (self.aborted or self.stopped):
                self._run_checks()
            status = self._final_status()
        except KeyboardInterrupt:
            status = self._interrupted()
        self._finish(status)
        return status

    def _final_status(self) -> IncidentStatus:
        if self.settings.dry_run:
            return IncidentStatus.DRY_RUN
        if self.aborted:
            return IncidentStatus.ABORTED
        return IncidentStatus.FAILED if self.failed else IncidentStatus.RESOLVED

    def _interrupted(self) -> IncidentStatus:
        if self._current is not None:
            self._current.interrupted = True
        self.show("\ninterrupted: any running command was stopped; nothing more will run")
        return IncidentStatus.INTERRUPTED

    def _finish(self, status: IncidentStatus) -> None:
        for record in self.timeline.steps:
            if record.decision is None and not record.interrupted:
                record.reason = "not reached"
        self.timeline.status = status
        self.timeline.ended_at = self.clock.now()
        self.timeline.save_or_warn()
        self.show(render.RULE)
        self.show(f"status: {status.value}   {self.timeline.summary()}")
        if self.timeline.path is not None:
            self.show(f"timeline: {self.timeline.path}")

    def show(self, text: str) -> None:
        self.prompter.show(self.masker.mask(text))

    def ask(self, question: str, choices: Sequence[str], *, unattended: str, on_end: str) -> str:
        """The responder's choice; ``unattended`` with --yes or in a dry run."""
        if not self.settings.asks:
            return unattended
        return self.prompter.choose(question, choices, on_end=on_end)

    def save(self) -> None:
        self.timeline.save_or_warn()

    # -- steps ------------------------------------------------------------------------------

    def _run_steps(self) -> None:
        """Every step goes into the timeline at once; those never reached keep no decision."""
        steps = self.runbook.ordered_steps()
        records = [StepRecord(s.order, s.description, self._line("steps", s)) for s in steps]
        self.timeline.steps.extend(records)
        for position, (step, record) in enumerate(zip(steps, records, strict=True), 1):
            first = self.settings.from_step
            if first is not None and step.order < first:
                self._decide(record, "skip", f"before --from-step {first}")
                continue
            where = self._where(record.line)
            self.show(render.step_block(step, position, len(steps), self._shown(step), where))
            self._current = record  # what a Ctrl-C from here on interrupts
            keep_going = self._step(step, record)
            self._current = None
            if not keep_going:
                return

    def _step(self, step: Step, record: StepRecord) -> bool:
        """Ask, run and judge one step; False when the run stops here."""
        if not step.runnable:
            return self._manual_step(step, record)
        decision = self.ask(f"step {step.order}:", STEP_CHOICES, unattended="run", on_end="abort")
        self._decide(record, decision)
        if decision == "abort":
            self._abort()
            return False
        if decision == "skip":
            return True
        return self._judge(step, record, self._execute(step, record))

    def _execute(self, step: Step, record: StepRecord) -> ActionResult:
        if step.runnable and not self.settings.dry_run:
            self.show(f"  running (timeout {step.timeout:g} s) ...")
        return self.executor.run_action(
            step,
            label=f"step {step.order}: {step.description}",
            line=record.line,
            prose=step.expected_outcome,
        )

    def _manual_step(self, step: Step, record: StepRecord) -> bool:
        """A step a person carries out: wait for them and record how long they took."""
        if not self.settings.asks:
            reason = "dry run" if self.settings.dry_run else "--yes does not wait for people"
            self._decide(record, "run", f"manual step not waited for: {reason}")
            return self._judge(step, record, self._execute(step, record))
        started = self.clock.now()
        answer = self.prompter.choose(f"step {step.order} done?", MANUAL_CHOICES, on_end="abort")
        ended = self.clock.now()
        self._decide(record, "run" if answer == "yes" else answer)
        if answer == "abort":
            self._abort()
            return False
        if answer == "skip":
            return True
        result = self._execute(step, record)
        took = (ended - started).total_seconds()
        done = replace(
            result, started_at=started, ended_at=ended, message=f"done by hand in {took:.0f} s"
        )
        return self._judge(step, record, done)

    def _judge(self, step: Step, record: StepRecord, result: ActionResult) -> bool:
        """Record ``result``; on a failure ask what to do. False when the run stops here."""
        record.result = result
        self.show(render.result_block(result))
        self.save()
        done_by_hand = result.outcome is Outcome.MANUAL and self.settings.asks
        if result.outcome is Outcome.PASSED or done_by_hand:
            self.completed.append(step)
        if result.outcome.ok:
            return True
        self.failed = True
        return self._after_failure(step, record)

    def _decide(self, record: StepRecord, decision: str, reason: str = "") -> None:
        record.decision = decision
        record.decided_at = self.clock.now()
        record.reason = reason
        self.save()

    # -- failures, rollbacks, abort -----------------------------------------------------------

    def _after_failure(self, step: Step, record: StepRecord) -> bool:
        """Offer the failed step's rollback; with --yes roll back and stop."""
        has_rollback = step.rollback_action() is not None
        if not self.settings.asks:
            return self._stop_after_failure(step, record, has_rollback)
        if not has_rollback:
            self.show(f"  step {step.order} has no rollback")
        choices = FAILURE_CHOICES if has_rollback else AFTER_ROLLBACK_CHOICES
        answer = self.prompter.choose(f"step {step.order} failed:", choices, on_end="abort")
        record.after_failure = answer
        if answer == "rollback":
            self._roll_back(step, "step failed")
            answer = self.prompter.choose(
                "after the rollback:", AFTER_ROLLBACK_CHOICES, on_end="abort"
            )
            record.after_failure = f"rollback, then {answer}"
        self.save()
        if answer == "abort":
            self._abort()
            return False
        return True

    def _stop_after_failure(self, step: Step, record: StepRecord, has_rollback: bool) -> bool:
        record.after_failure = "rollback" if has_rollback else "stop"
        if has_rollback:
            self._roll_back(step, "step failed")
        self.stopped = True
        self.show("  --yes: stopping after the failure")
        self._roll_back_completed()
        return False

    def _abort(self) -> None:
        self.aborted = True
        self.show("aborted by the responder")
        self._roll_back_completed()

    def _roll_back_completed(self) -> None:
        """Offer (with --yes: do) the rollbacks of completed steps, last first."""
        undo = [step for step in reversed(self.completed) if step.rollback_action() is not None]
        if not undo:
            self.show("no completed step has a rollback")
            return
        orders = ", ".join(str(step.order) for step in undo)
        question = f"roll back the completed steps in reverse order ({orders})?"
        if self.ask(question, YES_NO, unattended="yes", on_end="no") == "no":
            self.show("completed steps left as they are")
            return
        for step in undo:
            self._roll_back(step, "abort" if self.aborted else "stopped after a failure")

    def _roll_back(self, step: Step, reason: str) -> None:
        action = step.rollback_action()
        if action is None:
            return
        self.show(f"ROLLBACK of step {step.order}: {self._shown(action)}")
        line = self._line("steps", step, "rollbackProcedure")
        result = self.executor.run_action(
            action,
            label=f"rollback of step {step.order}: {step.description}",
            role="rollback",
            line=line,
        )
        self.timeline.rollbacks.append(RollbackRecord(step.order, reason, result))
        self.show(render.result_block(result))
        self.save()
        if not result.outcome.ok:
            self.failed = True

    # -- verification -----------------------------------------------------------------------

    def _run_checks(self) -> None:
        checks = self.runbook.verification
        if checks:
            self.show(f"{render.RULE}\nVERIFICATION")
        for index, check in enumerate(checks, 1):
            self.show(render.check_block(check, index, len(checks), self._shown(check)))
            result = self._check(check, index)
            self.timeline.verification.append(result)
            self.show(render.result_block(result))
            self.save()
            if not result.outcome.ok:
                self.failed = True

    def _check(self, check: Check, index: int) -> ActionResult:
        line = self.loaded.line("verification", index - 1)
        result = self.executor.run_action(
            check,
            label=f"check {index}: {check.description}",
            role="check",
            line=line,
            prose=check.expected,
        )
        if check.runnable or not self.settings.asks:
            return result
        answer = self.prompter.choose(f"check {index} holds?", YES_NO, on_end="no")
        if answer == "yes":
            return replace(result, message="confirmed by the responder")
        return replace(
            result, outcome=Outcome.FAILED, message="the responder says it does not hold"
        )

    # -- helpers ----------------------------------------------------------------------------

    def _shown(self, action: Action) -> str:
        """The command as written, or the request with the vars filled in (to be masked)."""
        if action.http is None:
            return action.command or ""
        try:
            return http.prepare(action.http, merged_environment(self.executor.env)).shown
        except UndefinedVariable:
            return f"{action.http.method} {action.http.url}"

    def _line(self, section: str, step: Step, *key: str) -> int:
        return self.loaded.line(section, self._index[id(step)], *key)

    def _where(self, line: int | None) -> str:
        return f"{self.loaded.path}:{line}" if line else str(self.loaded.path)
