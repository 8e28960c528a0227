"""Findings as text for people, JSON for programs, and GitHub Actions workflow commands."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Literal

from drillbook.lint.finding import Finding, Severity

Format = Literal["text", "json", "github"]
FORMATS: tuple[Format, ...] = ("text", "json", "github")

_GITHUB_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def format_findings(
    findings: Sequence[Finding], fmt: Format, *, files_checked: int | None = None
) -> str:
    """``findings`` in ``fmt``. The text format ends with a summary line; it counts
    ``files_checked`` files, or when that is not given the files with findings."""
    if fmt == "json":
        return format_json(findings)
    if fmt == "github":
        return "\n".join(format_github(finding) for finding in findings)
    if fmt == "text":
        lines = [str(finding) for finding in findings]
        return "\n".join([*lines, summary(findings, files_checked)])
    raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")


def summary(findings: Sequence[Finding], files_checked: int | None = None) -> str:
    """``3 errors, 2 warnings in 5 files`` (info findings are counted when there are any)."""
    counts = {severity: 0 for severity in Severity}
    for finding in findings:
        counts[finding.severity] += 1
    files = files_checked if files_checked is not None else len({f.path for f in findings})
    parts = [_plural(counts[Severity.ERROR], "error"), _plural(counts[Severity.WARNING], "warning")]
    if counts[Severity.INFO]:
        parts.append(f"{counts[Severity.INFO]} info")
    return f"{', '.join(parts)} in {_plural(files, 'file')}"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def format_json(findings: Sequence[Finding]) -> str:
    records = [
        {
            "path": str(finding.path),
            "line": finding.line,
            "column": finding.column,
            "rule": finding.rule,
            "severity": str(finding.severity),
            "message": finding.message,
        }
        for finding in findings
    ]
    return json.dumps(records, indent=2, ensure_ascii=False)


def format_github(finding: Finding) -> str:
    """One ``::error file=...,line=...,col=...,title=...::message`` workflow command."""
    properties = ",".join(
        f"{name}={_escape_property(value)}"
        for name, value in (
            ("file", str(finding.path)),
            ("line", str(finding.line)),
            ("col", str(finding.column)),
            ("title", finding.rule),
        )
    )
    level = _GITHUB_LEVEL[finding.severity]
    return f"::{level} {properties}::{_escape_data(finding.message)}"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")
