"""Report fragments: each xdist worker writes its own drills, the controller merges them."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from drillbook.drill.result import DrillOutcome, DrillResult
from drillbook.errors import DrillbookError
from drillbook.report.atomic import write_text_atomic
from drillbook.report.model import REPORT_SCHEMA_VERSION

FRAGMENTS_DIR = "fragments"
_WORKER_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
_OUTCOMES = frozenset(o.value for o in DrillOutcome)


def fragments_dir(directory: Path) -> Path:
    """The folder under a report directory that holds one fragment file per worker."""
    return directory / FRAGMENTS_DIR


def write_fragment(directory: Path, worker_id: str, results: Sequence[DrillResult]) -> Path:
    """Write a worker's results to ``directory/fragments/<worker_id>.json``, atomically.

    The file holds the worker's whole list; writing again replaces it.
    """
    if not _WORKER_ID.fullmatch(worker_id):
        raise ValueError(
            f"worker id {worker_id!r} cannot name a fragment file: "
            "use letters, digits, '_', '.' or '-' (like 'gw0' or 'master')"
        )
    document = {
        "schema_version": REPORT_SCHEMA_VERSION,
        "worker_id": worker_id,
        "drills": [result.to_dict() for result in results],
    }
    path = fragments_dir(directory) / f"{worker_id}.json"
    return write_text_atomic(path, json.dumps(document, indent=1, ensure_ascii=False) + "\n")


def clear_fragments(directory: Path) -> None:
    """Remove the fragments a previous session left, so they are not merged into this one."""
    for path in _fragment_files(directory):
        path.unlink(missing_ok=True)


def merge_fragments(directory: Path) -> list[dict[str, Any]]:
    """All fragments' drill dicts, sorted by (started_at, drill_id).

    A fragment that cannot be read raises DrillbookError naming the file: a worker's drills
    are never silently dropped from the report.
    """
    keyed: list[tuple[datetime, str, dict[str, Any]]] = []
    for path in _fragment_files(directory):
        for drill in _read_fragment(path):
            keyed.append((_started(path, drill), drill["drill_id"], drill))
    keyed.sort(key=lambda item: (item[0], item[1]))
    return [drill for _, _, drill in keyed]


def _fragment_files(directory: Path) -> list[Path]:
    folder = fragments_dir(directory)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob("*.json") if not p.name.startswith("."))


def _corrupt(path: Path, reason: str) -> DrillbookError:
    return DrillbookError(
        f"{path}: corrupt drill report fragment: {reason}. "
        "Its worker's drills cannot be reported; rerun the drills (the file is kept for inspection)"
    )


def _read_fragment(path: Path) -> list[dict[str, Any]]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise _corrupt(path, f"cannot read it ({exc})") from exc
    except json.JSONDecodeError as exc:
        reason = f"not JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        raise _corrupt(path, reason) from exc
    if not isinstance(document, dict) or not isinstance(document.get("drills"), list):
        raise _corrupt(path, "expected an object with a 'drills' list")
    version = document.get("schema_version")
    if version != REPORT_SCHEMA_VERSION:
        raise _corrupt(path, f"schema_version {version!r}, expected {REPORT_SCHEMA_VERSION!r}")
    drills: list[dict[str, Any]] = document["drills"]
    for index, drill in enumerate(drills):
        _check_drill(path, index, drill)
    return drills


def _check_drill(path: Path, index: int, drill: object) -> None:
    where = f"drill #{index + 1}"
    if not isinstance(drill, dict):
        raise _corrupt(path, f"{where} is not an object")
    for key in ("drill_id", "title", "started_at", "ended_at", "outcome"):
        if not isinstance(drill.get(key), str):
            raise _corrupt(path, f"{where} has no text '{key}'")
    if drill["outcome"] not in _OUTCOMES:
        raise _corrupt(path, f"{where} has unknown outcome {drill['outcome']!r}")
    for key in ("phases", "timeline", "tags"):
        if not isinstance(drill.get(key), list):
            raise _corrupt(path, f"{where} has no '{key}' list")
    if not isinstance(drill.get("metrics"), dict):
        raise _corrupt(path, f"{where} has no 'metrics' object")


def _started(path: Path, drill: dict[str, Any]) -> datetime:
    try:
        started = datetime.fromisoformat(drill["started_at"])
    except ValueError as exc:
        raise _corrupt(path, f"drill {drill['drill_id']!r} has a bad started_at") from exc
    return started if started.tzinfo else started.replace(tzinfo=UTC)
