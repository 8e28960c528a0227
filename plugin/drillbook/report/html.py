"""The HTML drill report: one self-contained page rendered with escaping always on."""

from __future__ import annotations

from functools import cache
from typing import Any

import jinja2

from drillbook.report.view import report_view

TEMPLATE = "report.html"


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("drillbook.report", "templates"),
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("html",), default_for_string=True, default=True
        ),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render_html(report: dict[str, Any]) -> str:
    """The report document (from ``build_report``) as a standalone HTML page."""
    return _environment().get_template(TEMPLATE).render(r=report_view(report))
