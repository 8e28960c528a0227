"""Shell steps as real processes: exit codes, capture, bounds, env, masking, timeouts, cleanup."""

from __future__ import annotations

import os
import shutil
import tracemalloc
from pathlib import Path

import psutil
import pytest
from drillbook.formats.common import Expect
from drillbook.formats.runbook import Step
from drillbook.steps import shell
from drillbook.steps.executor import StepExecutor
from drillbook.steps.masking import MASK, Masker
from drillbook.steps.outcome import ActionResult, Outcome
from drillbook.steps.shell import run_shell

SECRET = "s3cr3t-Value-0123456789"


def executor(tmp_path: Path, env: dict[str, str] | None = None, **options: object) -> StepExecutor:
    env = {"ADMIN_TOKEN": SECRET, **(env or {})}
    return StepExecutor(env=env, masker=Masker.for_environment(env), cwd=tmp_path, **options)  # type: ignore[arg-type]


def run(
    tmp_path: Path,
    command: str,
    *,
    env: dict[str, str] | None = None,
    expect: dict[str, object] | None = None,
    timeout: float = 30,
    **options: object,
) -> ActionResult:
    step = Step(
        order=1,
        description="test step",
        command=command,
        timeout=timeout,
        expect=None if expect is None else Expect.model_validate(expect),
    )
    return executor(tmp_path, env, **options).run_action(step, label="step 1")


def alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def pids_in(path: Path) -> list[int]:
    return [int(line) for line in path.read_text().split()]


# -- exit codes and capture -----------------------------------------------------------------------


@pytest.mark.parametrize("code", [0, 1, 3, 127])
def test_exit_code_is_recorded_and_judged(tmp_path: Path, code: int) -> None:
    result = run(tmp_path, f"exit {code}")
    assert result.exit_code == code
    assert result.outcome is (Outcome.PASSED if code == 0 else Outcome.FAILED)
    assert result.kind == "command"


def test_expected_exit_code(tmp_path: Path) -> None:
    assert run(tmp_path, "exit 3", expect={"exitCode": 3}).outcome is Outcome.PASSED
    failed = run(tmp_path, "exit 0", expect={"exitCode": 3})
    assert failed.outcome is Outcome.FAILED
    assert failed.message == "exit code: expected 3, got 0"


def test_stdout_and_stderr_are_captured_apart(tmp_path: Path) -> None:
    result = run(tmp_path, "echo out; echo err >&2; echo more out; printf 'é'")
    assert result.stdout == "out\nmore out\né"
    assert result.stderr == "err\n"


def test_both_streams_are_read_together_so_a_full_stderr_pipe_cannot_block(
    tmp_path: Path,
) -> None:
    # 1 MB to stderr first, then stdout: a reader of stdout alone would deadlock here.
    result = run(tmp_path, "head -c 1000000 /dev/zero | tr '\\0' e >&2; echo done", timeout=20)
    assert result.outcome is Outcome.PASSED
    assert result.stdout == "done\n"
    assert result.stderr == "e" * (64 * 1024)


def test_multiline_command_with_comments_runs_as_written(tmp_path: Path) -> None:
    command = "# check the thing\necho first\n\n  # indented comment\necho second # trailing\n"
    result = run(tmp_path, command)
    assert result.stdout == "first\nsecond\n"
    assert result.shown == command


def test_commands_run_in_the_working_directory(tmp_path: Path) -> None:
    assert run(tmp_path, "pwd -P").stdout.strip() == str(tmp_path.resolve())


def test_stdin_is_empty_so_a_prompt_cannot_hang(tmp_path: Path) -> None:
    result = run(tmp_path, "cat; echo after", timeout=10)
    assert result.outcome is Outcome.PASSED
    assert result.stdout == "after\n"


def test_bash_is_the_shell_where_it_exists(tmp_path: Path) -> None:
    result = run(tmp_path, 'echo "${BASH_VERSION:-no bash}"')
    assert result.stdout.strip() != "no bash"


# -- output bound ---------------------------------------------------------------------------------


def test_output_keeps_the_last_64_kib(tmp_path: Path) -> None:
    result = run(tmp_path, "seq 1 800000; seq 1 800000 >&2", timeout=60)
    everything = "".join(f"{n}\n" for n in range(1, 800001))
    assert len(everything) > 5_000_000
    assert result.stdout == everything[-64 * 1024 :]
    assert result.stderr == everything[-64 * 1024 :]


def test_output_limit_is_configurable(tmp_path: Path) -> None:
    result = run(tmp_path, "seq 1 10000", output_limit=100)
    assert result.stdout == "".join(f"{n}\n" for n in range(1, 10001))[-100:]


