"""One thing ``drillbook postmortem check`` found still to do, at its line and column."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Finding:
    """A gap in a post-mortem: 1-based line and column, and what to do about it."""

    line: int
    column: int
    message: str

    def format(self, path: str) -> str:
        """``path:line:column: message``, as compilers and editors expect."""
        return f"{path}:{self.line}:{self.column}: {self.message}"
