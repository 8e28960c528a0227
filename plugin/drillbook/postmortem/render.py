"""Post-mortem Markdown from facts, through the package's Jinja template.

Values reach the template only through ``md_escape`` (as in the Markdown drill report), so
pipes, backticks and HTML in a title or an event show as text; only ``prompt()`` and the
template itself write Markdown.
"""

from __future__ import annotations

from functools import cache

import jinja2

from drillbook.postmortem.facts import PostmortemFacts
from drillbook.postmortem.prompts import prompt
from drillbook.postmortem.view import postmortem_view
from drillbook.report.markdown import md_escape

TEMPLATE = "postmortem.md"


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("drillbook.postmortem", "templates"),
        autoescape=False,  # Markdown, not HTML: md_escape does the escaping
        finalize=md_escape,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.globals["prompt"] = prompt
    return env


def render_postmortem(facts: PostmortemFacts) -> str:
    """The post-mortem draft for ``facts``: what they know filled in, prompts for the rest."""
    return _environment().get_template(TEMPLATE).render(v=postmortem_view(facts))


def blank_postmortem() -> str:
    """The template with nothing filled in (docs/postmortem-template.md is this text)."""
    return render_postmortem(PostmortemFacts(kind="incident", source=""))
