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
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from drillbook.errors import DrillbookError
from drillbook.kb.model import Hit, Passage
from drillbook.kb.query import Query
from drillbook.kb.sources import Source, SourceSet
from drillbook.workspace import Workspace

if TYPE_CHECKING:  # reading documents needs the runbook models: loaded only to (re)index
    from drillbook.kb.extract import Problem

SCHEMA_VERSION = "3"  # 3: post-mortem titles carry their summary title
TITLE_WEIGHT = 2.0
SECTION_WEIGHT = 1.5
TEXT_WEIGHT = 1.0
MARK_OPEN = "\x02"
MARK_CLOSE = "\x03"
SNIPPET_TOKENS = 48
CANDIDATES_PER_HIT = 20  # ranked rows read per hit asked for, to fold repeated report sections
SETTLED_NS = 2_000_000_000  # a folder unchanged for this long is trusted to stay listed

_COLUMNS = "kind, path, line, title, text, section, status"
_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY, kind TEXT NOT NULL, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,
    first_rowid INTEGER NOT NULL, last_rowid INTEGER NOT NULL  -- its passages, inserted together
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
        if kb.sources() != SourceSet.of(workspace):
            kb.close()  # the workspace's folders changed since: what was indexed is not it
            return cls.build(workspace, target)
        kb.refresh()
        return kb

    def sources(self) -> SourceSet | None:
        """The folders this index was built from, or None for an index that does not say."""
        raw = _get_meta(self._db, "sources")
        return None if raw is None else SourceSet.from_json(raw)

    def refresh(self) -> RefreshReport:
        """Re-read the files that changed, appeared or went away since they were indexed."""
        if not self._writable:
            return RefreshReport()
        sources = self.sources()
        if sources is None:
            return RefreshReport()
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
        """Rank first (rowid and score only), fold repeats of one drill section across
        reports into the best of them, then read and mark just the passages shown."""
        where = "passages MATCH ?" + (" AND kind = ?" if kind is not None else "")
        params: list[object] = [expression]
        if kind is not None:
            params.append(kind)
        best = self._db.execute(
            f"SELECT rowid, bm25(passages, {TITLE_WEIGHT}, {SECTION_WEIGHT}, {TEXT_WEIGHT}) "
            f"AS score FROM passages WHERE {where} ORDER BY score, rowid DESC LIMIT ?",
            [*params, limit * CANDIDATES_PER_HIT],
        ).fetchall()
        if not best:
            return []
        chosen = self._fold_repeats([(int(rowid), float(score)) for rowid, score in best], limit)
        marks = ", ".join("?" * len(chosen))
        rows = self._db.execute(
            f"SELECT rowid, {_COLUMNS}, snippet(passages, 2, ?, ?, '…', {SNIPPET_TOKENS}) "
            f"FROM passages WHERE passages MATCH ? AND rowid IN ({marks})",
            [MARK_OPEN, MARK_CLOSE, expression, *chosen],
        ).fetchall()
        found = {int(row[0]): row for row in rows}
        hits = []
        for rowid, (score, similar) in chosen.items():
            row = found[rowid]
            hits.append(Hit(_passage(row[1:]), -score, mark(row[8], "[", "]"), row[8], similar))
        return hits

    def _fold_repeats(
        self, ranked: list[tuple[int, float]], limit: int
    ) -> dict[int, tuple[float, int]]:
        """The best ``limit`` rowids (score, how many repeats folded in), where a report
        passage repeating a drill section already shown (same drill title and section, from
        another run) is counted against the one shown instead of listed again."""
        marks = ", ".join("?" * len(ranked))
        keys = {
            int(rowid): (str(kind), str(title), str(section))
            for rowid, kind, title, section in self._db.execute(
                f"SELECT rowid, kind, title, section FROM passages WHERE rowid IN ({marks})",
                [rowid for rowid, _ in ranked],
            )
        }
        chosen: dict[int, tuple[float, int]] = {}
        shown: dict[tuple[str, str, str], int] = {}
        for rowid, score in ranked:
            key = keys[rowid]
            first = shown.get(key) if key[0] == "report" else None
            if first is not None:
                chosen[first] = (chosen[first][0], chosen[first][1] + 1)
            elif len(chosen) < limit:
                chosen[rowid] = (score, 0)
                shown[key] = rowid
        return chosen


