"""One proxy: a name, a listen address, an upstream, its toxics and its open connections."""

from __future__ import annotations

import asyncio
from typing import Any

from drillbook.faults.server.addresses import bound_address, parse_address
from drillbook.faults.server.link import Link
from drillbook.faults.server.listener import BACKLOG, open_listener
from drillbook.faults.server.toxic_collection import ToxicCollection


class Proxy:
    """Accepts clients on ``listen`` and links each to a fresh connection to ``upstream``.

    Disabled, it does not listen and has no connection; enabled again, it listens on the same
    address (the real one, once a port 0 was resolved).
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, name: str, listen: str, upstream: str):
        self.loop = loop
        self.name = name
        self.listen = listen
        self.upstream = upstream
        self.enabled = False
        self.links: set[Link] = set()
        self.toxics = ToxicCollection(lambda: list(self.links))
        self._server: asyncio.AbstractServer | None = None

    def to_json(self) -> dict[str, Any]:
        """The proxy as the API shows it, toxics included."""
        return {
            "name": self.name,
            "listen": self.listen,
            "upstream": self.upstream,
            "enabled": self.enabled,
            "toxics": self.toxics.to_json(),
        }

    async def start(self) -> None:
        """Listen (no-op when already listening); a 500 ApiError when the address is taken."""
        if self.enabled:
            return
        sock = await open_listener(self.loop, parse_address(self.listen, "listen"))
        try:
            self.listen = bound_address(sock)
            self._server = await self.loop.create_server(self._accepted, sock=sock, backlog=BACKLOG)
        except BaseException:
            sock.close()
            raise
        self.enabled = True

    def _accepted(self) -> asyncio.Protocol:
        return Link(self, self.loop).client

    def stop(self) -> None:
        """Stop listening and close every open connection."""
        if not self.enabled:
            return
        self.enabled = False
        if self._server is not None:
            self._server.close()
            self._server = None
        for link in list(self.links):
            link.close()

    async def update(self, listen: str, upstream: str, enabled: bool) -> None:
        """Apply new fields; a new address restarts the proxy, dropping its connections."""
        if listen != self.listen or upstream != self.upstream:
            self.stop()
            self.listen, self.upstream = listen, upstream
        if enabled and not self.enabled:
            await self.start()
        elif not enabled:
            self.stop()
