"""``drillbook run`` as a person uses it: a real process on a pseudo-terminal, answering the
prompts by typing, a secret typed at a no-echo prompt, and Ctrl-C in the middle of a step."""

from __future__ import annotations

import io
import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

import pexpect
import psutil
import pytest
import yaml

SECRET = "typed-Secret-0042-xyz"
TIMEOUT = 20


def write_runbook(tmp_path: Path, steps: list[dict[str, Any]]) -> Path:
    data = {
        "id": "pty-outage",
        "title": "Outage on a terminal",
        "severity": "P1",
        "contacts": [{"role": "On-call lead", "name": "Lee", "phone": "+61-555-0199"}],
        "vars": {"ADMIN_TOKEN": {"description": "admin API token", "secret": True}},
        "steps": steps,
        "verification": [{"description": "two ran", "command": "grep -q two log.txt"}],
    }
    path = tmp_path / "runbook.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def spawn(tmp_path: Path, *argv: str) -> tuple[pexpect.spawn, io.StringIO]:
    """``python -m drillbook.cli run ARGV`` on a pseudo-terminal, everything it shows logged."""
    env = {k: v for k, v in os.environ.items() if k != "ADMIN_TOKEN"}
    transcript = io.StringIO()
    child = pexpect.spawn(
        sys.executable,
        ["-m", "drillbook.cli", "run", *argv],
        cwd=str(tmp_path),
        env=env,
        encoding="utf-8",
        timeout=TIMEOUT,
        dimensions=(50, 200),
    )
    child.logfile_read = transcript
    return child, transcript


def finish(child: pexpect.spawn) -> int:
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus is not None, f"ended by signal {child.signalstatus}"
    return int(child.exitstatus)


def test_a_responder_answers_the_prompts_on_a_terminal(tmp_path: Path) -> None:
    steps = [
        {
            "order": 1,
            "description": "say the token",
            "command": 'echo "token is $ADMIN_TOKEN"; echo one >> log.txt',
        },
        {"order": 2, "description": "optional step", "command": "echo skipped >> log.txt"},
        {
            "order": 3,
            "description": "failing step",
            "command": "echo two >> log.txt; exit 4",
            "rollbackProcedure": "echo undo-two >> log.txt",
        },
        {"order": 4, "description": "call the provider", "manual": True},
    ]
    runbook = write_runbook(tmp_path, steps)
    child, transcript = spawn(tmp_path, str(runbook), "--timeline", "t.json", "--operator", "pat")
    child.expect("Outage on a terminal")
    child.expect(r"ADMIN_TOKEN \(admin API token\): ")
    child.sendline(SECRET)
    child.expect(r"step 1: \[r\]un / \[s\]kip / \[a\]bort\? ")
    child.sendline("r")
    child.expect("token is \\*{8}")
    child.expect(r"step 2: \[r\]un / \[s\]kip / \[a\]bort\? ")
    child.sendline("s")
    child.expect(r"step 3: \[r\]un")
    child.sendline("r")
    child.expect("exit code: expected 0, got 4")
    child.expect(r"step 3 failed: \[r\]ollback / \[c\]ontinue / \[a\]bort\? ")
    child.sendline("r")
    child.expect(r"after the rollback: \[c\]ontinue / \[a\]bort\? ")
    child.sendline("c")
    child.expect(r"step 4 done\? \[y\]es / \[s\]kip / \[a\]bort\? ")
    child.sendline("y")
    child.expect("status: failed")
    assert finish(child) == 1
    assert (tmp_path / "log.txt").read_text().split() == ["one", "two", "undo-two"]
    assert SECRET not in transcript.getvalue()  # getpass did not echo it; output is masked
    data = json.loads((tmp_path / "t.json").read_text())
    assert data["operator"] == "pat"
    assert [s["decision"] for s in data["steps"]] == ["run", "skip", "run", "run"]
    assert [c["outcome"] for c in data["verification"]] == ["passed"]
    assert SECRET not in (tmp_path / "t.json").read_text()


def alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def wait_for(path: Path) -> str:
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        if path.exists() and path.read_text().strip():
            return path.read_text().strip()
        time.sleep(0.05)
    raise AssertionError(f"{path} never appeared")


@pytest.mark.parametrize("how", ["ctrl-c", "sigterm", "sighup"])
def test_interrupting_a_step_stops_it_and_leaves_no_process(tmp_path: Path, how: str) -> None:
    steps = [
        {"order": 1, "description": "warm up", "command": "echo one >> log.txt"},
        {
            "order": 2,
            "description": "hangs",
            "command": "sleep 300 & echo $! > child.pid; echo $$ > shell.pid; wait",
            "timeout": "10m",
        },
        {"order": 3, "description": "never", "command": "echo three >> log.txt"},
    ]
    runbook = write_runbook(tmp_path, steps)
    child, _ = spawn(
        tmp_path, str(runbook), "--yes", "--timeline", "t.json", "--var", f"ADMIN_TOKEN={SECRET}"
    )
    child.expect("STEP 2: hangs")
    pids = [int(wait_for(tmp_path / "shell.pid")), int(wait_for(tmp_path / "child.pid"))]
    assert all(alive(pid) for pid in pids)
    if how == "ctrl-c":
        child.sendintr()
    else:
        child.kill(signal.SIGTERM if how == "sigterm" else signal.SIGHUP)
    child.expect("interrupted")
    assert finish(child) == 130
    deadline = time.monotonic() + 5
    while any(alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [pid for pid in pids if alive(pid)] == []
    data = json.loads((tmp_path / "t.json").read_text())
    assert data["status"] == "interrupted"
    assert [s["interrupted"] for s in data["steps"]] == [False, True, False]
    assert (tmp_path / "log.txt").read_text().split() == ["one"]


def test_ctrl_c_at_a_prompt_exits_130(tmp_path: Path) -> None:
    runbook = write_runbook(tmp_path, [{"order": 1, "description": "x", "command": "true"}])
    child, _ = spawn(
        tmp_path, str(runbook), "--timeline", "t.json", "--var", f"ADMIN_TOKEN={SECRET}"
    )
    child.expect(r"step 1: \[r\]un")
    child.sendintr()
    assert finish(child) == 130
    data = json.loads((tmp_path / "t.json").read_text())
    assert data["status"] == "interrupted"
    assert data["steps"][0]["result"] is None
