"""``drillbook run`` driven through ``drillbook.cli.main`` with a scripted responder.

The runbooks are small files in tmp_path whose steps are real shell commands appending to
``log.txt`` (commands run in the runbook's directory), so the order in which steps and
rollbacks ran can be read back.
"""

from __future__ import annotations

import io
import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from drillbook.cli import main
from drillbook.interactive import command
from drillbook.interactive.prompter import INTERRUPT, ScriptedPrompter

SECRET = "hunter2-Very-Secret-4711"


def step(
    order: int, name: str, *, fails: bool = False, rollback: bool = True, **extra: Any
) -> dict[str, Any]:
    """A step that appends ``name`` to log.txt (and exits 3 when ``fails``)."""
    data: dict[str, Any] = {
        "order": order,
        "description": f"step {name}",
        "command": f"echo {name} >> log.txt" + ("; exit 3" if fails else ""),
    }
    if rollback:
        data["rollbackProcedure"] = f"echo undo-{name} >> log.txt"
    return {**data, **extra}


def write_runbook(tmp_path: Path, steps: list[dict[str, Any]], **extra: Any) -> Path:
    data: dict[str, Any] = {
        "id": "test-outage",
        "title": "Test outage",
        "severity": "P2",
        "scenario": "the test service is down",
        "escalation": "page the duty manager after 15 minutes",
        "contacts": [{"role": "Database Admin", "name": "Dana", "phone": "+61-555-0100"}],
        "steps": steps,
        **extra,
    }
    path = tmp_path / "runbook.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


THREE_STEPS = [step(1, "one"), step(2, "two"), step(3, "three")]


