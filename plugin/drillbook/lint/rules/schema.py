"""``schema``: a file that cannot be read, parsed or validated, one finding per problem."""

from __future__ import annotations

from pathlib import Path

from drillbook.errors import LoadError, LoadErrors
from drillbook.lint.finding import Finding, Severity

RULE = "schema"


def findings_from_error(path: Path, error: BaseException) -> list[Finding]:
    """The findings for what loading ``path`` raised; positions come from the loader."""
    if isinstance(error, LoadErrors):
        return [finding for inner in error.errors for finding in findings_from_error(path, inner)]
    if isinstance(error, LoadError):
        return [Finding(path, error.line, error.column, RULE, Severity.ERROR, error.message)]
    if isinstance(error, RecursionError):
        message = "the file nests too deeply to read; flatten its structure"
    else:
        message = f"cannot read this file ({type(error).__name__}: {error}); fix its YAML"
    return [Finding(path, 1, 1, RULE, Severity.ERROR, message)]
