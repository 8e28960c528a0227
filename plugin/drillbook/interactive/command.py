"""``drillbook run RUNBOOK``: the command line of the interactive incident runner."""

from __future__ import annotations

import argparse
import contextlib
import getpass
import os
import signal
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType

from drillbook.drill.clock import Clock, RealClock
from drillbook.errors import DrillbookError
from drillbook.formats.loader import Loaded, load_runbook
from drillbook.formats.runbook import Runbook
from drillbook.history.recording import record_run
from drillbook.interactive import render
from drillbook.interactive.flow import IncidentRun, RunSettings
from drillbook.interactive.locate import find_runbook
from drillbook.interactive.prompter import ConsolePrompter, Prompter
from drillbook.interactive.timeline import Timeline, default_timeline_path
from drillbook.interactive.variables import Variables, gather_variables, parse_assignments
from drillbook.kb.linking import postmortems_block
from drillbook.steps.executor import StepExecutor
from drillbook.steps.masking import Masker

make_prompter: Callable[[], Prompter] = ConsolePrompter
"""What asks the responder; tests replace it with a scripted prompter."""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``drillbook run PATH_OR_ID [options]``."""
    parser = subparsers.add_parser(
        "run",
        help="step through a runbook during an incident",
        description="Show each step of a runbook, ask before running it, offer rollbacks on "
        "failure, run the verification checks and write a timeline of what was done.",
    )
    parser.add_argument("runbook", metavar="PATH_OR_ID", help="a runbook file or a runbook id")
    parser.add_argument(
        "--runbooks",
        type=Path,
        default=Path("runbooks"),
        metavar="DIR",
        help="where to look up a runbook id (default: ./runbooks)",
    )
    parser.add_argument(
        "--var",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a value for the runbook's commands (repeatable)",
    )
    parser.add_argument(
        "--yes",
        action="store_true",
        help="run every step without asking; on a failure roll back and stop",
    )
    parser.add_argument("--dry-run", action="store_true", help="show what would run, run nothing")
    parser.add_argument(
        "--timeline",
        type=Path,
        metavar="FILE",
        help="where to write the timeline JSON "
        "(default: reports/incidents/<runbook-id>-<UTC time>.json)",
    )
    parser.add_argument("--operator", metavar="NAME", help="who is running it (default: $USER)")
    parser.add_argument(
        "--history",
        type=Path,
        metavar="PATH",
        help="the history store the incident is added to (default: reports/history.sqlite)",
    )
    parser.add_argument(
        "--from-step",
        type=int,
        metavar="N",
        help="start at step N; earlier steps are recorded as skipped",
    )
    parser.set_defaults(func=run_command)


def run_command(args: argparse.Namespace) -> int:
    """Load, resolve vars, then step through the runbook; the exit status of the run."""
    prompter = make_prompter()
    loaded = load_runbook(find_runbook(args.runbook, args.runbooks))
    runbook = loaded.model
    _check_from_step(runbook, args.from_step)
    assignments = parse_assignments(args.var)
    prompter.show(render.header(runbook, str(loaded.path)))
    if related := postmortems_block(runbook.title, runbook.scenario or ""):
        prompter.show(related)
    variables = gather_variables(
        runbook,
        assignments=assignments,
        environ=os.environ,
        prompter=prompter,
        ask=not args.dry_run,
    )
    masker = Masker.for_environment({**os.environ, **variables.values}, runbook.secret_names())
    described = variables.described(masker, runbook.secret_names())
    prompter.show(masker.mask(render.vars_block(described, variables.missing)))
    clock = RealClock()
    timeline = _timeline(args, loaded, masker, clock, described)
    timeline.save()
    settings = RunSettings(assume_yes=args.yes, dry_run=args.dry_run, from_step=args.from_step)
    with (
        _executor(loaded, variables, masker, clock, args.dry_run) as executor,
        _termination_interrupts(),
    ):
        run = IncidentRun(
            loaded,
            executor=executor,
            prompter=prompter,
            timeline=timeline,
            masker=masker,
            clock=clock,
            settings=settings,
        )
        status = run.run()
    record_run(timeline, args.history)
    return status.exit_code


@contextlib.contextmanager
def _termination_interrupts() -> Iterator[None]:
    """SIGTERM and SIGHUP (a closed terminal) end the run as Ctrl-C does: the running step is
    stopped, its process group killed and the timeline written as ``interrupted``."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signals = (signal.SIGTERM, signal.SIGHUP)
    previous = {signum: signal.signal(signum, interrupt) for signum in signals}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _check_from_step(runbook: Runbook, first: int | None) -> None:
    if first is None:
        return
    orders = [step.order for step in runbook.steps]
    if not min(orders) <= first <= max(orders):
        raise DrillbookError(
            f"--from-step {first}: runbook {runbook.id!r} has steps {min(orders)} to {max(orders)}"
        )


def _timeline(
    args: argparse.Namespace,
    loaded: Loaded[Runbook],
    masker: Masker,
    clock: Clock,
    described: dict[str, dict[str, str]],
) -> Timeline:
    """The timeline to fill; a dry run writes one only when --timeline names a file."""
    started = clock.now()
    runbook = loaded.model
    path: Path | None = args.timeline
    if path is None and not args.dry_run:
        path = default_timeline_path(runbook.id, started)
    return Timeline(
        path=path,
        masker=masker,
        runbook={
            "id": runbook.id,
            "title": runbook.title,
            "severity": runbook.severity,
            "file": str(loaded.path),
        },
        operator=args.operator or _user(),
        started_at=started,
        dry_run=args.dry_run,
        variables=described,
    )


def _executor(
    loaded: Loaded[Runbook], variables: Variables, masker: Masker, clock: Clock, dry_run: bool
) -> StepExecutor:
    """Commands run in the runbook's directory, as in drills."""
    return StepExecutor(
        env=variables.values,
        masker=masker,
        clock=clock,
        cwd=loaded.path.parent.resolve(),
        dry_run=dry_run,
        file=str(loaded.path),
    )


def _user() -> str:
    try:
        return os.environ.get("USER") or getpass.getuser()
    except (OSError, KeyError):
        return "unknown"
