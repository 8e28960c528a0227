"""Past post-mortems linked to a drill's incident as it opens.

The query is made of the incident's title, the detection rule that fired and the runbook's
title; the three post-mortems whose passages match best are linked (one entry per file, at its
best passage). The index is brought up to date once per process, under a file lock so that
pytest-xdist workers do not build it side by side; after that it is only read. A workspace
without post-mortems links nothing and builds no index. Linking never fails a drill: a problem
with the index means no links, and the reason is kept in ``PostmortemLinker.problem``.
"""

from __future__ import annotations

import contextlib
import fcntl
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from drillbook.errors import DrillbookError
from drillbook.kb.index import KnowledgeBase
from drillbook.kb.model import Hit
from drillbook.workspace import Workspace

LINKED = 3
_CANDIDATES = 40
# Words of titles and rule names that say nothing about what went wrong.
_STOPWORDS = frozenset(
    {"a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "in", "is", "it", "of"}
    | {"on", "or", "the", "to", "with", "rule", "drill"}
)


@dataclass(frozen=True)
class RelatedPostmortem:
    """A past post-mortem linked to an incident: where its best-matching passage starts."""

    path: str
    line: int
    title: str
    score: float

    @property
    def location(self) -> str:
        return f"{self.path}:{self.line}"

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "line": self.line, "title": self.title, "score": self.score}


class PostmortemLinker:
    """Finds the post-mortems most related to an incident, in one workspace's knowledge base."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.problem: str | None = None
        self._kb: KnowledgeBase | None = None
        self._prepared = False

    def prepare(self) -> None:
        """Bring the index up to date (once; later calls do nothing) and open it for reading."""
        if self._prepared:
            return
        self._prepared = True
        try:
            if not self.workspace.postmortem_files():
                return
            path = self.workspace.kb_index_path
            with _locked(path):
                KnowledgeBase.open_or_build(self.workspace, path).close()
            self._kb = KnowledgeBase.open(path, read_only=True)
        except (DrillbookError, sqlite3.Error, OSError) as exc:
            self.problem = f"post-mortems not linked: {exc}"

    def related(
        self, title: str, *, rule: str = "", runbook_title: str = "", limit: int = LINKED
    ) -> list[RelatedPostmortem]:
        """The ``limit`` post-mortems that best match the incident, best first."""
        self.prepare()
        query = incident_query(title, rule, runbook_title)
        if self._kb is None or not query:
            return []
        try:
            result = self._kb.search_result(
                query, limit=_CANDIDATES, kind="postmortem", refresh=False, any_term=True
            )
        except sqlite3.Error as exc:
            self.problem = f"post-mortems not linked: {exc}"
            return []
        return best_per_file(result.hits, limit)

    def close(self) -> None:
        if self._kb is not None:
            self._kb.close()
            self._kb = None


def incident_query(*texts: str) -> str:
    """The words of ``texts`` worth searching for, once each, as one query."""
    words = [word for text in texts for word in text.replace('"', " ").split()]
    kept = dict.fromkeys(w for w in words if w.lower().strip(".,:;()") not in _STOPWORDS)
    return " ".join(kept)


def best_per_file(hits: list[Hit], limit: int) -> list[RelatedPostmortem]:
    """The best hit of each file, in the order of the hits, at most ``limit`` of them."""
    chosen: dict[str, RelatedPostmortem] = {}
    for hit in hits:
        passage = hit.passage
        if passage.path not in chosen:
            chosen[passage.path] = RelatedPostmortem(
                passage.path, passage.line, passage.title, round(hit.score, 4)
            )
        if len(chosen) == limit:
            break
    return list(chosen.values())


_LINKERS: dict[Path, PostmortemLinker] = {}


def default_linker(root: Path | None = None) -> PostmortemLinker | None:
    """The process's linker for the workspace at ``root`` (default: the current directory),
    or None when that workspace's settings cannot be read."""
    base = (root or Path.cwd()).resolve()
    if base not in _LINKERS:
        try:
            _LINKERS[base] = PostmortemLinker(Workspace.discover(base))
        except DrillbookError:
            return None
    return _LINKERS[base]


@contextlib.contextmanager
def _locked(index: Path) -> Iterator[None]:
    """Hold an exclusive lock beside ``index`` (other processes wait for it)."""
    index.parent.mkdir(parents=True, exist_ok=True)
    with open(index.with_name(index.name + ".lock"), "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def postmortems_block(title: str, scenario: str = "", *, root: Path | None = None) -> str:
    """For ``drillbook run``: the past post-mortems most related to a runbook, one
    ``path:line  title`` a line under a heading; empty when there are none."""
    linker = default_linker(root)
    related = linker.related(title, runbook_title=scenario) if linker is not None else []
    if not related:
        return ""
    lines = [f"  {item.location}  {item.title}" for item in related]
    return "\n".join(["Past post-mortems that may help:", *lines])
