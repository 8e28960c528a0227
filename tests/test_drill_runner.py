"""The lifecycle runner: phase order, faults lifted on every path, figures, timeouts."""

from __future__ import annotations

from pathlib import Path

import pytest
from drillbook.drill.clock import VirtualClock
from drillbook.drill.plan import RunbookIndex, plan_drill
from drillbook.drill.result import DrillOutcome
from drillbook.drill.runner import DrillRun, RunOptions
from drillbook.faults.injector import FaultInjector
from drillbook.formats.common import Until
from drillbook.formats.drill import Fault
from drillbook.formats.loader import load_drill
from drillbook.interactive.prompter import ScriptedPrompter
from drillbook.services.environment import RunningEnvironment

RUNBOOK = """\
id: rb
title: RB
severity: P2
vars:
  TRACE: {{description: trace file}}
steps:
  - order: 1
    description: first
    command: echo step1 >> "$TRACE"
  - order: 2
    description: second
    command: echo step2 >> "$TRACE"; exit {step2_exit}
    rollbackProcedure: echo rollback2 >> "$TRACE"
verification:
  - description: verified
    command: echo verify >> "$TRACE"; exit {verify_exit}
"""

DRILL = """\
id: d
title: D
runbook: rb
vars:
  TRACE: {trace}
inject:
  - proxy: pg
    type: latency
    attributes: {{latency: 100}}
verify:
  during_fault: {during}
"""


class RecordingInjector:
    """A FaultInjector double that writes what it does to the same trace file."""

    def __init__(self, trace: Path) -> None:
        self.trace = trace
        self.applied: list[str] = []

    def apply(self, fault: Fault) -> str:
        self.applied.append(f"{fault.kind}")
        with self.trace.open("a") as handle:
            handle.write("inject\n")
        return "latency on pg"

    def active(self) -> list[str]:
        return ["latency on pg"] if self.applied else []

    def lift_all(self) -> list[str]:
        lifted = ["latency on pg"] if self.applied else []
        if self.applied:
            with self.trace.open("a") as handle:
                handle.write("lift\n")
        self.applied.clear()
        return lifted


def run(
    tmp_path: Path, *, step2_exit: int = 0, verify_exit: int = 0, during: bool = True
) -> tuple[DrillRun, Path]:
    (tmp_path / "runbooks").mkdir()
    (tmp_path / "drills").mkdir()
    trace = tmp_path / "trace"
    (tmp_path / "runbooks" / "rb.yaml").write_text(
        RUNBOOK.format(step2_exit=step2_exit, verify_exit=verify_exit)
    )
    (tmp_path / "drills" / "d.yaml").write_text(
        DRILL.format(trace=trace, during=str(during).lower())
    )
    plan = plan_drill(
        load_drill(tmp_path / "drills" / "d.yaml"), RunbookIndex([tmp_path / "runbooks"])
    )

    def factory(env: RunningEnvironment | None) -> FaultInjector:
        return RecordingInjector(trace)

    drill_run = DrillRun(plan, RunOptions(output_dir=tmp_path / "out", injector_factory=factory))
    return drill_run, trace


def test_phases_run_in_order_and_verification_happens_under_the_fault(tmp_path: Path) -> None:
    drill_run, trace = run(tmp_path)
    result = drill_run.execute()
    assert result.outcome is DrillOutcome.PASSED
    assert [p.name for p in result.phases] == [
        "steady_state",
        "inject",
        "detect",
        "respond",
        "verify",
        "recover",
    ]
    assert trace.read_text().split() == ["inject", "step1", "step2", "verify", "lift"]
    assert result.metrics["time_to_mitigate"] is not None
    assert result.metrics["time_to_detect"] is None


def test_verification_after_lifting_when_the_drill_says_so(tmp_path: Path) -> None:
    drill_run, trace = run(tmp_path, during=False)
    assert drill_run.execute().outcome is DrillOutcome.PASSED
    assert trace.read_text().split() == ["inject", "step1", "step2", "lift", "verify"]


def test_a_failed_step_rolls_back_and_the_fault_is_lifted(tmp_path: Path) -> None:
    drill_run, trace = run(tmp_path, step2_exit=3)
    result = drill_run.execute()
    assert result.outcome is DrillOutcome.FAILED
    assert result.failure is not None
    assert result.failure.phase == "respond"
    assert result.failure.faults_active == ["latency on pg"]
    assert result.failure.action is not None and result.failure.action.exit_code == 3
    assert trace.read_text().split() == ["inject", "step1", "step2", "rollback2", "lift"]


def test_a_failed_verification_fails_the_drill_and_still_lifts(tmp_path: Path) -> None:
    drill_run, trace = run(tmp_path, verify_exit=1)
    result = drill_run.execute()
    assert result.outcome is DrillOutcome.FAILED
    assert result.failure is not None and result.failure.phase == "verify"
    assert trace.read_text().split()[-1] == "lift"
    messages = [f"{event.kind}: {event.message}" for event in result.timeline]
    assert messages.index("fault: lifted: latency on pg") > next(
        i for i, m in enumerate(messages) if m.startswith("failure: verify")
    )


