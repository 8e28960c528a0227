"""Everything a drill run needs, loaded and cross-checked before anything starts."""

from __future__ import annotations

import difflib
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from drillbook.errors import LoadError
from drillbook.formats.drill import Drill
from drillbook.formats.environment import Environment
from drillbook.formats.loader import Loaded, load_model, load_runbook, validate_document
from drillbook.formats.runbook import Runbook
from drillbook.formats.yaml_source import SourceMap


@dataclass
class DrillPlan:
    drill: Loaded[Drill]
    runbook: Loaded[Runbook]
    environment: Loaded[Environment] | None


class RunbookIndex:
    """Runbooks by id, found under the given directories, loaded on first use."""

    def __init__(self, directories: Iterable[Path]) -> None:
        self.directories = [d for d in directories if d.is_dir()]
        self._paths: dict[str, Path] | None = None

    def paths(self) -> dict[str, Path]:
        if self._paths is None:
            self._paths = {}
            for directory in self.directories:
                for path in sorted(directory.rglob("*.y*ml")):
                    runbook_id = _declared_id(path)
                    if runbook_id:
                        self._paths.setdefault(runbook_id, path)
        return self._paths

    def load(self, runbook_id: str) -> Loaded[Runbook]:
        path = self.paths().get(runbook_id)
        if path is None:
            raise KeyError(runbook_id)
        return load_runbook(path)


def _declared_id(path: Path) -> str | None:
    """The top-level ``id:`` of a YAML file, read without parsing the whole file."""
    try:
        with path.open(encoding="utf-8", errors="replace") as handle:
            for line in handle:
                if line.startswith("id:"):
                    return line[3:].split("#", 1)[0].strip().strip("'\"") or None
    except OSError:
        return None
    return None


def plan_drill(drill: Loaded[Drill], runbooks: RunbookIndex) -> DrillPlan:
    """Find the drill's runbook and environment; errors point at the drill's own lines."""
    model = drill.model
    try:
        runbook = runbooks.load(model.runbook)
    except KeyError:
        known = sorted(runbooks.paths())
        close = difflib.get_close_matches(model.runbook, known, n=1)
        hint = f"; did you mean `{close[0]}`?" if close else ""
        where = ", ".join(str(d) for d in runbooks.directories) or "no runbook directory"
        raise drill.source.error(
            ("runbook",), f"no runbook with id `{model.runbook}` in {where}{hint}"
        ) from None
    environment = _load_environment(drill) if model.environment else None
    return DrillPlan(drill, runbook, environment)


def _load_environment(drill: Loaded[Drill]) -> Loaded[Environment]:
    name = drill.model.environment
    assert name is not None
    candidates = _environment_candidates(drill.path, name)
    for candidate in candidates:
        if candidate.is_file():
            return load_model(candidate, Environment, "environment")
    from_pyproject = load_pyproject_environment(drill.path, name)
    if from_pyproject is not None:
        return from_pyproject
    tried = ", ".join(str(c) for c in candidates)
    tried += f", and [tool.drillbook.environments.{name}] in pyproject.toml"
    raise LoadError(
        drill.path,
        *drill.source.value_position(("environment",)),
        f"environment `{name}` not found (looked for {tried}); write it there or give a path",
    )


def _environment_candidates(drill_path: Path, name: str) -> list[Path]:
    if name.endswith((".yaml", ".yml")) or "/" in name:
        return [(drill_path.parent / name).resolve()]
    roots = [drill_path.parent, *drill_path.parent.parents][:3]
    found: list[Path] = []
    for root in roots:
        for folder in ("environments", "fixtures/environments"):
            found.append(root / folder / f"{name}.yaml")
    return found


def load_pyproject_environment(drill_path: Path, name: str) -> Loaded[Environment] | None:
    """The environment ``name`` from ``[tool.drillbook.environments.NAME]`` in the nearest
    pyproject.toml above the drill; its directory is the environment's ``{root}``. Errors
    point at the table's header line."""
    for folder in drill_path.resolve().parents:
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file():
            return _environment_table(pyproject, name)
    return None


def _environment_table(pyproject: Path, name: str) -> Loaded[Environment] | None:
    text = pyproject.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise LoadError(pyproject, 1, 1, f"pyproject.toml is not valid TOML: {exc}") from None
    table = data.get("tool", {}).get("drillbook", {}).get("environments", {}).get(name)
    if table is None:
        return None
    source = SourceMap(pyproject)
    _map_positions({"id": name, **table}, (), _table_lines(text, name), source)
    return validate_document({"id": name, **table}, source, Environment, "environment")


def _table_lines(text: str, name: str) -> dict[tuple[str, ...], int]:
    """The line of each ``[tool.drillbook.environments.NAME...]`` header, by its key path."""
    prefix = f"tool.drillbook.environments.{name}"
    lines: dict[tuple[str, ...], int] = {}
    for number, row in enumerate(text.splitlines(), 1):
        header = row.strip()
        if header.startswith("[") and header.endswith("]") and not header.startswith("[["):
            dotted = header.strip("[]").strip()
            if dotted == prefix or dotted.startswith(prefix + "."):
                rest = dotted[len(prefix) + 1 :]
                lines[
                    tuple(part.strip().strip('"') for part in rest.split(".")) if rest else ()
                ] = number
    return lines


def _map_positions(
    value: object,
    key: tuple[str | int, ...],
    headers: dict[tuple[str, ...], int],
    source: SourceMap,
) -> None:
    """TOML keeps no positions: every value gets the line of the nearest table header."""
    names = tuple(part for part in key if isinstance(part, str))
    line = max(
        ((len(path), number) for path, number in headers.items() if names[: len(path)] == path),
        default=(0, 1),
    )[1]
    source.values[key] = (line, 1)
    if key:
        source.keys[key] = (line, 1)
    if isinstance(value, dict):
        for child, item in value.items():
            _map_positions(item, (*key, str(child)), headers, source)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _map_positions(item, (*key, index), headers, source)
