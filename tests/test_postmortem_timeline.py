"""A post-mortem drafted from the timeline a real ``drillbook run`` wrote.

``drillbook run --yes`` runs as a process, as during an incident, stepping through a small
runbook of shell commands (one of them named with pipes, backticks and HTML); then
``drillbook postmortem draft`` turns its timeline into a draft beside it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from drillbook.cli import main
from drillbook.postmortem import check_postmortem
from drillbook.report.formatting import seconds
from test_postmortem_draft import SEED_HEADINGS, cells, field, prompt_keys, section, unescape

HOSTILE_STEP = "Restart | the `worker` <b>now</b>"


def drillbook(*argv: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    return subprocess.run(
        [sys.executable, "-m", "drillbook.cli", *argv],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def write_runbook(directory: Path) -> Path:
    runbook: dict[str, Any] = {
        "id": "worker-stuck",
        "title": "Background worker stuck",
        "severity": "P2",
        "scenario": "jobs pile up",
        "escalation": "page the duty manager after 15 minutes",
        "contacts": [{"role": "On-call", "name": "Dana", "phone": "+61-555-0100"}],
        "steps": [
            {"order": 1, "description": "Look at the queue", "command": "echo queued: 12"},
            {
                "order": 2,
                "description": HOSTILE_STEP,
                "command": "echo restarted >> log.txt",
                "rollbackProcedure": "echo undone >> log.txt",
            },
        ],
        "verification": [{"description": "the worker restarted", "command": "grep -q . log.txt"}],
    }
    path = directory / "runbook.yaml"
    path.write_text(yaml.safe_dump(runbook, sort_keys=False))
    return path


def test_a_real_incident_timeline_becomes_a_draft(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    runbook, timeline_path = write_runbook(tmp_path), tmp_path / "incident.json"
    ran = drillbook(
        "run",
        str(runbook),
        "--yes",
        "--operator",
        "Dana",
        "--timeline",
        str(timeline_path),
        cwd=tmp_path,
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    timeline = json.loads(timeline_path.read_text())
    started = datetime.fromisoformat(timeline["started_at"])
    ended = datetime.fromisoformat(timeline["ended_at"])
    identifier = f"worker-stuck-{started.strftime('%Y%m%dT%H%M%SZ')}"

    assert main(["postmortem", "draft", str(timeline_path)]) == 0
    target = tmp_path / f"postmortem-{identifier}.md"
    assert f"wrote {target}" in capsys.readouterr().out
    text = target.read_text()

    assert text.split("\n")[0] == f"# Incident Post-Mortem: {identifier}"
    assert [line for line in text.split("\n") if re.match(r"#{2,3} ", line)] == SEED_HEADINGS
    assert field(text, "Date") == started.date().isoformat()
    assert field(text, "Severity") == "P2"
    assert field(text, "Title") == "Background worker stuck"
    assert field(text, "Runbook") == "worker-stuck"
    assert field(text, "Responders") == "Dana (runbook operator)"
    duration = seconds((ended - started).total_seconds())
    assert f"({duration}, the runbook run with drillbook run" in field(text, "Duration")
    assert "(runbook run resolved)" in field(text, "Drafted from")

    steps = re.findall(r"^\d+\. (.*)$", section(text, "### How Was It Resolved?"), re.M)
    assert [unescape(step).split(" — ")[0] for step in steps] == [
        "step 1: Look at the queue",
        f"step 2: {HOSTILE_STEP}",
        "check 1: the worker restarted",
    ]
    assert all(" — passed in " in step for step in steps)

    rows = [cells(line) for line in section(text, "## Timeline").split("\n")[4:] if line]
    assert all(len(row) == 3 for row in rows)
    events = [unescape(row[1]) for row in rows]
    assert events[1] == "Runbook worker-stuck started"
    assert events[3].startswith(f"step 2: {HOSTILE_STEP} — passed")
    assert events[-2] == "Runbook run ended: resolved"
    assert {row[2] for row in rows[1:-1]} == {"Dana"}
    assert "<b>" not in text

    # what the timeline cannot know is left to people, and check says so
    assert {"detected-event", "detection-method", "time-to-detect", "affected-services"} <= (
        prompt_keys(text)
    )
    assert "impact" in prompt_keys(text)
    assert check_postmortem(text)
    assert main(["postmortem", "check", str(target)]) == 1
    assert f"{target}:" in capsys.readouterr().out
