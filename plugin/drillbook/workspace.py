"""Where a team's drillbook files live: runbooks, drills, reports, post-mortems, the on-call
file, the history store and the knowledge-base index.

Defaults suit the layout drillbook suggests; ``[tool.drillbook]`` in ``pyproject.toml`` at the
workspace root overrides them, and ``DRILLBOOK_HISTORY`` moves the history store (a shared
volume, a CI cache). Commands take the workspace from the current directory unless told
otherwise, so ``drillbook dashboard`` and ``pytest drills/`` agree on where things are.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from drillbook.errors import DrillbookError

HISTORY_ENV = "DRILLBOOK_HISTORY"
DEFAULT_STALE_DAYS = 30
_KNOWN_KEYS = {
    "runbooks",
    "drills",
    "reports",
    "postmortems",
    "oncall",
    "history",
    "kb_index",
    "stale_after_days",
}


@dataclass(frozen=True)
class Workspace:
    """The resolved locations of a team's drillbook files (all absolute paths)."""

    root: Path
    runbook_dirs: tuple[Path, ...]
    drill_dirs: tuple[Path, ...]
    reports: Path
    postmortem_dirs: tuple[Path, ...]
    oncall_file: Path | None
    history_path: Path
    kb_index_path: Path
    stale_after: timedelta

    @classmethod
    def discover(
        cls, root: Path | None = None, environ: Mapping[str, str] | None = None
    ) -> Workspace:
        """The workspace rooted at ``root`` (default: the current directory)."""
        base = (root or Path.cwd()).resolve()
        pyproject = _read_pyproject(base / "pyproject.toml")
        settings = _drillbook_table(pyproject, base / "pyproject.toml")
        env = os.environ if environ is None else environ
        return cls._from_settings(base, settings, _pytest_report_dir(pyproject), env)

    @classmethod
    def _from_settings(
        cls,
        base: Path,
        settings: dict[str, Any],
        pytest_reports: str | None,
        env: Mapping[str, str],
    ) -> Workspace:
        reports = base / _text(settings, "reports", pytest_reports or "reports")
        history = env.get(HISTORY_ENV) or _text(settings, "history", "")
        return cls(
            root=base,
            runbook_dirs=_paths(base, settings, "runbooks", ["runbooks"]),
            drill_dirs=_paths(base, settings, "drills", ["drills"]),
            reports=reports,
            postmortem_dirs=_paths(base, settings, "postmortems", ["postmortems"]),
            oncall_file=_oncall(base, settings),
            history_path=(base / history) if history else reports / "history.sqlite",
            kb_index_path=base / _text(settings, "kb_index", str(reports / "kb.sqlite")),
            stale_after=timedelta(days=_days(settings)),
        )

    def postmortem_files(self) -> list[Path]:
        """Post-mortems: Markdown in the post-mortem folders, and drafts under the reports."""
        found: set[Path] = set()
        for folder in self.postmortem_dirs:
            if folder.is_dir():
                found.update(folder.rglob("*.md"))
        if self.reports.is_dir():
            found.update(self.reports.rglob("postmortem-*.md"))
        return sorted(found)


def _read_pyproject(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise DrillbookError(f"{path}: not valid TOML ({exc}); fix the file") from exc


def _drillbook_table(pyproject: dict[str, Any], path: Path) -> dict[str, Any]:
    table = pyproject.get("tool", {}).get("drillbook", {})
    if not isinstance(table, dict):
        raise DrillbookError(f"{path}: [tool.drillbook] must be a table")
    unknown = sorted(set(table) - _KNOWN_KEYS)
    if unknown:
        raise DrillbookError(
            f"{path}: [tool.drillbook] has unknown setting(s) {', '.join(unknown)}; "
            f"known: {', '.join(sorted(_KNOWN_KEYS))}"
        )
    return table


def _pytest_report_dir(pyproject: dict[str, Any]) -> str | None:
    ini = pyproject.get("tool", {}).get("pytest", {}).get("ini_options", {})
    value = ini.get("drillbook_report_dir") if isinstance(ini, dict) else None
    return value if isinstance(value, str) and value else None


def _text(settings: dict[str, Any], key: str, default: str) -> str:
    value = settings.get(key, default)
    if not isinstance(value, str):
        raise DrillbookError(f"[tool.drillbook] {key} must be a path (a string), not {value!r}")
    return value


def _paths(base: Path, settings: dict[str, Any], key: str, default: list[str]) -> tuple[Path, ...]:
    value = settings.get(key, default)
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise DrillbookError(f"[tool.drillbook] {key} must be a path or a list of paths")
    return tuple(base / item for item in value)


def _oncall(base: Path, settings: dict[str, Any]) -> Path | None:
    if "oncall" in settings:
        return base / _text(settings, "oncall", "")
    default = base / "oncall.yaml"
    return default if default.is_file() else None


def _days(settings: dict[str, Any]) -> int:
    value = settings.get("stale_after_days", DEFAULT_STALE_DAYS)
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise DrillbookError(
            f"[tool.drillbook] stale_after_days must be a whole number of days >= 1, not {value!r}"
        )
    return value
