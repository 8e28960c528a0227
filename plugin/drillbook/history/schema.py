"""The history store's tables, their version, and how records map to rows and back.

Times are stored as fixed-width ISO 8601 UTC text (``2026-11-29T13:29:04.295015+00:00``), so
text order is time order and the indexes serve ``ORDER BY``; an incident's timeline is one
compact JSON text column (``[[at, kind, message], ...]``), read in the same query.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from typing import Any

from drillbook.history.records import DrillRun, IncidentRecord, TimelineEntry

SCHEMA_VERSION = 1
APPLICATION_ID = 0x44726C42  # "DrlB" in the file header: this SQLite file is a drillbook history

DRILL_RUN_COLUMNS = (
    "run_id",
    "drill_id",
    "title",
    "runbook_id",
    "severity",
    "outcome",
    "started_at",
    "duration",
    "time_to_detect",
    "time_to_acknowledge",
    "time_to_mitigate",
    "time_to_resolve",
    "failure",
    "report",
)
INCIDENT_COLUMNS = (
    "incident_id",
    "title",
    "severity",
    "status",
    "source",
    "runbook_id",
    "opened_at",
    "closed_at",
    "timeline",
    "report",
    "related_postmortems",
)
TABLES = {"drill_runs": DRILL_RUN_COLUMNS, "incidents": INCIDENT_COLUMNS}

DDL = (
    """CREATE TABLE drill_runs (
        run_id TEXT NOT NULL,
        drill_id TEXT NOT NULL,
        title TEXT NOT NULL,
        runbook_id TEXT,
        severity TEXT,
        outcome TEXT NOT NULL,
        started_at TEXT NOT NULL,
        duration REAL,
        time_to_detect REAL,
        time_to_acknowledge REAL,
        time_to_mitigate REAL,
        time_to_resolve REAL,
        failure TEXT,
        report TEXT,
        PRIMARY KEY (run_id, drill_id)
    )""",
    "CREATE INDEX drill_runs_by_start ON drill_runs (started_at, drill_id)",
    "CREATE INDEX drill_runs_by_drill ON drill_runs (drill_id, started_at)",
    "CREATE INDEX drill_runs_by_runbook ON drill_runs (runbook_id, started_at)",
    """CREATE TABLE incidents (
        incident_id TEXT PRIMARY KEY NOT NULL,
        title TEXT NOT NULL,
        severity TEXT,
        status TEXT NOT NULL,
        source TEXT NOT NULL,
        runbook_id TEXT,
        opened_at TEXT NOT NULL,
        closed_at TEXT,
        timeline TEXT NOT NULL,
        report TEXT,
        related_postmortems TEXT NOT NULL
    )""",
    "CREATE INDEX incidents_by_opened ON incidents (opened_at, incident_id)",
    f"PRAGMA application_id = {APPLICATION_ID}",
    f"PRAGMA user_version = {SCHEMA_VERSION}",
)

_INSERT = "INSERT OR IGNORE INTO {table} ({columns}) VALUES ({marks})"
INSERT_DRILL_RUN = _INSERT.format(
    table="drill_runs",
    columns=", ".join(DRILL_RUN_COLUMNS),
    marks=", ".join("?" * len(DRILL_RUN_COLUMNS)),
)
INSERT_INCIDENT = _INSERT.format(
    table="incidents",
    columns=", ".join(INCIDENT_COLUMNS),
    marks=", ".join("?" * len(INCIDENT_COLUMNS)),
)
SELECT_DRILL_RUNS = f"SELECT {', '.join(DRILL_RUN_COLUMNS)} FROM drill_runs"
SELECT_INCIDENTS = f"SELECT {', '.join(INCIDENT_COLUMNS)} FROM incidents"


def create(connection: sqlite3.Connection) -> None:
    """Create the tables in the open transaction (``executescript`` would commit it)."""
    for statement in DDL:
        connection.execute(statement)


def columns_of(connection: sqlite3.Connection, table: str) -> tuple[str, ...]:
    """The column names of ``table`` in order; empty when there is no such table."""
    rows = connection.execute(f"PRAGMA table_info({table})").fetchall()
    return tuple(str(row[1]) for row in rows)


def stamp(moment: datetime) -> str:
    """``moment`` as fixed-width UTC text, so text order is time order."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def moment(text: str) -> datetime:
    """The aware UTC datetime stored as ``text``."""
    return datetime.fromisoformat(text)


_parse = datetime.fromisoformat
_loads = json.loads


def drill_run_row(run: DrillRun) -> tuple[Any, ...]:
    """The row for a drill run, in DRILL_RUN_COLUMNS order."""
    return (
        run.run_id,
        run.drill_id,
        run.title,
        run.runbook_id,
        run.severity,
        run.outcome,
        stamp(run.started_at),
        run.duration,
        run.time_to_detect,
        run.time_to_acknowledge,
        run.time_to_mitigate,
        run.time_to_resolve,
        run.failure,
        run.report,
    )


def drill_run_from(row: tuple[Any, ...]) -> DrillRun:
    """The drill run a row in DRILL_RUN_COLUMNS order holds."""
    run_id, drill_id, title, runbook_id, severity, outcome, started, *rest = row
    duration, detect, acknowledge, mitigate, resolve, failure, report = rest
    return DrillRun(
        run_id,
        drill_id,
        title,
        runbook_id,
        severity,
        outcome,
        _parse(started),
        duration,
        detect,
        acknowledge,
        mitigate,
        resolve,
        failure,
        report,
    )


def incident_row(incident: IncidentRecord) -> tuple[Any, ...]:
    """The row for an incident, in INCIDENT_COLUMNS order."""
    timeline = [[stamp(entry.at), entry.kind, entry.message] for entry in incident.timeline]
    return (
        incident.incident_id,
        incident.title,
        incident.severity,
        incident.status,
        incident.source,
        incident.runbook_id,
        stamp(incident.opened_at),
        None if incident.closed_at is None else stamp(incident.closed_at),
        _compact(timeline),
        incident.report,
        _compact(list(incident.related_postmortems)),
    )


def incident_from(row: tuple[Any, ...]) -> IncidentRecord:
    """The incident a row in INCIDENT_COLUMNS order holds (a dashboard reads tens of
    thousands of these: the timeline is decoded in one list comprehension)."""
    entry, parse = TimelineEntry, _parse
    timeline = [entry(parse(at), kind, message) for at, kind, message in _loads(row[8])]
    return IncidentRecord(
        incident_id=row[0],
        title=row[1],
        severity=row[2],
        status=row[3],
        source=row[4],
        runbook_id=row[5],
        opened_at=parse(row[6]),
        closed_at=None if row[7] is None else parse(row[7]),
        timeline=tuple(timeline),
        report=row[9],
        related_postmortems=tuple(_loads(row[10])),
    )


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
