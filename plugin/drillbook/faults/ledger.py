"""The fault ledger: nothing a drill injects or starts outlives it.

Every fault (and every process or temporary directory a run starts) is written to the
ledger, and flushed to disk, *before* it is applied. Lifting happens newest first, is
idempotent, and is recorded too. The ledger is a JSON-lines file per process under the
run directory; a new session sweeps ledgers whose process is gone and lifts what they left
on servers that still exist.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil

from drillbook.errors import DrillbookError

Lifter = Callable[[dict[str, Any]], str]


@dataclass
class LedgerEntry:
    """One thing to undo: its kind, what to undo it on, and a description for people."""

    seq: int
    kind: str
    target: dict[str, Any]
    description: str

    def to_json(self) -> dict[str, Any]:
        return {
            "type": "intent",
            "seq": self.seq,
            "kind": self.kind,
            "target": self.target,
            "description": self.description,
        }


def process_identity(pid: int) -> float | None:
    """The process's start time, which tells a live process from a reused pid."""
    try:
        return psutil.Process(pid).create_time()
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return None


class FaultLedger:
    """The append-only record of one process's faults and resources."""

    def __init__(self, directory: Path, run_id: str) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / f"{run_id}.{os.getpid()}.jsonl"
        self._lock = threading.Lock()
        self._entries: list[LedgerEntry] = []
        self._lifted: set[int] = set()
        self._write(
            {
                "type": "header",
                "pid": os.getpid(),
                "create_time": process_identity(os.getpid()),
                "run_id": run_id,
                "started_at": datetime.now(UTC).isoformat(),
            }
        )

    def _write(self, record: dict[str, Any]) -> None:
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(record, sort_keys=True) + "\n")
            handle.flush()
            os.fsync(handle.fileno())

    def record(self, kind: str, target: dict[str, Any], description: str) -> LedgerEntry:
        """Write down what is about to be applied; call before applying it."""
        if kind not in LIFTERS:
            raise DrillbookError(f"the fault ledger cannot undo {kind!r} entries")
        with self._lock:
            entry = LedgerEntry(len(self._entries) + 1, kind, dict(target), description)
            self._write(entry.to_json())
            self._entries.append(entry)
            return entry

    def pending(self) -> list[LedgerEntry]:
        with self._lock:
            return [entry for entry in self._entries if entry.seq not in self._lifted]

    def lift(self, entry: LedgerEntry) -> str:
        """Undo one entry (idempotent) and record that it is undone."""
        with self._lock:
            if entry.seq in self._lifted:
                return entry.description
        message = LIFTERS[entry.kind](entry.target)
        with self._lock:
            self._lifted.add(entry.seq)
            self._write({"type": "lifted", "seq": entry.seq})
        return message

    def lift_all(self) -> list[str]:
        """Undo everything pending, newest first; keeps going past failures and then
        raises one error naming each entry that could not be undone."""
        lifted: list[str] = []
        problems: list[str] = []
        for entry in reversed(self.pending()):
            try:
                lifted.append(self.lift(entry))
            except Exception as exc:  # every entry gets its chance to be lifted
                problems.append(f"{entry.description}: {exc}")
        if problems:
            raise DrillbookError(
                "could not lift everything; still in place:\n  "
                + "\n  ".join(problems)
                + f"\nthe ledger {self.path} keeps them; the next run will try again"
            )
        return lifted

    def close(self) -> None:
        """Remove the ledger file once nothing is pending."""
        if not self.pending():
            with contextlib.suppress(OSError):
                self.path.unlink()


# -- reading ledgers left behind -----------------------------------------------------------
@dataclass
class OrphanLedger:
    path: Path
    pid: int
    create_time: float | None
    entries: list[LedgerEntry] = field(default_factory=list)

    def owner_alive(self) -> bool:
        current = process_identity(self.pid)
        return current is not None and (
            self.create_time is None or abs(current - self.create_time) < 1.0
        )


def read_ledger(path: Path) -> OrphanLedger | None:
    """The entries of a ledger file that were never marked lifted (None if unreadable)."""
    header: dict[str, Any] | None = None
    intents: dict[int, LedgerEntry] = {}
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    for line in lines:
        try:
            record = json.loads(line)
        except ValueError:
            continue  # a line cut short by a kill: everything before it still counts
        if record.get("type") == "header":
            header = record
        elif record.get("type") == "intent":
            intents[record["seq"]] = LedgerEntry(
                record["seq"], record["kind"], record["target"], record["description"]
            )
        elif record.get("type") == "lifted":
            intents.pop(record.get("seq"), None)
    if header is None:
        return None
    return OrphanLedger(
        path,
        int(header["pid"]),
        header.get("create_time"),
        [intents[seq] for seq in sorted(intents)],
    )