def _passage(row: tuple[object, ...]) -> Passage:
    kind, path, line, title, text, section, status = row[:7]
    return Passage(
        str(kind), str(path), int(str(line)), str(title), str(text), str(section), str(status)
    )


def _row(rowid: int, p: Passage) -> tuple[object, ...]:
    """A passage as the values of an INSERT (rowid first, then ``_COLUMNS``)."""
    return (
        rowid,
        p.kind,
        p.path,
        p.line,
        _clean(p.title),
        _clean(p.text),
        _clean(p.section),
        p.status,
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
    stamp = _runs_stamp(sources)
    settled = not rebuild and stamp != "" and _get_meta(connection, "runs_stamp") == stamp
    current = {source.path: source for source in sources.files(skip_runs=settled)}
    # A settled runs folder holds the reports it held: their rows are left out of the check
    # (reports live only there), and the post-mortem drafts kept there are looked at again.
    skipped = "WHERE kind != 'report'" if settled else ""
    known = {
        row[0]: (str(row[1]), int(row[2]), int(row[3]))
        for row in connection.execute(f"SELECT path, kind, size, mtime_ns FROM files {skipped}")
    }
    if settled:
        _restamp_settled_drafts(sources, known, current)
    changed = [
        s for p, s in current.items() if rebuild or known.get(p, ("",))[1:] != (s.size, s.mtime_ns)
    ]
    gone = [path for path in known if path not in current]
    report = RefreshReport(removed=len(gone))
    if not changed and not gone and _get_meta(connection, "runs_stamp") == stamp:
        return report
    with connection:
        for path in gone:
            _forget(connection, path)
        (rowid,) = connection.execute("SELECT coalesce(max(last_rowid), 0) FROM files").fetchone()
        for source in changed:
            rowid = _index_file(connection, source, report, int(rowid) + 1)
        _set_meta(connection, "runs_stamp", stamp)
    return report


def _runs_stamp(sources: SourceSet) -> str:
    """The runs folder's modification time, when it is old enough to trust (a file added in
    the same clock tick as the last look would not change it), else ``""``."""
    try:
        modified = os.stat(sources.runs).st_mtime_ns
    except OSError:
        return ""
    return str(modified) if time.time_ns() - modified > SETTLED_NS else ""


def _restamp_settled_drafts(
    sources: SourceSet, known: dict[str, tuple[str, int, int]], current: dict[str, Source]
) -> None:
    prefix = sources.runs_prefix
    for path, (kind, _size, _mtime) in known.items():
        if path.startswith(prefix) and path not in current:
            now = sources.stamp(kind, path)
            if now is not None:
                current[path] = now


def _forget(connection: sqlite3.Connection, path: str) -> None:
    """Drop a file's passages (by their rowids: the path column has no index) and its row."""
    row = connection.execute(
        "SELECT first_rowid, last_rowid FROM files WHERE path = ?", (path,)
    ).fetchone()
    if row is not None:
        connection.execute("DELETE FROM passages WHERE rowid BETWEEN ? AND ?", row)
        connection.execute("DELETE FROM files WHERE path = ?", (path,))


def _index_file(
    connection: sqlite3.Connection, source: Source, report: RefreshReport, first: int
) -> int:
    """Index one file's passages from rowid ``first`` on; the last rowid used."""
    from drillbook.kb.extract import passages_of  # the runbook models cost a third of a second

    _forget(connection, source.path)
    found, problems = passages_of(source)
    report.problems.extend(problems)
    connection.executemany(
        f"INSERT INTO passages (rowid, {_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [_row(first + n, p) for n, p in enumerate(found)],
    )
    last = first + len(found) - 1
    connection.execute(
        "INSERT INTO files VALUES (?, ?, ?, ?, ?, ?)",
        (source.path, source.kind, source.size, source.mtime_ns, first, last),
    )
    report.files += 1
    report.passages += len(found)
    return max(last, first - 1)