def test_missing_variables_are_an_error_naming_them(tmp_path: Path) -> None:
    drill_run, _ = run(tmp_path)
    drill_run.drill.vars.clear()
    result = drill_run.execute()
    assert result.outcome is DrillOutcome.ERROR
    assert result.failure is not None
    assert "TRACE" in result.failure.summary and "--drill-var" in result.failure.summary


def test_a_drill_past_its_timeout_fails_between_phases(tmp_path: Path) -> None:
    drill_run, _ = run(tmp_path)
    clock = VirtualClock()
    drill_run.clock = clock
    drill_run.options.clock = clock
    drill_run.drill.timeout = 10
    original = drill_run.phase

    def slow_phase(name: str, body: object) -> None:
        clock.advance(6)
        original(name, body)  # type: ignore[arg-type]

    drill_run.phase = slow_phase  # type: ignore[method-assign]
    result = drill_run.execute()
    assert result.outcome is DrillOutcome.FAILED
    assert result.failure is not None
    assert "ran past its timeout of 10 s" in result.failure.summary


@pytest.mark.parametrize("during", [True, False])
def test_nothing_stays_injected_on_any_path(tmp_path: Path, during: bool) -> None:
    drill_run, trace = run(tmp_path, step2_exit=1, during=during)
    drill_run.execute()
    assert trace.read_text().count("inject") == trace.read_text().count("lift") == 1


def manual_run(
    tmp_path: Path, answers: list[str], interactive: bool = True
) -> tuple[DrillRun, Path, ScriptedPrompter]:
    drill_run, trace = run(tmp_path)
    drill_run.drill.inject.clear()
    drill_run.drill.respond.mode = "manual"
    prompter = ScriptedPrompter(answers, interactive=interactive, echo=False)
    drill_run.options.prompter = prompter
    return drill_run, trace, prompter


def test_manual_response_asks_the_person_and_runs_nothing(tmp_path: Path) -> None:
    drill_run, trace, prompter = manual_run(tmp_path, ["done", "skip"])
    result = drill_run.execute()
    assert result.outcome is DrillOutcome.PASSED
    respond = next(p for p in result.phases if p.name == "respond")
    assert [(a.label, a.outcome.value) for a in respond.actions] == [
        ("step 1: first", "passed"),
        ("step 2: second", "skipped"),
    ]
    assert all(a.kind == "manual" for a in respond.actions)
    assert any("echo step1" in text for text in prompter.shown)
    assert trace.read_text().split() == ["verify"], "manual steps are not run by drillbook"


def test_aborting_a_manual_response_fails_the_drill_at_that_step(tmp_path: Path) -> None:
    drill_run, _, _ = manual_run(tmp_path, ["abort"])
    result = drill_run.execute()
    assert result.outcome is DrillOutcome.FAILED
    assert result.failure is not None
    assert result.failure.summary == "the responder aborted at step 1: first"


def test_manual_response_without_a_person_is_an_error(tmp_path: Path) -> None:
    drill_run, _, _ = manual_run(tmp_path, [], interactive=False)
    result = drill_run.execute()
    assert result.outcome is DrillOutcome.ERROR
    assert result.failure is not None and "pytest with -s" in result.failure.summary


def test_training_lets_the_trainee_run_or_skip_each_step(tmp_path: Path) -> None:
    drill_run, trace = run(tmp_path)
    drill_run.drill.inject.clear()
    drill_run.options.training = True
    drill_run.options.performer = "Ada (trainee)"
    drill_run.options.prompter = ScriptedPrompter(["run", "skip"], echo=False)
    result = drill_run.execute()
    assert result.outcome is DrillOutcome.PASSED
    assert trace.read_text().split() == ["step1", "verify"], "step 2 was skipped"
    decisions = [e.message for e in result.timeline if e.kind == "training"]
    assert [m.split(" after ")[0] for m in decisions] == [
        "Ada (trainee) chose to run step 1",
        "Ada (trainee) chose to skip step 2",
    ]


def test_training_without_a_terminal_is_an_error(tmp_path: Path) -> None:
    drill_run, _ = run(tmp_path)
    drill_run.options.training = True
    drill_run.options.prompter = None
    result = drill_run.execute()
    assert result.outcome is DrillOutcome.ERROR
    assert result.failure is not None and "--drill-mode training" in result.failure.summary


def test_manual_steps_record_who_did_them(tmp_path: Path) -> None:
    drill_run, _, _ = manual_run(tmp_path, ["done", "done"])
    drill_run.options.performer = "Grace (trainee)"
    result = drill_run.execute()
    respond = next(p for p in result.phases if p.name == "respond")
    assert {a.message for a in respond.actions} == {"done by Grace (trainee)"}


def test_an_until_wait_ends_at_the_drills_timeout(tmp_path: Path) -> None:
    drill_run, _ = run(tmp_path)
    drill_run.drill.inject.clear()
    clock = VirtualClock()
    drill_run.clock = drill_run.options.clock = clock
    drill_run.drill.timeout = 30
    check = drill_run.runbook.verification[0]
    check.command = "exit 1"
    check.until = Until(interval=1, timeout=600)
    result = drill_run.execute()
    assert result.outcome is DrillOutcome.FAILED
    assert clock.monotonic() < 60, "the 10-minute wait stopped at the drill's 30 s timeout"
    assert result.failure is not None and result.failure.action is not None
    assert "still not as expected after" in result.failure.action.message
