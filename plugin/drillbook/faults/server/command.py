"""``drillbook toxiproxy``: the toxiproxy-compatible server, standalone, until SIGINT/SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from drillbook.errors import DrillbookError
from drillbook.faults.server.app import ToxiproxyApp, finish_tasks, new_event_loop


def register(subparsers: Any) -> None:
    """Add the ``toxiproxy`` subcommand."""
    parser = subparsers.add_parser(
        "toxiproxy",
        help="run a toxiproxy-compatible server",
        description="Run a toxiproxy 2.x compatible server until SIGINT or SIGTERM.",
    )
    add_arguments(parser)
    parser.set_defaults(func=run)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The command's options."""
    parser.add_argument("--host", default="127.0.0.1", help="API address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8474, help="API port (default 8474; 0: any)")
    parser.add_argument(
        "--config", type=Path, help="JSON file with a list of proxies to create at start"
    )
    parser.add_argument(
        "--relay-loops",
        type=int,
        metavar="N",
        help="event loops (threads) relaying connections (default 1)",
    )


def run(args: argparse.Namespace) -> int:
    """Serve until a signal asks to stop; 0 then, 2 when the server cannot start."""
    loop = new_event_loop()
    try:
        return loop.run_until_complete(serve(args.host, args.port, args.config, args.relay_loops))
    finally:
        finish_tasks(loop)
        loop.close()


async def serve(host: str, port: int, config: Path | None, relay_loops: int | None = None) -> int:
    """Start the API (and the config's proxies), print its address, wait for a signal."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    if relay_loops is not None and relay_loops < 1:
        raise DrillbookError(f"--relay-loops must be at least 1, got {relay_loops}")
    app = ToxiproxyApp(relay_loops)
    try:
        try:
            await app.start(host, port)
        except OSError as exc:
            raise DrillbookError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
        if config is not None:
            created = await app.populate_file(config)
            print(f"created {len(created)} proxies from {config}", file=sys.stderr)
        print(f"toxiproxy API listening on {app.url}", flush=True)
        await stop.wait()
        return 0
    finally:
        await app.close()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command on its own (``python -m drillbook.faults.server.command``)."""
    parser = argparse.ArgumentParser(prog="drillbook toxiproxy")
    add_arguments(parser)
    try:
        return run(parser.parse_args(argv))
    except DrillbookError as exc:
        print(f"drillbook: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
