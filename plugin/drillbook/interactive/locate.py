"""Finding the runbook ``drillbook run`` was asked for: a file, or an id under a directory."""

from __future__ import annotations

from pathlib import Path

from drillbook.errors import DrillbookError, LoadError, LoadErrors
from drillbook.formats.yaml_source import load_yaml_file

SUFFIXES = (".yaml", ".yml")


def find_runbook(path_or_id: str, runbooks: Path) -> Path:
    """The file named by ``path_or_id``: an existing file, a path, or a runbook id.

    An id is looked up as ``RUNBOOKS/ID.yaml`` (or ``.yml``), then by the ``id`` key of every
    YAML file under ``runbooks``. Raises DrillbookError listing the ids found when none match.
    """
    given = Path(path_or_id)
    if given.is_file() or _looks_like_path(path_or_id):
        return given
    for suffix in SUFFIXES:
        candidate = runbooks / f"{path_or_id}{suffix}"
        if candidate.is_file():
            return candidate
    ids = _ids_under(runbooks)
    if path_or_id in ids:
        return ids[path_or_id]
    raise DrillbookError(_not_found(path_or_id, runbooks, sorted(ids)))


def _looks_like_path(text: str) -> bool:
    return "/" in text or text.endswith(SUFFIXES)


def _ids_under(runbooks: Path) -> dict[str, Path]:
    """``id -> file`` for every readable YAML file under ``runbooks`` holding an ``id``."""
    found: dict[str, Path] = {}
    if not runbooks.is_dir():
        return found
    files = sorted(path for suffix in SUFFIXES for path in runbooks.rglob(f"*{suffix}"))
    for path in files:
        try:
            data = load_yaml_file(path).data
        except (LoadError, LoadErrors):
            continue  # not our concern here: it is not the runbook asked for
        if isinstance(data, dict) and isinstance(data.get("id"), str):
            found.setdefault(data["id"], path)
    return found


def _not_found(runbook_id: str, runbooks: Path, ids: list[str]) -> str:
    if not runbooks.is_dir():
        return (
            f"no runbook file {runbook_id!r}, and no runbooks directory {runbooks} to look up "
            "the id in; give a file path or --runbooks DIR"
        )
    known = f"; runbooks there: {', '.join(ids)}" if ids else "; it holds no runbooks"
    return f"no runbook with id {runbook_id!r} under {runbooks}{known}"
