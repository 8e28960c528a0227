"""Lint a tree: find the YAML files, load each as a runbook or a drill, run every rule, drop
suppressed findings and sort the rest. Nothing here raises, whatever the files hold: a file
that cannot be read or parsed is a ``schema`` finding, and a rule that breaks on a file is
an ``internal-error`` finding naming the rule.

Which format a file is: a mapping with ``runbook:`` is a drill; one with ``steps:``,
``verification:`` or ``scenario:`` is a runbook; otherwise the directory it sits in decides
(``drills/``, ``runbooks/``). On-call files (``oncall.yaml``, or files in ``oncall/``) are
linted by drillbook.oncall.lint. Other files (environments, detection rules, CI
configuration) are skipped for now: lint has no rules for them yet.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from drillbook.formats.drill import Drill
from drillbook.formats.loader import validate_document
from drillbook.formats.runbook import Runbook
from drillbook.formats.yaml_source import load_yaml_file
from drillbook.lint.document import Kind, LintDocument, split_lines
from drillbook.lint.finding import Finding, Severity
from drillbook.lint.rules import FILE_RULES, TREE_RULES, LintOptions
from drillbook.lint.rules.schema import findings_from_error
from drillbook.lint.suppress import unsuppressed

YAML_SUFFIXES = (".yaml", ".yml")
_SKIPPED_DIRECTORIES = frozenset({"node_modules", "__pycache__", "venv", "site-packages"})
_RUNBOOK_KEYS = frozenset({"steps", "verification", "scenario"})
_DIRECTORY_KINDS: dict[str, Kind | None] = {
    "runbooks": "runbook",
    "drills": "drill",
    # other drillbook formats, not linted yet
    "environments": None,
    "oncall": None,
    "detection": None,
}
_OTHER_FORMAT_FILES = frozenset({"oncall.yaml", "oncall.yml", "drillbook.yaml", "drillbook.yml"})


@dataclass(frozen=True)
class LintReport:
    """The findings of one lint run and the files it linted as runbooks or drills."""

    findings: list[Finding]
    files: list[Path]


@dataclass(frozen=True)
class _Candidate:
    path: Path
    directories: tuple[str, ...]  # names of the directories it sits in, outermost first


def lint_paths(paths: Sequence[Path | str], *, check_path_commands: bool = True) -> list[Finding]:
    """Lint the files and directories in ``paths``; findings sorted by path, line, column."""
    return run_lint(paths, check_path_commands=check_path_commands).findings


def run_lint(paths: Sequence[Path | str], *, check_path_commands: bool = True) -> LintReport:
    """Lint ``paths`` and say which files were linted (for the summary line)."""
    options = LintOptions(check_path_commands=check_path_commands)
    candidates, findings = collect(paths)
    documents: list[LintDocument] = []
    lines: dict[Path, list[str]] = {}
    for candidate in candidates:
        if _is_oncall(candidate):
            path = candidate.path
            lines[path] = _read_lines(path)
            findings.extend(_safely("oncall", path, _lint_oncall, path, options))
            continue
        document, load_findings, text_lines = _load(candidate)
        if document is not None or load_findings:
            lines[candidate.path] = text_lines
            findings.extend(load_findings)
        if document is not None:
            documents.append(document)
            findings.extend(_file_findings(document, options))
    for name, tree_rule in TREE_RULES.items():
        findings.extend(_safely(name, Path("."), tree_rule, documents, options))
    return LintReport(sorted(set(_without_suppressed(findings, lines))), list(lines))


def _file_findings(document: LintDocument, options: LintOptions) -> list[Finding]:
    return [
        finding
        for name, rule in FILE_RULES.items()
        for finding in _safely(name, document.path, rule, document, options)
    ]


def _without_suppressed(findings: list[Finding], lines: dict[Path, list[str]]) -> list[Finding]:
    by_path: dict[Path, list[Finding]] = {}
    for finding in findings:
        by_path.setdefault(finding.path, []).append(finding)
    return [
        kept for path, group in by_path.items() for kept in unsuppressed(group, lines.get(path, []))
    ]


# -- finding the files ---------------------------------------------------------------------


def collect(paths: Sequence[Path | str]) -> tuple[list[_Candidate], list[Finding]]:
    """The YAML files under ``paths`` (each once), and a finding for each path not there."""
    candidates: list[_Candidate] = []
    missing: list[Finding] = []
    seen: set[Path] = set()
    for given in paths:
        path = Path(given)
        if path.is_dir():
            found = list(_walk(path))
        elif path.exists():
            found = [_Candidate(path, (_name(path.parent),))]
        else:
            missing.append(
                Finding(
                    path,
                    1,
                    1,
                    "schema",
                    Severity.ERROR,
                    "no such file or directory; check the path",
                )
            )
            continue
        for candidate in found:
            key = _identity(candidate.path)
            if key not in seen:
                seen.add(key)
                candidates.append(candidate)
    return candidates, missing


def _walk(root: Path) -> Iterable[_Candidate]:
    for directory, subdirectories, names in os.walk(root):
        subdirectories[:] = sorted(
            name
            for name in subdirectories
            if not name.startswith(".") and name not in _SKIPPED_DIRECTORIES
        )
        relative = Path(directory).relative_to(root).parts
        for name in sorted(names):
            if name.endswith(YAML_SUFFIXES):
                yield _Candidate(Path(directory) / name, (_name(root), *relative))


def _name(directory: Path) -> str:
    try:
        return directory.resolve().name
    except OSError:
        return directory.name


def _identity(path: Path) -> Path:
    try:
        return path.resolve()
    except OSError:
        return path.absolute()


# -- loading -------------------------------------------------------------------------------


def _load(candidate: _Candidate) -> tuple[LintDocument | None, list[Finding], list[str]]:
    """The document (None when it is no runbook or drill), load findings and raw lines."""
    path = candidate.path
    lines = _read_lines(path)
    try:
        loaded = load_yaml_file(path)
    except Exception as error:  # LoadError, or whatever a hostile file provokes
        return None, findings_from_error(path, error), lines
    kind = _classify(loaded.data, candidate)
    if kind is None:
        return None, [], lines
    data = loaded.data if isinstance(loaded.data, dict) else {}
    document = LintDocument(path, kind, lines, data, loaded.source)
    try:
        if kind == "runbook":
            document.runbook = validate_document(loaded.data, loaded.source, Runbook, kind).model
        else:
            document.drill = validate_document(loaded.data, loaded.source, Drill, kind).model
    except Exception as error:
        return document, findings_from_error(path, error), lines
    return document, [], lines


def _is_oncall(candidate: _Candidate) -> bool:
    """``oncall.yaml``, or a file whose innermost known directory is ``oncall/``."""
    if candidate.path.name in ("oncall.yaml", "oncall.yml"):
        return True
    known = [name for name in candidate.directories if name in _DIRECTORY_KINDS]
    return bool(known) and known[-1] == "oncall"


def _lint_oncall(path: Path, options: LintOptions) -> list[Finding]:
    from drillbook.oncall.lint import lint_oncall  # it imports drillbook.lint: not at the top

    return lint_oncall(path)


def _read_lines(path: Path) -> list[str]:
    try:
        return split_lines(path.read_text(encoding="utf-8", errors="replace"))
    except OSError:
        return []


def _classify(data: Any, candidate: _Candidate) -> Kind | None:
    if isinstance(data, dict):
        if "runbook" in data:
            return "drill"
        if _RUNBOOK_KEYS & data.keys():
            return "runbook"
    if candidate.path.name in _OTHER_FORMAT_FILES:
        return None
    for directory in reversed(candidate.directories):
        if directory in _DIRECTORY_KINDS:
            return _DIRECTORY_KINDS[directory]
    return None


# -- running rules -------------------------------------------------------------------------


def _safely(
    name: str,
    path: Path,
    rule: Callable[[Any, LintOptions], Iterable[Finding]],
    subject: Any,
    options: LintOptions,
) -> list[Finding]:
    """The rule's findings; a rule that breaks becomes one finding instead of a traceback."""
    try:
        return list(rule(subject, options))
    except Exception as error:
        return [
            Finding(
                path,
                1,
                1,
                "internal-error",
                Severity.ERROR,
                f"lint rule {name} failed ({type(error).__name__}: {error}); "
                "please report this with the file",
            )
        ]