def test_memory_stays_bounded_however_much_is_printed(tmp_path: Path) -> None:
    tracemalloc.start()
    try:
        ran = run_shell(
            "head -c 30000000 /dev/zero", env=dict(os.environ), timeout=60, limit=64 * 1024
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert ran.exit_code == 0
    assert len(ran.stdout) == 64 * 1024
    assert peak < 2_000_000  # 30 MB went through; far less than that was ever held


# -- values reach commands as environment, never as shell text -------------------------------------


def test_vars_reach_the_command_as_environment(tmp_path: Path) -> None:
    result = run(tmp_path, 'echo "$APP_URL"', env={"APP_URL": "http://app:8080"})
    assert result.stdout == "http://app:8080\n"


def test_vars_override_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DRILLBOOK_VAR", "from the environment")
    monkeypatch.setenv("DRILLBOOK_INHERITED", "inherited")
    result = run(
        tmp_path, 'echo "$DRILLBOOK_VAR/$DRILLBOOK_INHERITED"', env={"DRILLBOOK_VAR": "from vars"}
    )
    assert result.stdout == "from vars/inherited\n"


@pytest.mark.parametrize("command", ['echo "$VALUE"', "echo $VALUE", 'eval echo "\\$VALUE"'])
def test_a_value_with_shell_syntax_is_never_executed(tmp_path: Path, command: str) -> None:
    marker = tmp_path / "pwned"
    value = f"x; touch {marker}; $(touch {marker}) `touch {marker}` && rm -rf {marker}.dir"
    result = run(tmp_path, command, env={"VALUE": value})
    assert not marker.exists()
    assert "touch" in result.stdout
    if command == 'echo "$VALUE"':
        assert result.stdout == value + "\n"


# -- masking --------------------------------------------------------------------------------------


def test_secret_values_are_masked_in_output(tmp_path: Path) -> None:
    result = run(tmp_path, 'echo "token=$ADMIN_TOKEN"; echo "$ADMIN_TOKEN" >&2; exit 1')
    assert result.stdout == f"token={MASK}\n"
    assert result.stderr == f"{MASK}\n"
    assert SECRET not in repr(result.to_dict())


def test_secret_values_are_masked_in_the_command_shown(tmp_path: Path) -> None:
    result = run(tmp_path, f"curl -H 'X-Key: {SECRET}' http://127.0.0.1:1/ || true")
    assert SECRET not in result.shown
    assert f"X-Key: {MASK}" in result.shown


def test_a_secret_cut_by_the_output_bound_is_still_masked(tmp_path: Path) -> None:
    # The last 1024 characters begin in the middle of the secret.
    command = 'printf "%0500d" 0; printf "%s" "$ADMIN_TOKEN"; printf "%01014d" 0'
    result = run(tmp_path, command, output_limit=1024)
    assert len(result.stdout) == 1024
    assert SECRET[-10:] not in result.stdout
    assert result.stdout.endswith("0" * 1014)


def test_secrets_in_mismatches_are_masked(tmp_path: Path) -> None:
    result = run(tmp_path, 'echo "$ADMIN_TOKEN"', expect={"stdoutContains": "healthy"})
    assert result.outcome is Outcome.FAILED
    assert SECRET not in repr(result.to_dict())
    assert MASK in result.mismatches[0].actual


# -- timeouts and process groups ------------------------------------------------------------------


def test_timeout_kills_the_whole_process_group(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    command = f"""
    echo $$ > {pids}
    sleep 300 & echo $! >> {pids}
    (sleep 300 & echo $! >> {pids}; wait) & echo $! >> {pids}
    ( (sleep 300 & echo $! >> {pids}) & ) # daemonized: parent gone, still in the group
    nohup sleep 300 >/dev/null 2>&1 & echo $! >> {pids}
    while [ "$(wc -l < {pids})" -lt 6 ]; do sleep 0.01; done
    echo started
    wait
    """
    result = run(tmp_path, command, timeout=1)
    assert result.outcome is Outcome.TIMED_OUT
    assert result.message == "timed out after 1 s"
    assert result.stdout == "started\n"  # the output so far
    started = pids_in(pids)
    assert len(started) == 6
    assert [pid for pid in started if alive(pid)] == []


def test_a_group_that_ignores_sigterm_is_killed(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    command = f"trap '' TERM; sleep 300 & echo $! > {pids}; echo $$ >> {pids}; wait"
    ran = run_shell(
        command, env=dict(os.environ), timeout=0.5, limit=1024, cwd=tmp_path, kill_grace=0.3
    )
    assert ran.timed_out
    assert ran.exit_code == -9
    started = pids_in(pids)
    assert len(started) == 2
    assert [pid for pid in started if alive(pid)] == []


def test_processes_left_in_the_group_after_exit_are_ended(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    result = run(tmp_path, f"sleep 300 & echo $! > {pids}; echo left it running")
    assert result.outcome is Outcome.PASSED
    assert result.stdout == "left it running\n"
    [pid] = pids_in(pids)
    assert not alive(pid)


def test_a_process_that_left_the_group_does_not_hold_the_step(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    # The escapee writes its pid once it has its own session; the step waits for that.
    escape = f"setsid sh -c 'echo $$ > {pids}; exec sleep 30' &"
    result = run(tmp_path, f"{escape} while [ ! -s {pids} ]; do sleep 0.01; done; echo done")
    [pid] = pids_in(pids)
    try:
        # The step returned while the escapee, which still holds stdout, was running.
        assert alive(pid)
        assert result.outcome is Outcome.PASSED
        assert result.stdout == "done\n"
    finally:
        psutil.Process(pid).kill()


def test_fractional_timeouts_are_reported_as_written(tmp_path: Path) -> None:
    result = run(tmp_path, "sleep 5", timeout=0.5)
    assert result.outcome is Outcome.TIMED_OUT
    assert result.message == "timed out after 0.5 s"


# -- commands that cannot start -------------------------------------------------------------------


def test_missing_working_directory_is_an_error(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    result = executor(missing).run_action(Step(order=1, description="d", command="true"), label="x")
    assert result.outcome is Outcome.ERROR
    assert result.message == f"cannot start the command: working directory {missing} does not exist"


def test_missing_shell_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shell, "shell_argv", lambda command: ["/nonexistent/bash", "-c", command])
    result = run(tmp_path, "true")
    assert result.outcome is Outcome.ERROR
    assert result.message == (
        "cannot start the command with /nonexistent/bash: No such file or directory"
    )


def test_sh_is_used_without_bash(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert shell.shell_argv("echo hi") == ["/bin/sh", "-c", "echo hi"]
