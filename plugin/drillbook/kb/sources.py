"""Which files the knowledge base reads: runbooks, post-mortems and Markdown drill reports."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from drillbook.workspace import Workspace

RUNBOOK_SUFFIXES = (".yaml", ".yml")
REPORT_RUNS = "runs"


@dataclass(frozen=True)
class Source:
    """One file to index: where it is (relative to the root where possible) and its stamp."""

    kind: str
    path: str
    absolute: Path
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

    def files(self) -> list[Source]:
        """Every document to index, as it stands on disk now."""
        found: list[Source] = []
        for folder in self.runbook_dirs:
            found.extend(self._stamp("runbook", p) for p in _files(folder, RUNBOOK_SUFFIXES))
        found.extend(self._stamp("postmortem", p) for p in self._workspace().postmortem_files())
        found.extend(self._stamp("report", p) for p in _files(self.reports / REPORT_RUNS, (".md",)))
        unique = {source.path: source for source in found if source.size >= 0}
        return list(unique.values())

    def relative(self, path: Path) -> str:
        """``path`` relative to the root when it is under it, else as given."""
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return str(path)

    def _stamp(self, kind: str, path: Path) -> Source:
        try:
            stat = path.stat()
        except OSError:
            return Source(kind, self.relative(path), path, -1, 0)
        return Source(kind, self.relative(path), path, stat.st_size, stat.st_mtime_ns)

    def _workspace(self) -> Workspace:
        """A workspace with these folders, for its own rule of which files are post-mortems."""
        return Workspace(
            root=self.root,
            runbook_dirs=self.runbook_dirs,
            drill_dirs=(),
            reports=self.reports,
            postmortem_dirs=self.postmortem_dirs,
            oncall_file=None,
            history_path=self.reports / "history.sqlite",
            kb_index_path=self.reports / "kb.sqlite",
            stale_after=timedelta(days=1),
        )


def _files(folder: Path, suffixes: tuple[str, ...]) -> list[Path]:
    """Files under ``folder`` (recursively for runbooks) ending in one of ``suffixes``."""
    if not folder.is_dir():
        return []
    found: list[Path] = []
    for dirpath, _dirs, names in os.walk(folder):
        found.extend(Path(dirpath, name) for name in names if name.endswith(suffixes))
    return sorted(found)
