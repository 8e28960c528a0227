"""The ``drillbook`` command. Each subcommand lives in its own module and registers itself."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from drillbook import __version__
from drillbook.errors import DrillbookError

# name -> module exposing ``register(subparsers) -> None``; each sets ``func(args) -> int``.
SUBCOMMANDS = {
    "lint": "drillbook.lint.command",
    "schema": "drillbook.formats.schema",
    "run": "drillbook.interactive",
    "toxiproxy": "drillbook.faults.server.command",
    "fake": "drillbook.fakes.command",
    "oncall": "drillbook.oncall.command",
    "postmortem": "drillbook.postmortem.command",
    "signoff": "drillbook.signoff.command",
    "verify": "drillbook.signoff.verify_command",
    "history": "drillbook.history.command",
    "kb": "drillbook.kb.command",
    "dashboard": "drillbook.dashboard.command",
}


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser; with ``argv`` naming a subcommand, only that subcommand's module is
    imported (a start-up of tens of milliseconds instead of a second for all of them)."""
    parser = argparse.ArgumentParser(
        prog="drillbook",
        description="Runbooks as tested code: lint them, drill them, run them during incidents.",
    )
    parser.add_argument("--version", action="version", version=f"drillbook {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    chosen = _chosen_subcommand(argv)
    for name, module_name in SUBCOMMANDS.items():
        if chosen is not None and name != chosen:
            continue
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            _register_unavailable(subparsers, name, exc)
            continue
        module.register(subparsers)
    return parser


def _chosen_subcommand(argv: Sequence[str] | None) -> str | None:
    """The known subcommand ``argv`` names (its first word), or None (help, a mistake)."""
    words = [word for word in (argv or []) if not word.startswith("-")]
    return words[0] if words and words[0] in SUBCOMMANDS else None


def _register_unavailable(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser], name: str, exc: ImportError
) -> None:
    """A subcommand whose module cannot be imported still answers, with the reason, while
    every other subcommand keeps working: a broken dashboard must not take `drillbook run`
    down during an incident."""
    reason = f"drillbook {name} is unavailable: {exc}; reinstall drillbook (pip install -e .)"
    sub = subparsers.add_parser(name, help=f"(unavailable: {exc})", add_help=False)
    sub.set_defaults(func=lambda _args: _fail(reason), takes_any_arguments=True)


def _fail(reason: str) -> int:
    print(f"drillbook: {reason}", file=sys.stderr)
    return 2


def main(argv: Sequence[str] | None = None) -> int:
    arguments = sys.argv[1:] if argv is None else list(argv)
    if arguments == ["--version"]:  # answered without importing any subcommand
        print(f"drillbook {__version__}")
        return 0
    parser = build_parser(arguments)
    args, unknown = parser.parse_known_args(arguments)
    if unknown and not getattr(args, "takes_any_arguments", False):
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args))
    except DrillbookError as exc:
        print(f"drillbook: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("drillbook: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
