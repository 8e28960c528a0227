"""The Markdown drill report, readable on GitHub; every value is escaped, none becomes HTML.

Values reach the Markdown template only through ``md_escape`` (the environment's finalize):
Markdown punctuation is backslash-escaped, '<' and '&' included, and a newline becomes the
template's own ``<br>`` so a value can never end a table row or start a block. Text meant
verbatim (commands, output) goes through the ``fence`` filter into a fenced code block.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import jinja2

from drillbook.report.view import report_view

TEMPLATE = "report.md"
_SPECIAL = re.compile(r"[\\`*_\[\]<>|~&$]")
_BACKTICKS = re.compile(r"`+")


class Markdown(str):
    """Text that is already Markdown and must not be escaped again."""

    __slots__ = ()


def md_escape(value: Any) -> str:
    """Plain text as inline Markdown that shows exactly that text, on one source line."""
    if isinstance(value, Markdown):
        return value
    if value is None:
        return ""
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    return _SPECIAL.sub(r"\\\g<0>", text).replace("\n", "<br>")


def fence(value: Any, info: str = "text") -> Markdown:
    """Text as a fenced code block whose fence is longer than any backtick run inside it."""
    text = str(value)
    longest = max((len(run) for run in _BACKTICKS.findall(text)), default=0)
    marks = "`" * max(3, longest + 1)
    return Markdown(f"{marks}{info}\n{text}\n{marks}")


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("drillbook.report", "templates"),
        autoescape=False,  # Markdown, not HTML: md_escape below does the escaping
        finalize=md_escape,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["fence"] = fence
    return env


def render_markdown(report: dict[str, Any]) -> str:
    """The report document (from ``build_report``) as GitHub-flavoured Markdown."""
    return _environment().get_template(TEMPLATE).render(r=report_view(report))
