"""Which JSON files under a reports directory hold history, and the records in one file."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from drillbook.history import from_report
from drillbook.history.records import DrillRun, IncidentRecord

REPORT_GLOBS = ("runs/*.json", "incidents/*.json")
"""Session reports (one per run; not the duplicate ``drill-report.json`` beside ``runs/``) and
``drillbook run`` timelines."""


@dataclass(frozen=True)
class Records:
    """What one file gives the history."""

    drill_runs: list[DrillRun]
    incidents: list[IncidentRecord]


@dataclass
class ImportSummary:
    """What an import or a rebuild did: files read, records added, files skipped and why."""

    files: int = 0
    drill_runs: int = 0
    incidents: int = 0
    skipped: list[tuple[Path, str]] = field(default_factory=list)

    def lines(self) -> list[str]:
        """One line per skipped file: its path and the reason."""
        return [f"skipped {path}: {reason}" for path, reason in self.skipped]


def report_files(reports_dir: Path) -> list[Path]:
    """The session reports and incident timelines under ``reports_dir``, in name order."""
    found: list[Path] = []
    for pattern in REPORT_GLOBS:
        found.extend(sorted(reports_dir.glob(pattern)))
    return [path for path in found if path.is_file()]


def records_in(data: Mapping[str, Any], source: str | None) -> Records:
    """The records in a session report or an incident timeline (told apart by content)."""
    if from_report.kind_of(data) == "timeline":
        return Records([], [from_report.run_incident(data, source)])
    return Records(from_report.drill_runs(data, source), from_report.drill_incidents(data, source))


def records_in_file(path: Path) -> Records:
    """The records in the JSON file ``path``; ReportFormatError says why there are none."""
    return records_in(from_report.load_json(path), str(path))
