"""The knowledge-base index: passages in an SQLite FTS5 table, ranked with bm25.

The index records each indexed file's path, size and modification time, so a search first
re-reads only the files that changed, appeared or went away since (cheap: one ``stat`` per
file). ``KnowledgeBase.build`` indexes everything again, into a temporary file renamed over the
old one, so readers never see a half-built index and two builders cannot corrupt it.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from drillbook.errors import DrillbookError
from drillbook.kb.extract import Problem, passages_of
from drillbook.kb.model import Hit, Passage
from drillbook.kb.query import Query
from drillbook.kb.sources import Source, SourceSet
from drillbook.workspace import Workspace

SCHEMA_VERSION = "1"
TITLE_WEIGHT = 2.0
SECTION_WEIGHT = 1.5
TEXT_WEIGHT = 1.0
MARK_OPEN = "\x02"
MARK_CLOSE = "\x03"
SNIPPET_TOKENS = 48

_COLUMNS = "kind, path, line, title, text, section, status"
_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY, kind TEXT NOT NULL, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL
);
CREATE VIRTUAL TABLE IF NOT EXISTS passages USING fts5(
    title, section, text, kind UNINDEXED, path UNINDEXED, line UNINDEXED, status UNINDEXED,
    tokenize = 'porter unicode61'
);
INSERT OR IGNORE INTO meta VALUES ('version', '{SCHEMA_VERSION}');
"""


@dataclass(frozen=True)
class SearchResult:
    """The hits of one search, and whether they only match some of the query's terms."""

    hits: list[Hit]
    any_term: bool = False  # True: no passage had all terms, these have at least one


@dataclass
class RefreshReport:
    """What a build or refresh did: files (re)read, dropped, and files that could not be read."""

    files: int = 0
    passages: int = 0
    removed: int = 0
    problems: list[Problem] = field(default_factory=list)


class KnowledgeBase:
    """An open knowledge-base index."""

    def __init__(self, connection: sqlite3.Connection, path: Path, *, writable: bool) -> None:
        self._db = connection
        self.path = path
        self._writable = writable
        self.problems: list[Problem] = []

    @classmethod
    def open(cls, path: Path, *, read_only: bool = False) -> KnowledgeBase:
        """Open the index at ``path`` (which must exist: ``build`` makes one)."""
        if not path.is_file():
            raise DrillbookError(f"{path}: no knowledge-base index here; run `drillbook kb index`")
        try:
            if read_only:
                connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
            else:
                connection = sqlite3.connect(path, timeout=30.0)
            _check(connection, path)
        except sqlite3.DatabaseError as exc:
            raise DrillbookError(
                f"{path}: not a readable knowledge-base index ({exc}); "
                "rebuild it with `drillbook kb index`"
            ) from exc
        return cls(connection, path, writable=not read_only)

    @classmethod
    def build(cls, workspace: Workspace, path: Path | None = None) -> KnowledgeBase:
        """Index every runbook, post-mortem and drill report of ``workspace`` afresh."""
        target = path or workspace.kb_index_path
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temp_name = tempfile.mkstemp(prefix=".kb-", suffix=".sqlite", dir=target.parent)
        os.close(handle)
        temp = Path(temp_name)
        try:
            connection = sqlite3.connect(temp)
            connection.executescript(_SCHEMA)
            sources = SourceSet.of(workspace)
            _set_meta(connection, "sources", sources.to_json())
            report = _update(connection, sources, rebuild=True)
            connection.commit()
            connection.close()
            os.replace(temp, target)
        finally:
            with contextlib.suppress(FileNotFoundError):
                temp.unlink()
        kb = cls.open(target)
        kb.problems = report.problems
        return kb

    @classmethod
    def open_or_build(cls, workspace: Workspace, path: Path | None = None) -> KnowledgeBase:
        """The index of ``workspace``, built when missing or unreadable, refreshed otherwise."""
        target = path or workspace.kb_index_path
        try:
            kb = cls.open(target)
        except DrillbookError:
            return cls.build(workspace, target)
        kb.refresh()
        return kb

    def refresh(self) -> RefreshReport:
        """Re-read the files that changed, appeared or went away since they were indexed."""
        if not self._writable:
            return RefreshReport()
        raw = _get_meta(self._db, "sources")
        if raw is None:
            return RefreshReport()
        sources = SourceSet.from_json(raw)
        report = _update(self._db, sources, rebuild=False)
        self.problems = report.problems
        return report

    def search(self, query: str, *, limit: int = 10, kind: str | None = None) -> list[Hit]:
        """The passages that best match ``query``, best first (refreshing the index first)."""
        return self.search_result(query, limit=limit, kind=kind).hits

    def search_result(
        self,
        query: str,
        *,
        limit: int = 10,
        kind: str | None = None,
        refresh: bool = True,
        any_term: bool = False,
    ) -> SearchResult:
        """Like ``search``, and says whether it fell back to passages with any of the terms
        (``any_term=True`` asks for those straight away)."""
        if refresh:
            self.refresh()
        parsed = Query.parse(query)
        if parsed.empty or limit < 1:
            return SearchResult([])
        if any_term:
            return SearchResult(self._match(parsed.match_any(), limit, kind), any_term=True)
        hits = self._match(parsed.match_all(), limit, kind)
        if hits or len(parsed.terms) < 2:
            return SearchResult(hits)
        return SearchResult(self._match(parsed.match_any(), limit, kind), any_term=True)

    def passages(self) -> Iterator[Passage]:
        """Every indexed passage, by path and line."""
        rows = self._db.execute(f"SELECT {_COLUMNS} FROM passages ORDER BY path, line")
        for row in rows:
            yield _passage(row)

    def counts(self) -> tuple[int, int]:
        """How many passages, from how many files."""
        (passages,) = self._db.execute("SELECT count(*) FROM passages").fetchone()
        (files,) = self._db.execute("SELECT count(*) FROM files").fetchone()
        return int(passages), int(files)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> KnowledgeBase:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _match(self, expression: str, limit: int, kind: str | None) -> list[Hit]:
        sql = (
            f"SELECT {_COLUMNS}, "
            f"bm25(passages, {TITLE_WEIGHT}, {SECTION_WEIGHT}, {TEXT_WEIGHT}) AS rank, "
            f"snippet(passages, 2, ?, ?, '…', {SNIPPET_TOKENS}) "
            "FROM passages WHERE passages MATCH ?"
        )
        params: list[object] = [MARK_OPEN, MARK_CLOSE, expression]
        if kind is not None:
            sql += " AND kind = ?"
            params.append(kind)
        sql += " ORDER BY rank, path, line LIMIT ?"
        params.append(limit)
        hits = []
        for row in self._db.execute(sql, params):
            hits.append(Hit(_passage(row), -float(row[7]), mark(row[8], "[", "]"), row[8]))
        return hits


