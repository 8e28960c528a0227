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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="drillbook",
        description="Runbooks as tested code: lint them, drill them, run them during incidents.",
    )
    parser.add_argument("--version", action="version", version=f"drillbook {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_name in SUBCOMMANDS.values():
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name and module_name.startswith(exc.name):
                continue  # a subcommand not built yet
            raise
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
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
