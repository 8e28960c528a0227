"""Accepting clients on a proxy's listening socket and handing each to a relay loop."""

from __future__ import annotations

import asyncio
import errno
import functools
import logging
import socket
from collections.abc import Callable

from drillbook.faults.server.loops import RelayLoops

log = logging.getLogger(__name__)

# Clients accepted per readiness callback at most, so that one busy proxy cannot starve the rest.
ACCEPT_BATCH = 64
# After the process ran out of file descriptors, how long to wait before accepting again.
RETRY_DELAY = 1.0

Adopt = Callable[[socket.socket, asyncio.AbstractEventLoop], None]


class Acceptor:
    """Watches a listening socket on the main loop; ``adopt(client, loop)`` runs on ``loop``'s
    thread for every accepted client, the loops taking turns."""

    def __init__(self, relays: RelayLoops, sock: socket.socket, adopt: Adopt) -> None:
        self.relays = relays
        self.sock = sock
        self._adopt = adopt
        self._closed = False
        self._retry: asyncio.TimerHandle | None = None
        relays.main.add_reader(sock.fileno(), self._ready)

    def _ready(self) -> None:
        for _ in range(ACCEPT_BATCH):
            try:
                client, _ = self.sock.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                self._pause(exc)
                return
            client.setblocking(False)
            loop = self.relays.next()
            self.relays.run_on(loop, functools.partial(self._adopt, client, loop))

    def _pause(self, exc: OSError) -> None:
        """A failed accept: out of descriptors (wait a moment) or a client gone already."""
        if exc.errno not in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
            return
        log.warning("toxiproxy: cannot accept a client (%s); retrying in %.0f s", exc, RETRY_DELAY)
        self.relays.main.remove_reader(self.sock.fileno())
        self._retry = self.relays.main.call_later(RETRY_DELAY, self._resume)

    def _resume(self) -> None:
        self._retry = None
        if not self._closed:
            self.relays.main.add_reader(self.sock.fileno(), self._ready)

    def close(self) -> None:
        """Stop accepting and close the listening socket."""
        if self._closed:
            return
        self._closed = True
        if self._retry is not None:
            self._retry.cancel()
        self.relays.main.remove_reader(self.sock.fileno())
        self.sock.close()
