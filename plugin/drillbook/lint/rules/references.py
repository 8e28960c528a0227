"""Rules across files: ``duplicate-id`` (two runbooks, or two drills, with one id) and
``unknown-runbook`` (a drill's ``runbook:`` names no runbook)."""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Sequence
from pathlib import Path

from drillbook.lint.document import Kind, LintDocument, read_data
from drillbook.lint.finding import Finding, Severity
from drillbook.lint.rules.base import LintOptions

_NEARBY_LEVELS = 3
_NEARBY_FILES = 500


def _declared_id(document: LintDocument, key: str = "id") -> str | None:
    value = document.data.get(key)
    return value if isinstance(value, str) and value else None


def check_duplicate_ids(
    documents: Sequence[LintDocument], options: LintOptions
) -> Iterator[Finding]:
    for kind in ("runbook", "drill"):
        groups: dict[str, list[LintDocument]] = {}
        for document in documents:
            identifier = _declared_id(document)
            if document.kind == kind and identifier:
                groups.setdefault(identifier, []).append(document)
        for identifier, group in groups.items():
            if len(group) > 1:
                yield from _duplicates(kind, identifier, group)


def _duplicates(kind: Kind, identifier: str, group: list[LintDocument]) -> Iterator[Finding]:
    for document in group:
        others = [other for other in group if other is not document]
        first = others[0]
        more = f" and {len(others) - 1} more" if len(others) > 1 else ""
        yield document.finding(
            ("id",),
            "duplicate-id",
            Severity.ERROR,
            f"{kind} id `{identifier}` is also used by {first.path}:{first.source.line(('id',))}"
            f"{more}; give each {kind} its own id",
        )


def check_runbook_references(
    documents: Sequence[LintDocument], options: LintOptions
) -> Iterator[Finding]:
    known = {
        identifier
        for document in documents
        if document.kind == "runbook" and (identifier := _declared_id(document))
    }
    nearby_cache: dict[Path, set[str]] = {}
    for document in documents:
        wanted = _declared_id(document, "runbook")
        if document.kind != "drill" or not wanted or wanted in known:
            continue
        nearby, searched = _nearby_ids(document.path, nearby_cache)
        if wanted in nearby:
            continue
        yield document.finding(
            ("runbook",),
            "unknown-runbook",
            Severity.ERROR,
            _message(wanted, sorted(known | nearby), searched),
        )


def _message(wanted: str, candidates: list[str], searched: list[Path]) -> str:
    close = difflib.get_close_matches(wanted, candidates, n=1)
    places = "the linted files" + "".join(f", {directory}" for directory in searched)
    hint = (
        f"did you mean `{close[0]}`?"
        if close
        else "write the `id` of an existing runbook, or lint the runbooks together with it"
    )
    return f"no runbook has id `{wanted}` (looked in {places}); {hint}"


def _nearby_ids(drill: Path, cache: dict[Path, set[str]]) -> tuple[set[str], list[Path]]:
    """Ids of the runbooks in ``runbooks/`` directories beside the drill's ancestors."""
    ids: set[str] = set()
    searched: list[Path] = []
    for ancestor in list(drill.resolve().parents)[:_NEARBY_LEVELS]:
        directory = ancestor / "runbooks"
        if not directory.is_dir():
            continue
        searched.append(directory)
        if directory not in cache:
            cache[directory] = _ids_in(directory)
        ids |= cache[directory]
    return ids, searched


def _ids_in(directory: Path) -> set[str]:
    ids: set[str] = set()
    files = sorted(path for path in directory.rglob("*.y*ml") if path.is_file())
    for path in files[:_NEARBY_FILES]:
        data = read_data(path)
        if isinstance(data, dict) and isinstance(data.get("id"), str):
            ids.add(data["id"])
    return ids
