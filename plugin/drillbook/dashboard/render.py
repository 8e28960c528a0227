"""Writing the dashboard's pages: jinja2 templates with autoescape always on.

The site is flat (every page next to ``index.html``) so relative links work from ``file://``
and from any web server path; ``dashboard.css`` and the knowledge base's ``kb-search.js`` sit
beside the pages. Pages of scenarios no longer in the history are removed on a rebuild.
"""

from __future__ import annotations

import os
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from drillbook import __version__
from drillbook.dashboard import view
from drillbook.dashboard.data import TIMELINE_ENTRIES, DashboardData

STYLESHEET = "dashboard.css"
PAGES = {
    "index.html": "index.html",
    "incidents.html": "incidents.html",
    "actions.html": "actions.html",
    "runbooks.html": "runbooks.html",
    "signoff.html": "signoff.html",
}
_SCENARIO_PATTERN = "scenario-*.html"


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("drillbook.dashboard", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.globals.update(
        badge=view.badge,
        when=view.when,
        seconds=view.seconds,
        percent=view.percent,
        charts=view.scenario_charts,
        version=__version__,
        timeline_cap=TIMELINE_ENTRIES,
    )
    return env


def render_pages(data: DashboardData) -> dict[str, str]:
    """File name -> content of every file of the site."""
    env = environment()
    context: dict[str, Any] = {
        "d": data,
        "ago": lambda at: view.ago(at, data.now),
        "today": data.now.date(),
        "overdue_count": lambda items: sum(item.overdue(data.now.date()) for item in items),
        "search": bool(data.search_assets),
        "rel": lambda path: view.relative(path, data.workspace.root),
    }
    files: dict[str, str] = {STYLESHEET: env.get_template(STYLESHEET).render()}
    for name, template in PAGES.items():
        files[name] = env.get_template(template).render(page=name, **context)
    scenario_template = env.get_template("scenario.html")
    for scenario in data.scenarios:
        files[scenario.page] = scenario_template.render(page=scenario.page, s=scenario, **context)
    files.update(data.search_assets)
    return files


def write_site(data: DashboardData, out: Path) -> list[Path]:
    """Write the site into ``out`` (created when missing); the paths written, index first."""
    files = render_pages(data)
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob(_SCENARIO_PATTERN):
        if old.name not in files:
            old.unlink()
    written = []
    for name in sorted(files, key=lambda n: (n != "index.html", n)):
        _write(out / name, files[name])
        written.append(out / name)
    return written


def _write(path: Path, text: str) -> None:
    """Write through a temporary file, so a reader (a web server) never sees half a page."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
