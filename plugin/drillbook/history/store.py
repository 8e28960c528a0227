"""The history store: drill runs and incidents in one SQLite file, appended atomically.

Concurrency: every append is one ``BEGIN IMMEDIATE`` transaction (it takes the write lock
before reading, so two writers never deadlock on an upgrade) with a generous busy timeout, so
several pytest sessions, xdist controllers or CI jobs finishing at once queue up instead of
failing with "database is locked". The store keeps SQLite's default rollback journal on
purpose: WAL needs shared memory that network file systems (NFS, SMB), where teams may keep a
shared store, do not provide, and it can corrupt the database there.

A missing store is created; if reports exist it is filled from them in the same transaction
that creates it, so a crash half-way leaves a store that is rebuilt again on the next open.
"""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from drillbook.history import from_report, integrity, schema
from drillbook.history.from_report import ReportFormatError
from drillbook.history.importing import (
    ImportSummary,
    Records,
    records_in,
    records_in_file,
    report_files,
)
from drillbook.history.integrity import HistoryError
from drillbook.history.records import CLOSED_STATUSES, DrillRun, IncidentRecord

BUSY_TIMEOUT = 120.0
"""Seconds a writer waits for another's transaction (a rebuild of many reports can take a while)."""

IMPORT_BATCH = 200
"""Files imported per transaction (a few hundred milliseconds of holding the write lock)."""

Notify = Callable[[str], None]

__all__ = ["BUSY_TIMEOUT", "HistoryError", "HistoryStore", "ImportSummary"]


def _stderr(line: str) -> None:
    print(f"drillbook: {line}", file=sys.stderr, flush=True)