def sweep_orphans(directory: Path) -> list[str]:
    """Lift what ledgers of dead processes left, newest first, then remove those ledgers.
    Returns a line per lifted entry (for the terminal)."""
    if not directory.is_dir():
        return []
    report: list[str] = []
    for path in sorted(directory.glob("*.jsonl")):
        orphan = read_ledger(path)
        if orphan is None or orphan.owner_alive():
            continue
        remaining = False
        for entry in reversed(orphan.entries):
            try:
                report.append(f"lifted what a killed run left: {LIFTERS[entry.kind](entry.target)}")
            except Exception as exc:  # report and keep the ledger for the next sweep
                remaining = True
                report.append(f"could not lift {entry.description}: {exc}")
        if not remaining:
            with contextlib.suppress(OSError):
                path.unlink()
    return report


# -- how each kind of entry is undone ------------------------------------------------------
def _on_toxiproxy(target: dict[str, Any], description: str, action: str) -> str:
    """Undo one thing on a toxiproxy server; a server that is gone took it with it."""
    from drillbook.faults.toxiproxy_client import ToxiproxyClient, ToxiproxyError

    try:
        with ToxiproxyClient(target["server"]) as client:
            if action == "remove_toxic":
                client.remove_toxic(target["proxy"], target["toxic"])
            elif action == "enable":
                client.set_enabled(target["proxy"], True)
            else:
                client.delete_proxy(target["proxy"])
    except ToxiproxyError as exc:
        if exc.status is None:
            return f"{description} (server {target['server']} gone)"
        raise
    return description


def _lift_toxic(target: dict[str, Any]) -> str:
    description = f"toxic {target['toxic']} on proxy {target['proxy']}"
    return _on_toxiproxy(target, description, "remove_toxic")


def _lift_proxy_down(target: dict[str, Any]) -> str:
    return _on_toxiproxy(target, f"proxy {target['proxy']} re-enabled", "enable")


def _lift_proxy(target: dict[str, Any]) -> str:
    return _on_toxiproxy(target, f"proxy {target['proxy']} deleted", "delete")


def _lift_http(target: dict[str, Any]) -> str:
    from drillbook.faults.http.client import HttpFaultClient

    description = f"HTTP fault {target['fault_id']} on {target['server']}"
    try:
        HttpFaultClient(target["server"]).remove(target["fault_id"])
    except DrillbookError:
        return f"{description} (stand-in gone)"
    return description


def _lift_process(target: dict[str, Any]) -> str:
    """Kill a process group this run started, unless the pid now belongs to another process."""
    pid = int(target["pid"])
    description = f"process {target.get('name', pid)} (pid {pid}) stopped"
    current = process_identity(pid)
    if current is None or (target.get("create_time") and abs(current - target["create_time"]) > 1):
        return f"process {target.get('name', pid)} (pid {pid}) already gone"
    with contextlib.suppress(ProcessLookupError, PermissionError):
        if target.get("group"):
            os.killpg(pid, signal.SIGKILL)
        else:
            os.kill(pid, signal.SIGKILL)
    return description


POSTGRES_STOP_SECONDS = 5.0


def _lift_postgres(target: dict[str, Any]) -> str:
    """Stop a local PostgreSQL server this run started and remove its directory.

    Immediate shutdown (SIGQUIT) first, which releases its shared memory; then SIGKILL for
    the postmaster and its backends (each backend leads its own process group)."""
    pid = int(target["pid"])
    path = target["path"]
    current = process_identity(pid) if pid > 0 else None
    if current is not None and abs(current - float(target.get("create_time") or current)) <= 1:
        with contextlib.suppress(psutil.Error):
            postmaster = psutil.Process(pid)
            backends = postmaster.children(recursive=True)
            postmaster.send_signal(signal.SIGQUIT)
            _, alive = psutil.wait_procs([postmaster, *backends], timeout=POSTGRES_STOP_SECONDS)
            for process in alive:
                with contextlib.suppress(psutil.Error):
                    process.kill()
    shutil.rmtree(path, ignore_errors=True)
    return f"PostgreSQL server (pid {pid}) stopped, {path} removed"


def _lift_tempdir(target: dict[str, Any]) -> str:
    shutil.rmtree(target["path"], ignore_errors=True)
    return f"temporary directory {target['path']} removed"


LIFTERS: dict[str, Lifter] = {
    "toxic": _lift_toxic,
    "proxy_down": _lift_proxy_down,
    "proxy": _lift_proxy,
    "http": _lift_http,
    "process": _lift_process,
    "tempdir": _lift_tempdir,
    "postgres": _lift_postgres,
}
