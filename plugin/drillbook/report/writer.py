"""Writing one report as JSON, Markdown and HTML side by side, each file atomically."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from drillbook.report.atomic import write_text_atomic
from drillbook.report.html import render_html
from drillbook.report.markdown import render_markdown
from drillbook.report.model import ReportPaths

_BASENAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


def write_reports(
    directory: Path, report: dict[str, Any], *, basename: str = "drill-report"
) -> ReportPaths:
    """Write ``basename.json``, ``.md`` and ``.html`` into ``directory``; return their paths.

    All three are rendered before any is written, so a rendering error leaves no partial set.
    """
    if not _BASENAME.fullmatch(basename):
        raise ValueError(
            f"report basename {basename!r} must be a plain file name "
            "(letters, digits, '_', '.', '-'; no folders)"
        )
    texts = {
        ".json": json.dumps(report, indent=2, ensure_ascii=False) + "\n",
        ".md": render_markdown(report),
        ".html": render_html(report),
    }
    paths = {suffix: directory / f"{basename}{suffix}" for suffix in texts}
    for suffix, text in texts.items():
        write_text_atomic(paths[suffix], text)
    return ReportPaths(json=paths[".json"], markdown=paths[".md"], html=paths[".html"])