class HistoryStore:
    """The drill history at ``path``: open with ``HistoryStore.open``; a context manager."""

    def __init__(self, connection: sqlite3.Connection, path: Path, notify: Notify) -> None:
        self._db = connection
        self.path = path
        self._notify = notify

    @classmethod
    def open(
        cls,
        path: Path,
        *,
        reports_dir: Path | None = None,
        notify: Notify | None = None,
        busy_timeout: float = BUSY_TIMEOUT,
    ) -> HistoryStore:
        """Open (creating) the store; a corrupt or unreadable one is moved aside (never
        deleted) and rebuilt from the JSON reports under reports_dir, with a message.

        Messages (one line each) go to ``notify``, by default to stderr. Raises HistoryError
        for a store a newer drillbook wrote, or one that cannot be opened at all.
        """
        say = notify or _stderr
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise HistoryError(f"cannot create {path.parent}: {error.strerror}") from None
        damage = integrity.diagnose(path, busy_timeout=busy_timeout)
        moved = integrity.move_aside(path, damage) if damage else None
        try:
            connection = sqlite3.connect(path, timeout=busy_timeout, isolation_level=None)
        except sqlite3.Error as error:
            raise HistoryError(f"cannot open the history store {path}: {error}") from None
        store = cls(connection, path, say)
        try:
            summary = store._ensure_schema(reports_dir)
        except BaseException:
            store.close()
            raise
        if summary is not None:
            store._tell_rebuilt(damage, moved, reports_dir, summary)
        return store

    def _ensure_schema(self, reports_dir: Path | None) -> ImportSummary | None:
        """Create the tables if the store has none (filling them from the reports); the
        summary of that fill, or None when the store was already there."""
        with self._write():
            version = int(self._db.execute("PRAGMA user_version").fetchone()[0])
            integrity.refuse_newer(self.path, version)
            if version == schema.SCHEMA_VERSION:
                return None
            schema.create(self._db)
            if reports_dir is None or not report_files(reports_dir):
                return None
            return self._import_files(report_files(reports_dir))

    def _tell_rebuilt(
        self,
        damage: integrity.Damage | None,
        moved: Path | None,
        reports_dir: Path | None,
        summary: ImportSummary,
    ) -> None:
        what = f"{summary.drill_runs} drill runs and {summary.incidents} incidents"
        source = f"{summary.files} report(s) in {reports_dir}"
        if damage is None:
            self._notify(
                f"history store {self.path} did not exist; built it ({what}) from {source}"
            )
        else:
            kept = f"kept it as {moved}" if moved else "another process moved it aside"
            self._notify(
                f"history store {self.path} {damage.reason}; {kept} and rebuilt the store "
                f"({what}) from {source}"
            )
        for line in summary.lines():
            self._notify(line)

    def add_report(self, report: Mapping[str, Any], *, source: Path | None = None) -> int:
        """Append a drill session report (report/schema.json) in one transaction; the number
        of drill runs added. A (run_id, drill_id) already there is skipped, so re-imports are
        harmless. Raises ReportFormatError for a report it cannot read."""
        if from_report.kind_of(report) != "report":
            raise ReportFormatError("an incident timeline, not a drill session report")
        records = records_in(report, None if source is None else str(source))
        with self._write():
            runs, _ = self._insert(records)
        return runs

    def add_incident_timeline(
        self, timeline: Mapping[str, Any], *, source: Path | None = None
    ) -> bool:
        """Append the incident a ``drillbook run`` timeline records; False when it was there."""
        if from_report.kind_of(timeline) != "timeline":
            raise ReportFormatError("a drill session report, not an incident timeline")
        records = records_in(timeline, None if source is None else str(source))
        with self._write():
            _, incidents = self._insert(records)
        return incidents == 1

    def add_records(
        self, drill_runs: Iterable[DrillRun] = (), incidents: Iterable[IncidentRecord] = ()
    ) -> tuple[int, int]:
        """Append records in one transaction; how many drill runs and incidents were new."""
        with self._write():
            return self._insert(Records(list(drill_runs), list(incidents)))

    def import_files(self, paths: Iterable[Path]) -> ImportSummary:
        """Append each file (a session report or incident timeline); files that cannot be read
        are skipped and listed with the reason. Files go in by batches of IMPORT_BATCH, one
        transaction each: every report is wholly in or not, and 10,000 files do not cost
        10,000 commits (each a wait for the disk)."""
        summary = ImportSummary()
        pending: list[Records] = []
        for path in paths:
            try:
                pending.append(records_in_file(path))
            except ReportFormatError as error:
                summary.skipped.append((path, str(error)))
                continue
            if len(pending) >= IMPORT_BATCH:
                self._flush(pending, summary)
        self._flush(pending, summary)
        return summary

    def _flush(self, pending: list[Records], summary: ImportSummary) -> None:
        if not pending:
            return
        with self._write():
            for records in pending:
                runs, incidents = self._insert(records)
                summary.files += 1
                summary.drill_runs += runs
                summary.incidents += incidents
        pending.clear()

    def rebuild(self, reports_dir: Path) -> tuple[ImportSummary, Path | None]:
        """Replace the store's content with what the reports under ``reports_dir`` hold, in
        one transaction; content already there is first copied to
        ``<name>.before-rebuild-<stamp>``. Returns the summary and that copy's path (None
        when the store was empty)."""
        files = report_files(reports_dir)
        backup = self._backup() if not self._is_empty() else None
        with self._write():
            self._db.execute("DELETE FROM drill_runs")
            self._db.execute("DELETE FROM incidents")
            summary = self._import_files(files)
        return summary, backup

    def _is_empty(self) -> bool:
        rows = self._read(
            "SELECT EXISTS (SELECT 1 FROM drill_runs) OR EXISTS (SELECT 1 FROM incidents)", ()
        )
        return not rows[0][0]

    def _backup(self) -> Path:
        backup = integrity.free_name(self.path, "before-rebuild")
        try:
            copy = sqlite3.connect(backup)
            try:
                self._db.backup(copy)
            finally:
                copy.close()
        except sqlite3.Error as error:
            raise HistoryError(
                f"cannot copy the history store to {backup} before rebuilding it: {error}"
            ) from None
        return backup

    def _import_files(self, files: list[Path]) -> ImportSummary:
        """Insert every readable file's records in the transaction already open."""
        summary = ImportSummary()
        for path in files:
            try:
                records = records_in_file(path)
            except ReportFormatError as error:
                summary.skipped.append((path, str(error)))
                continue
            runs, incidents = self._insert(records)
            summary.files += 1
            summary.drill_runs += runs
            summary.incidents += incidents
        return summary

    def _insert(self, records: Records) -> tuple[int, int]:
        """Insert in the open transaction; how many drill runs and incidents were new."""
        before = self._db.total_changes
        self._db.executemany(
            schema.INSERT_DRILL_RUN, [schema.drill_run_row(run) for run in records.drill_runs]
        )
        middle = self._db.total_changes
        self._db.executemany(
            schema.INSERT_INCIDENT, [schema.incident_row(item) for item in records.incidents]
        )
        return middle - before, self._db.total_changes - middle

    def drill_runs(
        self, *, drill_id: str | None = None, latest: int | None = None
    ) -> list[DrillRun]:
        """Every drill run (of one drill when ``drill_id`` is given), oldest first; only the
        ``latest`` N when that is given."""
        where, parameters = ("WHERE drill_id = ?", (drill_id,)) if drill_id else ("", ())
        query = f"{schema.SELECT_DRILL_RUNS} {where} ORDER BY started_at, drill_id"
        if latest is not None:
            newest = f"{schema.SELECT_DRILL_RUNS} {where} ORDER BY started_at DESC, drill_id DESC"
            query = f"SELECT * FROM ({newest} LIMIT ?) ORDER BY started_at, drill_id"
            parameters = (*parameters, max(latest, 0))
        rows = self._read(query, parameters)
        return [schema.drill_run_from(row) for row in rows]

    def incidents(
        self, *, limit: int | None = None, open_only: bool = False, source: str | None = None
    ) -> list[IncidentRecord]:
        """Incidents, newest first; at most ``limit`` of them; only those still open
        (``IncidentRecord.is_open``) with ``open_only``; only those of ``source`` ("drill"
        or "run") when given. Each comes with its whole timeline, so a page of recent ones
        is cheaper than all of them."""
        where, parameters = _incident_filter(open_only, source)
        rows = self._read(
            f"{schema.SELECT_INCIDENTS} {where} ORDER BY opened_at DESC, incident_id DESC LIMIT ?",
            (*parameters, -1 if limit is None else max(limit, 0)),
        )
        return [schema.incident_from(row) for row in rows]

    def incident_count(self, *, open_only: bool = False, source: str | None = None) -> int:
        """How many incidents ``incidents`` would return without a limit (no timelines read)."""
        where, parameters = _incident_filter(open_only, source)
        [(count,)] = self._read(f"SELECT count(*) FROM incidents {where}", parameters)
        return int(count)

    def last_drilled(self) -> dict[str, datetime]:
        """Runbook id -> when its latest drill started (skipped drills do not count)."""
        rows = self._read(
            "SELECT runbook_id, MAX(started_at) FROM drill_runs "
            "WHERE runbook_id IS NOT NULL AND outcome != 'skipped' GROUP BY runbook_id",
            (),
        )
        return {row[0]: schema.moment(row[1]) for row in rows}

    def _read(self, sql: str, parameters: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        try:
            return self._db.execute(sql, parameters).fetchall()
        except sqlite3.DatabaseError as error:
            raise HistoryError(
                f"cannot read the history store {self.path} ({error}); "
                "`drillbook history rebuild` rebuilds it from the reports"
            ) from None

    def _write(self) -> _Transaction:
        return _Transaction(self._db, self.path)

    def close(self) -> None:
        """Close the connection (idempotent)."""
        self._db.close()

    def __enter__(self) -> HistoryStore:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


class _Transaction:
    """``BEGIN IMMEDIATE`` ... ``COMMIT``, rolled back on any error; SQLite errors become
    HistoryError naming the store."""

    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self._db = connection
        self._path = path

    def __enter__(self) -> None:
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as error:
            raise HistoryError(f"cannot write to the history store {self._path}: {error}") from None

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if kind is None:
            try:
                self._db.execute("COMMIT")
                return
            except sqlite3.Error as failure:
                error, kind = failure, type(failure)
        if self._db.in_transaction:
            self._db.execute("ROLLBACK")
        if isinstance(error, sqlite3.Error):
            raise HistoryError(f"cannot write to the history store {self._path}: {error}") from None


def _incident_filter(open_only: bool, source: str | None) -> tuple[str, tuple[str, ...]]:
    """The WHERE clause (and its parameters) choosing open incidents and/or one source."""
    conditions: list[str] = []
    parameters: tuple[str, ...] = ()
    if open_only:
        closed = ", ".join(f"'{status}'" for status in sorted(CLOSED_STATUSES))
        conditions.append(f"closed_at IS NULL AND status NOT IN ({closed})")
    if source is not None:
        conditions.append("source = ?")
        parameters = (source,)
    return ("WHERE " + " AND ".join(conditions)) if conditions else "", parameters
