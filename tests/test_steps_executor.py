"""The executor's control flow: until loops in virtual time, rollbacks, dry runs, manual steps."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from drillbook.drill.clock import VirtualClock
from drillbook.formats.common import Check, Expect
from drillbook.formats.loader import load_runbook
from drillbook.formats.runbook import Step
from drillbook.steps.executor import StepExecutor
from drillbook.steps.masking import Masker
from drillbook.steps.outcome import ActionResult, Outcome

START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def executor(tmp_path: Path, clock: VirtualClock | None = None, **options: Any) -> StepExecutor:
    env = {"LOG": str(tmp_path / "log")}
    return StepExecutor(
        env=env,
        masker=Masker(),
        clock=clock or VirtualClock(START),
        cwd=tmp_path,
        file="runbooks/db.yaml",
        **options,
    )


def step(order: int, command: str | None = None, **fields: Any) -> Step:
    return Step.model_validate(
        {"order": order, "description": f"step {order}", "command": command, **fields}
    )


def logged(tmp_path: Path) -> list[str]:
    path = tmp_path / "log"
    return path.read_text().splitlines() if path.exists() else []


# Counts its runs in ./count and exits 0 from the given run on.
def passes_from(run: int) -> str:
    return f'n=$(( $(cat count 2>/dev/null || echo 0) + 1 )); echo $n > count; [ "$n" -ge {run} ]'


# -- until ---------------------------------------------------------------------------------------


def test_until_gives_up_after_its_timeout_in_virtual_time(tmp_path: Path) -> None:
    clock = VirtualClock(START)
    action = step(1, passes_from(10_000), until={"interval": "10s", "timeout": "10m"})
    real_start = time.monotonic()
    result = executor(tmp_path, clock).run_action(action, label="wait")
    real_elapsed = time.monotonic() - real_start
    assert result.outcome is Outcome.TIMED_OUT
    assert result.attempts == 61  # at 0 s, 10 s, ... 600 s
    assert (tmp_path / "count").read_text().strip() == "61"
    assert result.message == (
        "still not as expected after 600 s (61 attempts): exit code: expected 0, got 1"
    )
    assert clock.monotonic() == 600
    assert (result.started_at, result.duration) == (START, 600)
    assert real_elapsed < 20  # ten virtual minutes, a moment of real time


def test_until_stops_when_the_expectation_holds(tmp_path: Path) -> None:
    clock = VirtualClock(START)
    action = step(1, passes_from(4), until={"interval": 10, "timeout": 300})
    result = executor(tmp_path, clock).run_action(action, label="wait")
    assert result.outcome is Outcome.PASSED
    assert result.attempts == 4
    assert clock.monotonic() == 30


def test_until_makes_a_last_attempt_at_its_timeout(tmp_path: Path) -> None:
    clock = VirtualClock(START)
    action = step(1, "false", until={"interval": 7, "timeout": 20})
    result = executor(tmp_path, clock).run_action(action, label="wait")
    assert result.attempts == 4  # at 0, 7, 14 and 20 s
    assert clock.monotonic() == 20


def test_until_judges_output_expectations(tmp_path: Path) -> None:
    command = passes_from(1) + '; if [ "$n" -ge 3 ]; then echo healthy; else echo starting; fi'
    action = step(
        1, command, until={"interval": 5, "timeout": 60}, expect={"stdoutContains": "healthy"}
    )
    result = executor(tmp_path).run_action(action, label="wait")
    assert (result.outcome, result.attempts, result.stdout) == (Outcome.PASSED, 3, "healthy\n")


def test_until_with_a_zero_interval_still_moves_time_on(tmp_path: Path) -> None:
    clock = VirtualClock(START)
    action = step(1, "false", until={"interval": 0, "timeout": 1})
    result = executor(tmp_path, clock).run_action(action, label="wait")
    assert result.outcome is Outcome.TIMED_OUT
    assert 2 <= result.attempts <= 12
    assert clock.monotonic() >= 1


def test_until_does_not_retry_an_error(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    ex = StepExecutor(env={}, masker=Masker(), clock=VirtualClock(START), cwd=missing)
    result = ex.run_action(step(1, "true", until={"interval": 1, "timeout": 60}), label="wait")
    assert (result.outcome, result.attempts) == (Outcome.ERROR, 1)


# -- manual and dry run --------------------------------------------------------------------------


def test_dry_run_runs_nothing(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    ex = executor(tmp_path, dry_run=True)
    result = ex.run_action(step(1, f"touch {marker}"), label="step 1")
    assert result.outcome is Outcome.DRY_RUN
    assert result.shown == f"touch {marker}"
    assert not marker.exists()
    outcome = ex.run_steps([step(1, f"touch {marker}"), step(2, "exit 1")])
    assert [r.outcome for r in outcome.results] == [Outcome.DRY_RUN, Outcome.DRY_RUN]
    assert outcome.ok and outcome.rollbacks == []
    assert not marker.exists()


def test_manual_steps_are_not_run(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    ex = executor(tmp_path)
    manual = ex.run_action(
        step(1, f"touch {marker}", manual=True), label="s", prose="Site in read-only mode"
    )
    assert (manual.outcome, manual.kind) == (Outcome.MANUAL, "manual")
    assert manual.message == "manual: carry this out by hand; expected: Site in read-only mode"
    assert not marker.exists()
    prose_only = ex.run_action(step(2), label="s")
    assert (prose_only.outcome, prose_only.kind, prose_only.shown) == (Outcome.MANUAL, "manual", "")


def test_prose_expectation_is_used_when_there_is_no_expect(tmp_path: Path) -> None:
    check = Check(description="db", command="""echo '{"status": "down"}'""")
    result = executor(tmp_path).run_action(
        check, label="c", role="check", prose='status = "healthy"'
    )
    assert result.outcome is Outcome.FAILED
    assert str(result.mismatches[0]) == 'json status: expected "healthy", got "down"'
    assert result.role == "check"


def test_explicit_expect_wins_over_prose(tmp_path: Path) -> None:
    check = Check(description="db", command="echo up", expect=Expect(stdout_contains="up"))
    result = executor(tmp_path).run_action(check, label="c", prose="exit code 3")
    assert result.outcome is Outcome.PASSED


def test_result_records_place_and_clock_time(tmp_path: Path) -> None:
    result = executor(tmp_path).run_action(step(1, "true"), label="step 1", line=42)
    assert (result.file, result.line, result.where) == (
        "runbooks/db.yaml",
        42,
        "runbooks/db.yaml:42",
    )
    assert result.started_at == result.ended_at == START


# -- steps and rollbacks -------------------------------------------------------------------------


def logging_step(order: int, *, fail: bool = False, rollback: bool = True, **fields: Any) -> Step:
    command = f'echo "step {order}" >> "$LOG"' + ("; exit 1" if fail else "")
    undo = f'echo "undo {order}" >> "$LOG"' if rollback else None
    return step(order, command, rollbackProcedure=undo, **fields)


def test_a_failure_rolls_back_the_failed_step_then_the_done_ones_in_reverse(
    tmp_path: Path,
) -> None:
    seen: list[ActionResult] = []
    steps = [
        logging_step(4),
        logging_step(3, fail=True),
        logging_step(1),
        logging_step(2, rollback=False),
        logging_step(5),
    ]
    outcome = executor(tmp_path).run_steps(steps, lines={1: 10, 3: 30}, on_result=seen.append)
    assert logged(tmp_path) == ["step 1", "step 2", "step 3", "undo 3", "undo 1"]
    assert not outcome.ok
    assert outcome.failed is outcome.results[-1]
    assert outcome.failed.label == "step 3: step 3"
    assert [r.outcome for r in outcome.results] == [Outcome.PASSED] * 2 + [Outcome.FAILED]
    assert [(r.label, r.role, r.line) for r in outcome.rollbacks] == [
        ("rollback of step 3: step 3", "rollback", 30),
        ("rollback of step 1: step 1", "rollback", 10),
    ]
    assert seen == outcome.results + outcome.rollbacks


def test_a_failing_rollback_does_not_stop_the_others(tmp_path: Path) -> None:
    broken = step(2, 'echo "step 2" >> "$LOG"', rollbackProcedure="exit 9")
    steps = [logging_step(1), broken, logging_step(3, fail=True)]
    outcome = executor(tmp_path).run_steps(steps)
    assert logged(tmp_path) == ["step 1", "step 2", "step 3", "undo 3", "undo 1"]
    assert [r.outcome for r in outcome.rollbacks] == [
        Outcome.PASSED,
        Outcome.FAILED,
        Outcome.PASSED,
    ]


def test_long_form_rollback_with_its_own_expectation(tmp_path: Path) -> None:
    rollback = {"command": "echo restored", "expect": {"stdoutContains": "restored"}}
    steps = [step(1, "true", rollbackProcedure=rollback), logging_step(2, fail=True)]
    outcome = executor(tmp_path).run_steps(steps)
    assert [(r.outcome, r.stdout) for r in outcome.rollbacks] == [
        (Outcome.PASSED, ""),  # step 2's rollback writes to the log, not to stdout
        (Outcome.PASSED, "restored\n"),
    ]
    assert logged(tmp_path) == ["step 2", "undo 2"]


def test_unselected_steps_are_skipped_and_not_rolled_back(tmp_path: Path) -> None:
    steps = [logging_step(1), logging_step(2, tags=["destructive"]), logging_step(3, fail=True)]
    outcome = executor(tmp_path).run_steps(steps, select=lambda s: "destructive" not in s.tags)
    assert [r.outcome for r in outcome.results] == [Outcome.PASSED, Outcome.SKIPPED, Outcome.FAILED]
    assert outcome.results[1].message == "not selected"
    assert logged(tmp_path) == ["step 1", "step 3", "undo 3", "undo 1"]


def test_all_steps_passing(tmp_path: Path) -> None:
    outcome = executor(tmp_path).run_steps([logging_step(2), logging_step(1)])
    assert outcome.ok and outcome.failed is None and outcome.rollbacks == []
    assert logged(tmp_path) == ["step 1", "step 2"]


def test_a_timed_out_step_is_rolled_back(tmp_path: Path) -> None:
    steps = [logging_step(1), step(2, "sleep 5", timeout=0.3, rollbackProcedure="echo undone")]
    outcome = executor(tmp_path).run_steps(steps)
    assert outcome.failed is not None and outcome.failed.outcome is Outcome.TIMED_OUT
    assert [r.stdout for r in outcome.rollbacks] == ["undone\n", ""]
    assert logged(tmp_path) == ["step 1", "undo 1"]


SEED = Path(__file__).parent / "fixtures" / "seed"


def test_a_seed_runbook_dry_runs_step_by_step_with_its_lines(tmp_path: Path) -> None:
    loaded = load_runbook(SEED / "database-outage.yaml")
    steps = loaded.model.ordered_steps()
    lines = {s.order: loaded.line("steps", index) for index, s in enumerate(loaded.model.steps)}
    outcome = executor(tmp_path, dry_run=True).run_steps(loaded.model.steps, lines=lines)
    assert outcome.ok
    assert [r.shown for r in outcome.results] == [s.command for s in steps]
    assert {r.outcome for r in outcome.results} == {Outcome.DRY_RUN}
    assert [r.line for r in outcome.results] == [lines[s.order] for s in steps]