@pytest.fixture(autouse=True)
def history_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`drillbook run` records its incident in the workspace's history: not the repository's."""
    monkeypatch.setenv("DRILLBOOK_HISTORY", str(tmp_path / "history.sqlite"))


def drive(
    monkeypatch: pytest.MonkeyPatch,
    answers: list[str],
    *argv: str,
    values: dict[str, str] | None = None,
    interactive: bool = True,
) -> tuple[int, ScriptedPrompter]:
    """Run ``drillbook run ARGV`` answering from ``answers``; every answer must be used."""
    prompter = ScriptedPrompter(answers, values=values, interactive=interactive)
    monkeypatch.setattr(command, "make_prompter", lambda: prompter)
    code = main(["run", *argv])
    assert prompter.unused == [], f"answers never asked for: {prompter.unused}"
    return code, prompter


def log(tmp_path: Path) -> list[str]:
    path = tmp_path / "log.txt"
    return path.read_text().split() if path.exists() else []


def timeline(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    return data


# -- the happy path and the responder's choices -----------------------------------------------


def test_yes_runs_every_step_and_the_checks_without_asking(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    checks = [
        {
            "description": "all three ran",
            "command": "grep -c . log.txt",
            "expect": {"stdoutContains": "3"},
        }
    ]
    runbook = write_runbook(tmp_path, THREE_STEPS, verification=checks)
    out = tmp_path / "t.json"
    code, prompter = drive(monkeypatch, [], str(runbook), "--yes", "--timeline", str(out))
    assert code == 0
    assert prompter.questions == []
    assert log(tmp_path) == ["one", "two", "three"]
    data = timeline(out)
    assert data["status"] == "resolved"
    assert [s["decision"] for s in data["steps"]] == ["run", "run", "run"]
    assert [c["outcome"] for c in data["verification"]] == ["passed"]
    shown = capsys.readouterr().out
    for text in (
        "Test outage",
        "P2",
        "the test service is down",
        "Dana",
        "+61-555-0100",
        "page the duty manager",
        "echo two >> log.txt",
        "status: resolved",
    ):
        assert text in shown


def test_skipped_step_does_not_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    runbook = write_runbook(tmp_path, THREE_STEPS)
    out = tmp_path / "t.json"
    code, prompter = drive(monkeypatch, ["r", "s", "run"], str(runbook), "--timeline", str(out))
    assert code == 0
    assert log(tmp_path) == ["one", "three"]
    assert prompter.questions[0] == "step 1: [r]un / [s]kip / [a]bort"
    steps = timeline(out)["steps"]
    assert [s["decision"] for s in steps] == ["run", "skip", "run"]
    assert steps[1]["result"] is None
    assert steps[2]["result"]["outcome"] == "passed"


def test_abort_rolls_back_completed_steps_in_reverse_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runbook = write_runbook(tmp_path, [*THREE_STEPS, step(4, "four")])
    out = tmp_path / "t.json"
    code, prompter = drive(
        monkeypatch, ["r", "s", "r", "a", "y"], str(runbook), "--timeline", str(out)
    )
    assert code == 1
    assert log(tmp_path) == ["one", "three", "undo-three", "undo-one"]
    assert "(3, 1)" in prompter.questions[-1]
    data = timeline(out)
    assert data["status"] == "aborted"
    assert [s["decision"] for s in data["steps"]] == ["run", "skip", "run", "abort"]
    assert [(r["step"], r["reason"]) for r in data["rollbacks"]] == [(3, "abort"), (1, "abort")]
    assert data["verification"] == []


def test_abort_without_rolling_back_leaves_steps_done(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runbook = write_runbook(
        tmp_path,
        THREE_STEPS,
        verification=[{"description": "never reached", "command": "echo check >> log.txt"}],
    )
    code, _ = drive(
        monkeypatch, ["r", "a", "n"], str(runbook), "--timeline", str(tmp_path / "t.json")
    )
    assert code == 1
    assert log(tmp_path) == ["one"]


def test_failed_step_offers_its_rollback_then_continues(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    steps = [step(1, "one"), step(2, "two", fails=True), step(3, "three")]
    runbook = write_runbook(
        tmp_path,
        steps,
        verification=[{"description": "three ran", "command": "grep three log.txt"}],
    )
    out = tmp_path / "t.json"
    code, prompter = drive(
        monkeypatch, ["r", "r", "rollback", "continue", "r"], str(runbook), "--timeline", str(out)
    )
    assert code == 1
    assert log(tmp_path) == ["one", "two", "undo-two", "three"]
    assert "step 2 failed: [r]ollback / [c]ontinue / [a]bort" in prompter.questions
    data = timeline(out)
    assert data["status"] == "failed"
    assert data["steps"][1]["result"]["exit_code"] == 3
    assert data["steps"][1]["after_failure"] == "rollback, then continue"
    assert [(r["step"], r["reason"]) for r in data["rollbacks"]] == [(2, "step failed")]
    assert [c["outcome"] for c in data["verification"]] == ["passed"]
    shown = capsys.readouterr().out
    assert "exit code: expected 0, got 3" in shown
    assert f"{runbook}:" in shown  # where the failed step stands in the file


def test_failed_step_with_yes_rolls_back_and_stops(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    steps = [step(1, "one"), step(2, "two"), step(3, "three", fails=True), step(4, "four")]
    runbook = write_runbook(
        tmp_path,
        steps,
        verification=[{"description": "never reached", "command": "echo check >> log.txt"}],
    )
    out = tmp_path / "t.json"
    code, _ = drive(monkeypatch, [], str(runbook), "--yes", "--timeline", str(out))
    assert code == 1
    assert log(tmp_path) == ["one", "two", "three", "undo-three", "undo-two", "undo-one"]
    data = timeline(out)
    assert data["status"] == "failed"
    assert [s["decision"] for s in data["steps"]] == ["run", "run", "run", None]
    assert data["steps"][3]["reason"] == "not reached"
    assert data["verification"] == []


def test_failed_step_without_rollback_can_abort(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    steps = [step(1, "one"), step(2, "two", fails=True, rollback=False)]
    runbook = write_runbook(tmp_path, steps)
    code, prompter = drive(
        monkeypatch, ["r", "r", "a", "y"], str(runbook), "--timeline", str(tmp_path / "t.json")
    )
    assert code == 1
    assert "step 2 failed: [c]ontinue / [a]bort" in prompter.questions
    assert log(tmp_path) == ["one", "two", "undo-one"]


def test_from_step_records_earlier_steps_as_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runbook = write_runbook(tmp_path, THREE_STEPS)
    out = tmp_path / "t.json"
    code, _ = drive(
        monkeypatch, [], str(runbook), "--yes", "--from-step", "2", "--timeline", str(out)
    )
    assert code == 0
    assert log(tmp_path) == ["two", "three"]
    first = timeline(out)["steps"][0]
    assert (first["decision"], first["reason"]) == ("skip", "before --from-step 2")


def test_from_step_outside_the_runbook_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    runbook = write_runbook(tmp_path, THREE_STEPS)
    code, _ = drive(monkeypatch, [], str(runbook), "--yes", "--from-step", "7")
    assert code == 2
    assert "--from-step 7" in capsys.readouterr().err
    assert log(tmp_path) == []


# -- manual steps and checks --------------------------------------------------------------------


def test_manual_step_waits_for_the_responder_and_records_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    steps = [
        step(1, "one"),
        {"order": 2, "description": "call the provider", "manual": True},
        step(3, "three"),
    ]
    checks = [{"description": "customers say it works"}]
    runbook = write_runbook(tmp_path, steps, verification=checks)
    out = tmp_path / "t.json"
    code, prompter = drive(monkeypatch, ["r", "y", "r", "n"], str(runbook), "--timeline", str(out))
    assert "step 2 done? [y]es / [s]kip / [a]bort" in prompter.questions
    assert code == 1  # the responder said the manual check does not hold
    data = timeline(out)
    manual = data["steps"][1]
    assert (manual["decision"], manual["result"]["kind"]) == ("run", "manual")
    assert manual["result"]["message"].startswith("done by hand in ")
    assert manual["result"]["duration"] >= 0
    assert data["verification"][0]["outcome"] == "failed"
    assert log(tmp_path) == ["one", "three"]


def test_manual_step_with_yes_is_not_waited_for_nor_rolled_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    manual = {
        "order": 1,
        "description": "call the provider",
        "manual": True,
        "rollbackProcedure": "echo undo-manual >> log.txt",
    }
    steps = [manual, step(2, "two"), step(3, "three", fails=True)]
    out = tmp_path / "t.json"
    code, _ = drive(
        monkeypatch, [], str(write_runbook(tmp_path, steps)), "--yes", "--timeline", str(out)
    )
    assert code == 1
    first = timeline(out)["steps"][0]
    assert first["result"]["outcome"] == "manual"
    assert "--yes does not wait" in first["reason"]
    assert log(tmp_path) == ["two", "three", "undo-three", "undo-two"]


# -- vars and secrets ---------------------------------------------------------------------------

SECRET_VARS = {"ADMIN_TOKEN": {"description": "the admin API token", "secret": True}}


def secret_steps() -> list[dict[str, Any]]:
    return [
        step(1, "one", command='echo "token is $ADMIN_TOKEN"; echo one >> log.txt'),
        step(
            2,
            "two",
            command='echo "denied for $ADMIN_TOKEN" >&2; exit 1',
            rollbackProcedure='echo "undo with $ADMIN_TOKEN"',
        ),
        step(3, "three", command='echo "$ADMIN_TOKEN"', expect={"stdoutContains": "nope"}),
    ]


@pytest.mark.parametrize("source", ["--var", "environment", "asked"])
def test_a_secret_never_reaches_stdout_or_the_timeline(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    source: str,
) -> None:
    runbook = write_runbook(
        tmp_path,
        secret_steps(),
        vars=SECRET_VARS,
        verification=[
            {
                "description": "token echoed",
                "command": 'echo "$ADMIN_TOKEN"',
                "expected": "HTTP 200 response",
            }
        ],
    )
    out = tmp_path / "t.json"
    argv = [str(runbook), "--timeline", str(out)]
    monkeypatch.delenv("ADMIN_TOKEN", raising=False)
    if source == "--var":
        argv += ["--var", f"ADMIN_TOKEN={SECRET}"]
    elif source == "environment":
        monkeypatch.setenv("ADMIN_TOKEN", SECRET)
    values = {"ADMIN_TOKEN": SECRET} if source == "asked" else None
    code, prompter = drive(monkeypatch, ["r", "r", "r", "c", "r", "c"], *argv, values=values)
    assert code == 1
    assert ("ADMIN_TOKEN (secret)" in prompter.questions) == (source == "asked")
    captured = capsys.readouterr()
    text = out.read_text()
    assert log(tmp_path) == ["one"]  # the steps did run with the token
    for where in (captured.out, captured.err, text):
        assert SECRET not in where
    assert "token is ********" in captured.out
    assert "denied for ********" in captured.out
    data = timeline(out)
    assert data["vars"]["ADMIN_TOKEN"]["value"] == "********"
    assert data["steps"][0]["result"]["stdout"] == "token is ********\n"


def test_a_secret_looking_environment_variable_is_masked_even_undeclared(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("STRIPE_SECRET_KEY", SECRET)
    runbook = write_runbook(tmp_path, [step(1, "one", command='echo "key=$STRIPE_SECRET_KEY"')])
    out = tmp_path / "t.json"
    code, _ = drive(monkeypatch, [], str(runbook), "--yes", "--timeline", str(out))
    assert code == 0
    assert "key=********" in capsys.readouterr().out
    assert SECRET not in out.read_text()


def test_missing_var_without_a_terminal_is_an_error_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("ADMIN_TOKEN", raising=False)
    monkeypatch.setattr(sys, "stdin", io.StringIO("r\nr\nr\n"))  # piped: not a terminal
    monkeypatch.chdir(tmp_path)
    runbook = write_runbook(tmp_path, secret_steps(), vars=SECRET_VARS)
    assert main(["run", str(runbook)]) == 2
    err = capsys.readouterr().err
    assert "ADMIN_TOKEN" in err
    assert "the admin API token" in err
    assert "Traceback" not in err
    assert log(tmp_path) == []
    assert not (tmp_path / "reports").exists()


def test_vars_come_from_var_then_environment_then_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    variables = {
        "A": {"default": "a-default"},
        "B": {"default": "b-default"},
        "C": {"default": "c-default"},
    }
    monkeypatch.setenv("B", "b-env")
    monkeypatch.setenv("C", "c-env")
    runbook = write_runbook(
        tmp_path, [step(1, "one", command='echo "$A $B $C" >> log.txt')], vars=variables
    )
    out = tmp_path / "t.json"
    code, _ = drive(
        monkeypatch, [], str(runbook), "--yes", "--var", "C=c-var", "--timeline", str(out)
    )
    assert code == 0
    assert log(tmp_path) == ["a-default", "b-env", "c-var"]
    sources = {name: info["source"] for name, info in timeline(out)["vars"].items()}
    assert sources == {"A": "default", "B": "environment", "C": "--var"}


def test_a_malformed_var_option_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    runbook = write_runbook(tmp_path, THREE_STEPS)
    code, _ = drive(monkeypatch, [], str(runbook), "--yes", "--var", "no-equals-sign")
    assert code == 2
    assert "--var takes NAME=VALUE" in capsys.readouterr().err
    assert log(tmp_path) == []


# -- dry run ------------------------------------------------------------------------------------


def test_dry_run_runs_nothing_and_asks_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ADMIN_TOKEN", raising=False)
    steps = [step(1, "one"), step(2, "two", fails=True)]
    runbook = write_runbook(
        tmp_path,
        steps,
        vars=SECRET_VARS,
        verification=[{"description": "check", "command": "echo check >> log.txt"}],
    )
    code, prompter = drive(monkeypatch, [], str(runbook), "--dry-run")
    assert code == 0
    assert prompter.questions == []
    assert log(tmp_path) == []
    assert not (tmp_path / "reports").exists()  # no incident, no timeline
    shown = capsys.readouterr().out
    assert "echo one >> log.txt" in shown
    assert "ADMIN_TOKEN: NOT SET" in shown
    assert "dry run: 2 steps and 1 checks shown, nothing run" in shown


def test_dry_run_timeline_when_asked_for(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "t.json"
    code, _ = drive(
        monkeypatch,
        [],
        str(write_runbook(tmp_path, THREE_STEPS)),
        "--dry-run",
        "--timeline",
        str(out),
    )
    assert code == 0
    data = timeline(out)
    assert (data["status"], data["dry_run"]) == ("dry_run", True)
    assert {s["result"]["outcome"] for s in data["steps"]} == {"dry_run"}
    assert log(tmp_path) == []


# -- the timeline -------------------------------------------------------------------------------


def test_timeline_default_path_and_content(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    runbook = write_runbook(tmp_path, [step(1, "one"), step(2, "two", fails=True)])
    code, _ = drive(monkeypatch, ["r", "r", "r", "a", "y"], str(runbook), "--operator", "alice")
    assert code == 1
    files = list((tmp_path / "reports" / "incidents").iterdir())
    assert len(files) == 1
    assert re.fullmatch(r"test-outage-\d{8}T\d{6}Z\.json", files[0].name)
    data = timeline(files[0])
    assert data["runbook"] == {
        "id": "test-outage",
        "title": "Test outage",
        "severity": "P2",
        "file": str(runbook),
    }
    assert data["operator"] == "alice"
    assert data["status"] == "aborted"
    assert data["started_at"] <= data["ended_at"]
    first, second = data["steps"]
    lines = runbook.read_text().splitlines()
    assert lines[first["line"] - 1].strip() == "- order: 1"
    assert first["result"]["outcome"] == "passed"
    assert first["result"]["file"] == str(runbook)
    assert second["result"]["outcome"] == "failed"
    assert second["result"]["exit_code"] == 3
    assert second["after_failure"] == "rollback, then abort"
    assert [(r["step"], r["reason"], r["result"]["outcome"]) for r in data["rollbacks"]] == [
        (2, "step failed", "passed"),
        (1, "abort", "passed"),
    ]
    assert log(tmp_path) == ["one", "two", "undo-two", "undo-one"]


def test_timeline_is_on_disk_while_the_incident_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "t.json"
    snapshot = 'cp "$TIMELINE" snapshot.json'
    runbook = write_runbook(tmp_path, [step(1, "one"), step(2, "snap", command=snapshot)])
    code, _ = drive(
        monkeypatch, [], str(runbook), "--yes", "--timeline", str(out), "--var", f"TIMELINE={out}"
    )
    assert code == 0
    during = timeline(tmp_path / "snapshot.json")
    assert during["status"] == "in_progress"
    assert during["ended_at"] is None
    assert during["steps"][0]["result"]["outcome"] == "passed"
    assert (during["steps"][1]["decision"], during["steps"][1]["result"]) == ("run", None)
    assert timeline(out)["status"] == "resolved"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_ctrl_c_at_a_prompt_ends_the_run_as_interrupted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "t.json"
    code, _ = drive(
        monkeypatch,
        ["r", INTERRUPT],
        str(write_runbook(tmp_path, THREE_STEPS)),
        "--timeline",
        str(out),
    )
    assert code == 130
    assert log(tmp_path) == ["one"]
    data = timeline(out)
    assert data["status"] == "interrupted"
    assert data["ended_at"] is not None
    assert [s["decision"] for s in data["steps"]] == ["run", None, None]
    assert [s["interrupted"] for s in data["steps"]] == [False, True, False]
    assert data["steps"][2]["reason"] == "not reached"


def test_unwritable_timeline_is_a_usage_error_before_anything_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    runbook = write_runbook(tmp_path, THREE_STEPS)
    code, _ = drive(monkeypatch, [], str(runbook), "--yes", "--timeline", str(blocker / "t.json"))
    assert code == 2
    assert "cannot write the timeline" in capsys.readouterr().err
    assert log(tmp_path) == []


# -- finding and loading the runbook ------------------------------------------------------------


def test_bad_runbook_is_reported_with_file_line_and_column(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        "id: bad\ntitle: Bad\nseverity: P9\nsteps:\n  - order: 1\n"
        "    description: x\n    command: echo x\n"
    )
    code, _ = drive(monkeypatch, [], str(path), "--yes")
    assert code == 2
    err = capsys.readouterr().err
    assert f"{path}:3:11:" in err
    assert "severity" in err
    assert "Traceback" not in err


def test_runbook_found_by_id_under_runbooks_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "books"
    folder.mkdir()
    runbook = write_runbook(tmp_path, THREE_STEPS)
    (folder / "renamed.yaml").write_text(runbook.read_text().replace("echo ", "echo id-"))
    (folder / "broken.yaml").write_text("id: [unclosed\n")
    code, _ = drive(
        monkeypatch,
        [],
        "test-outage",
        "--runbooks",
        str(folder),
        "--yes",
        "--timeline",
        str(tmp_path / "t.json"),
    )
    assert code == 0
    assert (folder / "log.txt").read_text().split() == ["id-one", "id-two", "id-three"]


def test_unknown_runbook_id_lists_the_known_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write_runbook(tmp_path, THREE_STEPS)
    code, _ = drive(monkeypatch, [], "no-such-runbook", "--runbooks", str(tmp_path), "--yes")
    assert code == 2
    err = capsys.readouterr().err
    assert "no-such-runbook" in err
    assert "test-outage" in err


def test_seed_runbook_dry_run_shows_contacts(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    seed = Path(__file__).parent / "fixtures" / "seed" / "database-outage.yaml"
    code, _ = drive(monkeypatch, [], str(seed), "--dry-run")
    assert code == 0
    shown = capsys.readouterr().out
    assert "Database Connection Failure" in shown
    assert "Supabase Support" in shown
    assert "support@supabase.io" in shown


# -- the console prompter, fed through a pipe ----------------------------------------------------


def test_console_prompter_reads_answers_from_piped_stdin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("run\nwhat\nS\nr\n"))
    runbook = write_runbook(tmp_path, THREE_STEPS)
    assert main(["run", str(runbook), "--timeline", str(tmp_path / "t.json")]) == 0
    assert log(tmp_path) == ["one", "three"]
    assert "please answer one of r, s, a" in capsys.readouterr().out


def test_console_prompter_treats_end_of_input_as_abort(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("r\n"))
    out = tmp_path / "t.json"
    runbook = write_runbook(tmp_path, THREE_STEPS)
    assert main(["run", str(runbook), "--timeline", str(out)]) == 1
    assert log(tmp_path) == ["one"]  # no one left to say yes to the rollback either
    data = timeline(out)
    assert data["status"] == "aborted"
    assert data["rollbacks"] == []
