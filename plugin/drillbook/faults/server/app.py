"""The whole server bound to one event loop: the proxies and the HTTP API that drives them."""

from __future__ import annotations

import asyncio
import contextlib
import json
from pathlib import Path
from typing import Any

from drillbook.errors import LoadError
from drillbook.faults.server.addresses import format_address
from drillbook.faults.server.api import Api
from drillbook.faults.server.collection import ProxyCollection
from drillbook.faults.server.errors import ApiError
from drillbook.faults.server.eventloop import finish_tasks, new_event_loop
from drillbook.faults.server.http import HttpServer
from drillbook.faults.server.loops import RelayLoops

__all__ = ["ToxiproxyApp", "finish_tasks", "new_event_loop"]


class ToxiproxyApp:
    """The proxies and the API server; every method runs on the loop that created it.

    Connections are relayed on ``relay_loops`` loops: this one and worker loops on threads of
    their own (started here, stopped by ``close()``); None means one, this loop alone.
    """

    def __init__(self, relay_loops: int | None = None) -> None:
        self.loop = asyncio.get_running_loop()
        self.relays = RelayLoops(self.loop, relay_loops)
        self.relays.start()
        self.proxies = ProxyCollection(self.relays)
        self.api = Api(self.proxies)
        self._http = HttpServer(self.api)
        self.address: tuple[str, int] | None = None

    @property
    def url(self) -> str:
        """The API's base URL, e.g. ``http://127.0.0.1:8474``."""
        assert self.address is not None, "the API is not listening"
        return f"http://{format_address(*self.address)}"

    async def start(self, host: str, port: int) -> None:
        """Listen for the API (port 0 picks a free port)."""
        self.address = await self._http.start(host, port)

    async def populate_file(self, path: Path) -> list[dict[str, Any]]:
        """Create the proxies listed in a toxiproxy config file (a JSON array of proxies)."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise LoadError(path, 1, 1, f"cannot read the proxies file: {exc.strerror}") from None
        except json.JSONDecodeError as exc:
            raise LoadError(path, exc.lineno, exc.colno, f"not JSON: {exc.msg}") from None
        try:
            done, error = await self.proxies.populate(data)
        except ApiError as error_before:
            raise LoadError(path, 1, 1, error_before.message) from None
        if error is not None:
            raise LoadError(path, 1, 1, error.message)
        return done

    async def close(self) -> None:
        """Close the API, every proxy and every connection, and stop the worker loops."""
        try:
            await self._http.close()
            await self.proxies.close()
            with contextlib.suppress(Exception):
                await asyncio.sleep(0)
        finally:
            self.relays.stop()
