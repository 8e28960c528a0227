"""The fault ledger: written before applying, lifted newest first, swept after a kill."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psutil
import pytest
from drillbook.errors import DrillbookError
from drillbook.faults.ledger import FaultLedger, read_ledger, sweep_orphans


def test_an_entry_is_on_disk_before_it_is_applied(tmp_path: Path) -> None:
    ledger = FaultLedger(tmp_path, "run1")
    target = tmp_path / "made-by-drill"
    ledger.record("tempdir", {"path": str(target)}, "scratch dir")
    records = [json.loads(line) for line in ledger.path.read_text().splitlines()]
    assert [r["type"] for r in records] == ["header", "intent"]
    assert records[1]["target"] == {"path": str(target)}


def test_lift_all_goes_newest_first_and_is_idempotent(tmp_path: Path) -> None:
    ledger = FaultLedger(tmp_path / "ledgers", "run1")
    dirs = [tmp_path / f"d{i}" for i in range(3)]
    for index, directory in enumerate(dirs):
        directory.mkdir()
        ledger.record("tempdir", {"path": str(directory)}, f"dir {index}")
    lifted = ledger.lift_all()
    assert lifted == [f"temporary directory {d} removed" for d in reversed(dirs)]
    assert not any(d.exists() for d in dirs)
    assert ledger.lift_all() == []
    assert ledger.pending() == []
    ledger.close()
    assert not ledger.path.exists()


def test_an_unknown_kind_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    ledger = FaultLedger(tmp_path, "run1")
    with pytest.raises(DrillbookError, match="cannot undo 'mystery'"):
        ledger.record("mystery", {}, "?")
    assert read_ledger(ledger.path) is not None
    assert read_ledger(ledger.path).entries == []  # type: ignore[union-attr]


def test_a_failed_lift_keeps_the_entry_and_names_it(tmp_path: Path) -> None:
    ledger = FaultLedger(tmp_path, "run1")
    ledger.record(
        "toxic", {"server": "http://127.0.0.1:9", "proxy": "pg", "toxic": "lat"}, "latency on pg"
    )
    # port 9 refuses: the server is gone, so the toxic went with it; that counts as lifted
    assert ledger.lift_all() == ["toxic lat on proxy pg (server http://127.0.0.1:9 gone)"]


KILLED_RUN = """
import os, signal, subprocess, sys, tempfile
from pathlib import Path
from drillbook.faults.ledger import FaultLedger
import psutil
ledger = FaultLedger(Path(sys.argv[1]), "killed-run")
scratch = tempfile.mkdtemp(prefix="drillbook-test-")
ledger.record("tempdir", {"path": scratch}, "scratch")
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"],
                         start_new_session=True, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
ledger.record("process", {"pid": child.pid, "group": True,
                          "create_time": psutil.Process(child.pid).create_time(),
                          "name": "sleeper"}, "sleeper")
print(scratch, child.pid, flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_new_session_sweeps_what_a_killed_run_left(tmp_path: Path) -> None:
    ledgers = tmp_path / "ledgers"
    completed = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(KILLED_RUN), str(ledgers)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert completed.returncode == -signal.SIGKILL
    scratch, pid = completed.stdout.split()
    assert Path(scratch).is_dir() and psutil.pid_exists(int(pid))
    report = sweep_orphans(ledgers)
    assert any("sleeper" in line for line in report), report
    assert not Path(scratch).exists()
    assert not _alive(int(pid))
    assert list(ledgers.glob("*.jsonl")) == []


def _alive(pid: int, wait: float = 5.0) -> bool:
    """True while the process runs; a zombie waiting to be reaped counts as dead."""
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return False
        except psutil.NoSuchProcess:
            return False
        time.sleep(0.05)
    return True


def test_the_ledger_of_a_live_process_is_left_alone(tmp_path: Path) -> None:
    ledger = FaultLedger(tmp_path, "live-run")
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    ledger.record("tempdir", {"path": str(scratch)}, "scratch")
    assert sweep_orphans(tmp_path) == []
    assert scratch.is_dir()
