"""``python -m drillbook.fakes NAME``: one stand-in under uvicorn until SIGINT or SIGTERM.

It prints ``drillbook fake NAME listening on http://HOST:PORT`` once it answers (with
``--port 0`` that is where to find it), logs to stdout without an access log, and exits
0 when told to stop, 2 when it cannot start.
"""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Sequence
from types import FrameType
from typing import Any

import uvicorn

from drillbook.errors import DrillbookError
from drillbook.fakes.base import FakeServer
from drillbook.fakes.registry import FAKES, create_app, describe_options, parse_options

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def register(subparsers: Any) -> None:
    """Add the ``fake`` subcommand (for ``drillbook fake NAME``)."""
    parser = subparsers.add_parser(
        "fake",
        help="run a stand-in for a SaaS API",
        description="Run one stand-in for a SaaS API until SIGINT or SIGTERM.",
        epilog=describe_options(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_arguments(parser)
    parser.set_defaults(func=run)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The command's arguments."""
    parser.add_argument("name", choices=sorted(FAKES), help="which stand-in")
    parser.add_argument("--host", default="127.0.0.1", help="address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port (default 0: any free port)")
    parser.add_argument(
        "--option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a stand-in option (repeatable); VALUE env:NAME reads $NAME",
    )
    parser.add_argument("--seed", type=int, help="make ids and fault fractions repeatable")
    parser.add_argument("--log-level", default="info", choices=["debug", "info", "warning"])


class _Server(uvicorn.Server):
    """uvicorn, announcing the bound address once it listens."""

    def __init__(self, config: uvicorn.Config, name: str) -> None:
        super().__init__(config)
        self.fake_name = name

    async def startup(self, sockets: Any = None) -> None:
        await super().startup(sockets=sockets)
        if self.started and self.servers:
            host, port = self.servers[0].sockets[0].getsockname()[:2]
            shown = f"[{host}]" if ":" in host else host
            print(f"drillbook fake {self.fake_name} listening on http://{shown}:{port}", flush=True)


def run(args: argparse.Namespace) -> int:
    """Serve until a signal; 0 then, 2 when the stand-in cannot start."""
    try:
        app = create_app(args.name, seed=args.seed, **parse_options(args.name, args.option))
    except DrillbookError as error:
        print(f"drillbook: {error}", file=sys.stderr)
        return 2
    return serve(app, args.host, args.port, args.log_level)


def serve(app: FakeServer, host: str, port: int, log_level: str = "info") -> int:
    """Run ``app`` under uvicorn on ``host:port`` until SIGINT or SIGTERM."""
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level,
        access_log=False,
        log_config=_log_config(log_level),
        lifespan="on",
    )
    server = _Server(config, app.name)
    # uvicorn re-raises the stopping signal once it has shut down; a quiet handler makes
    # that a clean exit 0 instead of death by SIGTERM.
    previous = {sig: signal.signal(sig, _stopped) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        server.run()
    except SystemExit as exit_:
        print(f"drillbook: the {app.name} stand-in cannot listen on {host}:{port}", file=sys.stderr)
        return 2 if exit_.code else 0
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0 if server.started else 2


def _stopped(signum: int, frame: FrameType | None) -> None:
    """The signal already stopped the server; nothing more to do."""


def _log_config(level: str) -> dict[str, Any]:
    handler = {"class": "logging.StreamHandler", "stream": "ext://sys.stdout", "formatter": "plain"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"plain": {"format": LOG_FORMAT}},
        "handlers": {"stdout": handler},
        "loggers": {
            "uvicorn": {"handlers": ["stdout"], "level": level.upper(), "propagate": False},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
            "drillbook.fakes": {"handlers": ["stdout"], "level": level.upper()},
        },
    }


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m drillbook.fakes NAME [--host H] [--port N] [--option k=v]...``."""
    parser = argparse.ArgumentParser(
        prog="python -m drillbook.fakes",
        description="Run one stand-in for a SaaS API until SIGINT or SIGTERM.",
        epilog=describe_options(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_arguments(parser)
    return run(parser.parse_args(argv))