def _passage(row: tuple[object, ...]) -> Passage:
    kind, path, line, title, text, section, status = row[:7]
    return Passage(
        str(kind), str(path), int(str(line)), str(title), str(text), str(section), str(status)
    )


def _clean(text: str) -> str:
    """``text`` without the two characters the index uses to mark matches."""
    return text.replace(MARK_OPEN, "").replace(MARK_CLOSE, "")


def mark(raw: str, before: str, after: str) -> str:
    """A snippet from the index with its match markers replaced by ``before``/``after``."""
    return raw.replace(MARK_OPEN, before).replace(MARK_CLOSE, after)


def _check(connection: sqlite3.Connection, path: Path) -> None:
    version = _get_meta(connection, "version")
    if version != SCHEMA_VERSION:
        raise sqlite3.DatabaseError(f"index format {version!r}, expected {SCHEMA_VERSION!r}")


def _get_meta(connection: sqlite3.Connection, key: str) -> str | None:
    row = connection.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return None if row is None else str(row[0])


def _set_meta(connection: sqlite3.Connection, key: str, value: str) -> None:
    connection.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))


def _update(connection: sqlite3.Connection, sources: SourceSet, *, rebuild: bool) -> RefreshReport:
    """Bring the index in line with the files ``sources`` finds now."""
    current = {source.path: source for source in sources.files()}
    known = {
        row[0]: (int(row[1]), int(row[2]))
        for row in connection.execute("SELECT path, size, mtime_ns FROM files")
    }
    changed = [s for p, s in current.items() if rebuild or known.get(p) != (s.size, s.mtime_ns)]
    gone = [path for path in known if path not in current]
    report = RefreshReport(removed=len(gone))
    if not changed and not gone:
        return report
    with connection:
        for path in gone:
            _forget(connection, path)
        for source in changed:
            _index_file(connection, sources, source, report)
    return report


def _forget(connection: sqlite3.Connection, path: str) -> None:
    connection.execute("DELETE FROM passages WHERE path = ?", (path,))
    connection.execute("DELETE FROM files WHERE path = ?", (path,))


def _index_file(
    connection: sqlite3.Connection, sources: SourceSet, source: Source, report: RefreshReport
) -> None:
    _forget(connection, source.path)
    found, problems = passages_of(source)
    report.problems.extend(problems)
    connection.executemany(
        f"INSERT INTO passages ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            (p.kind, p.path, p.line, _clean(p.title), _clean(p.text), _clean(p.section), p.status)
            for p in found
        ],
    )
    connection.execute(
        "INSERT INTO files VALUES (?, ?, ?, ?)",
        (source.path, source.kind, source.size, source.mtime_ns),
    )
    report.files += 1
    report.passages += len(found)
