"""Which files the knowledge base reads: runbooks, post-mortems and Markdown drill reports.

Post-mortems follow ``Workspace.postmortem_files``' rule (Markdown in the post-mortem folders,
``postmortem-*.md`` drafts anywhere under the reports), listed here with one directory scan so
that thousands of reports cost little. The reports' ``runs`` folder can be skipped when it has
not changed since the last look (see ``index``): drill reports are written whole and renamed
into place, which changes the folder; post-mortem drafts kept there are still looked at.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from drillbook.workspace import Workspace

RUNBOOK_SUFFIXES = (".yaml", ".yml")
REPORT_RUNS = "runs"
DRAFT_PREFIX = "postmortem-"

KindOf = Callable[[str, str], "str | None"]
"""What kind of document a file (its directory, its name) is; None: not one to index."""


@dataclass(frozen=True)
class Source:
    """One file to index: where it is (relative to the root where possible) and its stamp."""

    kind: str
    path: str
    absolute: str
    size: int
    mtime_ns: int


@dataclass(frozen=True)
class SourceSet:
    """The folders a workspace keeps its documents in, enough to list them again later."""

    root: Path
    runbook_dirs: tuple[Path, ...]
    postmortem_dirs: tuple[Path, ...]
    reports: Path

    @classmethod
    def of(cls, workspace: Workspace) -> SourceSet:
        return cls(
            workspace.root, workspace.runbook_dirs, workspace.postmortem_dirs, workspace.reports
        )

    def to_json(self) -> str:
        return json.dumps(
            {
                "root": str(self.root),
                "runbooks": [str(p) for p in self.runbook_dirs],
                "postmortems": [str(p) for p in self.postmortem_dirs],
                "reports": str(self.reports),
            }
        )

    @classmethod
    def from_json(cls, text: str) -> SourceSet:
        data = json.loads(text)
        return cls(
            Path(data["root"]),
            tuple(Path(p) for p in data["runbooks"]),
            tuple(Path(p) for p in data["postmortems"]),
            Path(data["reports"]),
        )

    @property
    def runs(self) -> Path:
        """The folder of the Markdown drill reports."""
        return self.reports / REPORT_RUNS

    @property
    def runs_prefix(self) -> str:
        return self.relative(self.runs) + "/"

    def files(self, *, skip_runs: bool = False) -> list[Source]:
        """Every document to index, as it stands on disk now (one ``stat`` each); with
        ``skip_runs`` nothing under the reports' ``runs`` folder."""
        runs = str(self.runs)
        found: list[Source] = []
        for folder in self.runbook_dirs:
            found.extend(self._scan(folder, _runbook))
        for folder in self.postmortem_dirs:
            found.extend(self._scan(folder, _postmortem))
        skip = runs if skip_runs else None
        found.extend(self._scan(self.reports, _report_or_draft(runs), skip=skip))
        unique = {source.path: source for source in found}
        return list(unique.values())

    def stamp(self, kind: str, path: str) -> Source | None:
        """The file at ``path`` (as the index names it) now, or None when it is gone."""
        absolute = path if os.path.isabs(path) else os.path.join(self.root, path)
        try:
            stat = os.stat(absolute)
        except OSError:
            return None
        return Source(kind, path, absolute, stat.st_size, stat.st_mtime_ns)

    def relative(self, path: Path) -> str:
        """``path`` relative to the root when it is under it, else as given."""
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return str(path)

    def _scan(self, folder: Path, kind_of: KindOf, *, skip: str | None = None) -> Iterator[Source]:
        """The files under ``folder`` that ``kind_of`` names a kind for, from directory scans
        (reports run to thousands of files, so no pathlib per file)."""
        if not folder.is_dir():
            return
        stack = [(str(folder), self.relative(folder))]
        while stack:
            directory, shown = stack.pop()
            with os.scandir(directory) as entries:
                for entry in entries:
                    name = f"{shown}/{entry.name}"
                    if entry.is_dir():
                        if entry.path != skip:
                            stack.append((entry.path, name))
                        continue
                    kind = kind_of(directory, entry.name)
                    if kind is not None and entry.is_file():
                        stat = entry.stat()
                        yield Source(kind, name, entry.path, stat.st_size, stat.st_mtime_ns)


def _suffix(kind: str, suffixes: tuple[str, ...]) -> KindOf:
    return lambda directory, name: kind if name.endswith(suffixes) else None


def _report_or_draft(runs: str) -> KindOf:
    """Under the reports: ``postmortem-*.md`` drafts anywhere, Markdown reports in ``runs``."""

    def kind_of(directory: str, name: str) -> str | None:
        if not name.endswith(".md"):
            return None
        if name.startswith(DRAFT_PREFIX):
            return "postmortem"
        return "report" if directory == runs else None

    return kind_of


_runbook = _suffix("runbook", RUNBOOK_SUFFIXES)
_postmortem = _suffix("postmortem", (".md",))
