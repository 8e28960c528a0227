"""Is the file at the history path a sound drillbook history store? If not, move it aside.

A damaged store is never deleted: it is renamed ``history.sqlite.corrupt-<UTC stamp>`` (with
its journal, if one is left) so whatever it still holds can be recovered by hand. A store a
newer drillbook wrote is refused instead: rebuilding it would throw away what that version keeps.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from drillbook.errors import DrillbookError
from drillbook.history import schema

SQLITE_HEADER = b"SQLite format 3\x00"
_SIDE_FILES = ("-journal", "-wal", "-shm")


class HistoryError(DrillbookError):
    """The history store cannot be used (a newer schema, an unwritable path, ...)."""


@dataclass(frozen=True)
class Damage:
    """What is wrong with the file at the history path, and which file it was (its inode)."""

    reason: str
    inode: int


def diagnose(path: Path, *, busy_timeout: float) -> Damage | None:
    """None when ``path`` is missing, empty or a sound store; else what is wrong with it.

    Raises HistoryError for a store written by a newer drillbook.
    """
    try:
        info = path.stat()
        if info.st_size == 0:
            return None
        with path.open("rb") as handle:
            header = handle.read(len(SQLITE_HEADER))
    except FileNotFoundError:
        return None
    except OSError as error:
        raise HistoryError(f"cannot read the history store {path}: {error.strerror}") from None
    if header != SQLITE_HEADER:
        return Damage("is not an SQLite database", info.st_ino)
    reason = _check(path, busy_timeout)
    return None if reason is None else Damage(reason, info.st_ino)


def _check(path: Path, busy_timeout: float) -> str | None:
    connection = sqlite3.connect(path, timeout=busy_timeout, isolation_level=None)
    try:
        version = int(connection.execute("PRAGMA user_version").fetchone()[0])
        refuse_newer(path, version)
        problems = connection.execute("PRAGMA quick_check(1)").fetchone()
        if problems is None or problems[0] != "ok":
            found = " ".join(str(problems[0] if problems else "no answer").split())
            return f"fails SQLite's integrity check ({found[:200]})"
        return _schema_problem(connection, version)
    except sqlite3.DatabaseError as error:
        return f"cannot be read as a database ({' '.join(str(error).split())[:200]})"
    finally:
        connection.close()


def refuse_newer(path: Path, version: int) -> None:
    """Raise HistoryError when the store's schema is newer than this drillbook reads."""
    if version > schema.SCHEMA_VERSION:
        raise HistoryError(
            f"the history store {path} was written by a newer drillbook (schema version "
            f"{version}; this drillbook reads up to {schema.SCHEMA_VERSION}); upgrade drillbook "
            "or point --history at another file. It was left as it is."
        )


def _schema_problem(connection: sqlite3.Connection, version: int) -> str | None:
    tables = [
        row[0]
        for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    if version == 0:
        # a store whose creation never committed has no tables; anything else is not ours
        return (
            f"holds tables that are not a drillbook history ({', '.join(tables)})"
            if tables
            else None
        )
    for table, expected in schema.TABLES.items():
        if schema.columns_of(connection, table) != expected:
            return f"does not have the history table {table!r} of schema version {version}"
    return None


def move_aside(path: Path, damage: Damage) -> Path | None:
    """Rename the damaged store (and its journal) to ``<name>.corrupt-<UTC stamp>``.

    None when another process moved it first (the file there is no longer the damaged one).
    """
    with contextlib.suppress(FileNotFoundError):
        if path.stat().st_ino != damage.inode:
            return None
        target = free_name(path, "corrupt")
        try:
            os.rename(path, target)
        except FileNotFoundError:
            return None
        except OSError as error:
            raise HistoryError(
                f"the history store {path} {damage.reason}, and it cannot be moved aside "
                f"({error.strerror}); move it away by hand and run `drillbook history rebuild`"
            ) from None
        for suffix in _SIDE_FILES:
            side = path.with_name(path.name + suffix)
            with contextlib.suppress(FileNotFoundError):
                os.rename(side, target.with_name(target.name + suffix))
        return target
    return None


def free_name(path: Path, label: str) -> Path:
    """``<path>.<label>-<UTC stamp>`` (with ``-2``, ``-3``... when taken): never overwrites."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.name}.{label}-{stamp}")
    counter = 2
    while target.exists():
        target = path.with_name(f"{path.name}.{label}-{stamp}-{counter}")
        counter += 1
    return target
