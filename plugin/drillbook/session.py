"""What one pytest session of drills shares: options, runbook index, lint findings, results."""

from __future__ import annotations

import secrets
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from drillbook.drill.plan import RunbookIndex
from drillbook.drill.result import DrillResult
from drillbook.drill.variables import parse_assignment
from drillbook.history.recording import session_history_path
from drillbook.report import Participant, parse_participant
from drillbook.services.resources import SessionResources

if TYPE_CHECKING:
    from drillbook.lint import Finding

DRILL_DIRS = "drills"
RUNBOOK_DIRS = "runbooks"
STATE_DIR = ".drillbook"  # fault ledgers live here, so the next run finds what a killed one left


def new_run_id() -> str:
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + "-" + secrets.token_hex(3)


@dataclass
class DrillSession:
    """State shared by the drill and lint items of one pytest process."""

    rootdir: Path
    report_dir: Path
    run_id: str
    dry_run: bool
    training: bool
    overrides: dict[str, str]
    participants: list[Participant]
    runbook_dirnames: list[str]
    drill_dirnames: list[str]
    resources: SessionResources
    history_path: Path | None = None  # where the session's drills are recorded
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    results: list[DrillResult] = field(default_factory=list)
    _indexes: dict[tuple[Path, ...], RunbookIndex] = field(default_factory=dict)
    _lint_roots: set[Path] = field(default_factory=set)
    _findings: dict[Path, list[Finding]] | None = None
    _markers: set[str] = field(default_factory=set)

    @classmethod
    def from_config(cls, config: pytest.Config, run_id: str) -> DrillSession:
        rootdir = Path(config.rootpath)
        report_dir = config.getoption("drill_report_dir") or config.getini("drillbook_report_dir")
        participants = [parse_participant(text) for text in config.getoption("drill_participant")]
        overrides = dict(parse_assignment(text) for text in config.getoption("drill_var"))
        resources = SessionResources(
            state_dir=rootdir / STATE_DIR,
            run_id=run_id,
            toxiproxy_url=config.getoption("toxiproxy_url")
            or config.getini("drillbook_toxiproxy_url")
            or None,
            postgres_url=config.getoption("postgres_url") or None,
        )
        history = config.getoption("drill_history") or config.getini("drillbook_history")
        return cls(
            rootdir=rootdir,
            report_dir=(rootdir / report_dir).resolve(),
            history_path=session_history_path(
                rootdir, (rootdir / report_dir).resolve(), history or None
            ),
            run_id=run_id,
            dry_run=bool(config.getoption("drill_dry_run")),
            training=config.getoption("drill_mode") == "training",
            overrides=overrides,
            participants=participants,
            runbook_dirnames=list(config.getini("drillbook_runbook_dirs")) or [RUNBOOK_DIRS],
            drill_dirnames=list(config.getini("drillbook_drill_dirs")) or [DRILL_DIRS],
            resources=resources,
        )

    def performer(self) -> str:
        """Who carries out the steps: the first trainee among the participants, else the
        first participant, else "the responder"."""
        for person in self.participants:
            if "trainee" in person.role.lower():
                return f"{person.name} ({person.role})"
        if self.participants:
            return f"{self.participants[0].name} ({self.participants[0].role})"
        return "the responder"

    def register_marker(self, config: pytest.Config, name: str) -> None:
        """Tags become markers; registering them keeps ``--strict-markers`` happy."""
        if name not in self._markers:
            self._markers.add(name)
            config.addinivalue_line("markers", f"{name}: drills tagged {name}")

    # -- which YAML files are ours -------------------------------------------------------
    def kind_of(self, path: Path) -> str | None:
        """``drill``, ``runbook`` or None, by the directory the file sits in."""
        if path.suffix not in (".yaml", ".yml"):
            return None
        names = {parent.name for parent in path.parents}
        if names & set(self.drill_dirnames):
            return "drill"
        if names & set(self.runbook_dirnames):
            return "runbook"
        return None

    # -- runbooks for drills -------------------------------------------------------------
    def runbook_index(self, drill_path: Path) -> RunbookIndex:
        """Runbooks under the runbook directories next to the drill's directory tree, and
        under the rootdir."""
        candidates: list[Path] = []
        for ancestor in drill_path.parents:
            candidates.extend(ancestor / name for name in self.runbook_dirnames)
            if ancestor == self.rootdir:
                break
        key = tuple(c for c in candidates if c.is_dir())
        if key not in self._indexes:
            self._indexes[key] = RunbookIndex(key)
        return self._indexes[key]

    # -- lint ------------------------------------------------------------------------------
    def add_lint_root(self, path: Path) -> None:
        for parent in path.parents:
            if parent.name in self.runbook_dirnames:
                self._lint_roots.add(parent)
                return

    def findings_for(self, path: Path) -> list[Finding]:
        """This file's findings from one lint of every runbook tree in the session, so that
        rules across files (unique ids) see the whole tree."""
        if self._findings is None:
            from drillbook.lint import lint_paths  # the linter loads only when a runbook is linted

            grouped: dict[Path, list[Finding]] = defaultdict(list)
            for finding in lint_paths(sorted(self._lint_roots)):
                grouped[Path(finding.path).resolve()].append(finding)
            self._findings = dict(grouped)
        return self._findings.get(path.resolve(), [])
