"""The runbooks of the workspace: when each was last drilled, which are stale (not drilled for
longer than the workspace's ``stale_after``, or never), and which have lint findings.

Lint runs without the check that commands are on PATH: the dashboard is often built in CI,
where the tools a runbook calls are not installed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from drillbook.formats.yaml_source import load_yaml_file
from drillbook.lint.engine import YAML_SUFFIXES, run_lint
from drillbook.lint.finding import Finding


@dataclass(frozen=True)
class LintNote:
    """One lint finding on a runbook, for the page."""

    line: int
    column: int
    rule: str
    severity: str
    message: str


@dataclass(frozen=True)
class RunbookStatus:
    """One runbook: its id and title, last drill, staleness and lint findings."""

    runbook_id: str
    title: str
    path: str  # relative to the workspace root where possible
    last_drilled: datetime | None
    stale: bool
    findings: tuple[LintNote, ...]

    def age(self, now: datetime) -> timedelta | None:
        return now - self.last_drilled if self.last_drilled else None


def runbook_files(dirs: Sequence[Path]) -> list[Path]:
    """The YAML files under the runbook folders, sorted."""
    found: set[Path] = set()
    for folder in dirs:
        if folder.is_dir():
            found.update(p for p in folder.rglob("*") if p.suffix in YAML_SUFFIXES and p.is_file())
    return sorted(found)


def runbook_statuses(
    files: Sequence[Path],
    last_drilled: Mapping[str, datetime],
    *,
    now: datetime,
    stale_after: timedelta,
    root: Path,
) -> list[RunbookStatus]:
    """The status of every runbook file: stale ones first (never drilled, then oldest)."""
    findings = _lint(files)
    statuses = []
    for path in files:
        runbook_id, title = _identity(path)
        last = last_drilled.get(runbook_id)
        statuses.append(
            RunbookStatus(
                runbook_id=runbook_id,
                title=title,
                path=_relative(path, root),
                last_drilled=last,
                stale=last is None or now - last > stale_after,
                findings=tuple(findings.get(path.resolve(), ())),
            )
        )
    return sorted(statuses, key=_order)


def _order(status: RunbookStatus) -> tuple[int, float, str]:
    last = status.last_drilled.timestamp() if status.last_drilled else float("-inf")
    return (0 if status.stale else 1, last, status.runbook_id)


def _lint(files: Sequence[Path]) -> dict[Path, list[LintNote]]:
    if not files:
        return {}
    report = run_lint(list(files), check_path_commands=False)
    by_path: dict[Path, list[LintNote]] = {}
    for finding in report.findings:
        by_path.setdefault(finding.path.resolve(), []).append(_note(finding))
    return by_path


def _note(finding: Finding) -> LintNote:
    return LintNote(
        finding.line, finding.column, finding.rule, str(finding.severity), finding.message
    )


def _identity(path: Path) -> tuple[str, str]:
    """The runbook's ``id`` and ``title`` as written; the file name when it cannot be read."""
    try:
        data = load_yaml_file(path).data
    except Exception:  # lint reports why the file does not load
        return path.stem, path.stem
    if not isinstance(data, dict):
        return path.stem, path.stem
    runbook_id = data.get("id")
    title = data.get("title")
    runbook_id = runbook_id if isinstance(runbook_id, str) and runbook_id else path.stem
    return runbook_id, title if isinstance(title, str) and title else runbook_id


def _relative(path: Path, root: Path) -> str:
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)
