"""One proxy: a name, a listen address, an upstream, its toxics and its open connections."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Callable
from typing import Any

from drillbook.faults.server.acceptor import Acceptor
from drillbook.faults.server.addresses import bound_address, parse_address
from drillbook.faults.server.link import Link
from drillbook.faults.server.listener import open_listener
from drillbook.faults.server.loops import RelayLoops
from drillbook.faults.server.toxic_collection import ChainListener, ToxicCollection


class Proxy:
    """Accepts clients on ``listen`` and links each to a fresh connection to ``upstream``.

    Disabled, it does not listen and has no connection; enabled again, it listens on the same
    address (the real one, once a port 0 was resolved). Each connection lives on one of the
    relay loops; ``links[loop]`` holds those of ``loop`` and is touched only on its thread.
    ``epoch`` counts the stops, so that a client accepted before one is turned away after it.
    """

    def __init__(self, relays: RelayLoops, name: str, listen: str, upstream: str):
        self.relays = relays
        self.name = name
        self.listen = listen
        self.upstream = upstream
        self.enabled = False
        self.epoch = 0
        self.links: dict[asyncio.AbstractEventLoop, set[Link]] = {
            loop: set() for loop in relays.loops
        }
        self.toxics = ToxicCollection(self._tell_links)
        self._acceptor: Acceptor | None = None

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
        sock = await open_listener(self.relays.main, parse_address(self.listen, "listen"))
        try:
            self.listen = bound_address(sock)
            epoch = self.epoch
            self._acceptor = Acceptor(
                self.relays, sock, lambda client, loop: self._adopt(client, loop, epoch)
            )
        except BaseException:
            sock.close()
            raise
        self.enabled = True

    def _adopt(self, client: socket.socket, loop: asyncio.AbstractEventLoop, epoch: int) -> None:
        """On ``loop``'s thread: relay a client accepted in ``epoch`` there (unless the proxy
        stopped since)."""
        if epoch != self.epoch:
            client.close()
            return
        link = Link(self, loop, epoch)
        loop.create_task(_connect(loop, link, client))

    async def stop(self) -> None:
        """Stop listening and close every open connection (on every loop) before returning."""
        if not self.enabled:
            return
        self.enabled = False
        self.epoch += 1
        if self._acceptor is not None:
            self._acceptor.close()
            self._acceptor = None
        await self.relays.everywhere(self._close_links)

    def _close_links(self, loop: asyncio.AbstractEventLoop) -> None:
        for link in list(self.links[loop]):
            link.close()

    async def _tell_links(self, news: Callable[[ChainListener], None]) -> None:
        def tell(loop: asyncio.AbstractEventLoop) -> None:
            for link in list(self.links[loop]):
                news(link)

        await self.relays.everywhere(tell)

    def link_counts(self) -> list[int]:
        """How many connections are open on each relay loop, in the loops' order."""
        return [len(self.links[loop]) for loop in self.relays.loops]

    async def update(self, listen: str, upstream: str, enabled: bool) -> None:
        """Apply new fields; a new address restarts the proxy, dropping its connections."""
        if listen != self.listen or upstream != self.upstream:
            await self.stop()
            self.listen, self.upstream = listen, upstream
        if enabled and not self.enabled:
            await self.start()
        elif not enabled:
            await self.stop()


async def _connect(loop: asyncio.AbstractEventLoop, link: Link, client: socket.socket) -> None:
    """Give an accepted client's socket to ``loop`` as the link's client side."""
    try:
        await loop.connect_accepted_socket(lambda: link.client, client)
    except OSError:
        with contextlib.suppress(OSError):
            client.close()
