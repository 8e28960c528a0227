"""One proxied connection: the client's socket, the upstream's socket and the two flows between.

The fast path is at the protocol level: ``data_received`` on one side writes the very bytes
object to the other side's transport, with no copy, no queue and no coroutine. While no toxic
is in the way, the reading side's ``data_received`` *is* the other transport's ``write`` (an
instance attribute, handed to the transport again with ``set_protocol``), so that uvloop calls
it with no Python frame of ours in between (see ``Flow.route``). Flow control is
the transports' own: when one side's write buffer passes its high-water mark, the other side
stops reading until it drains. Only a direction with an acting toxic sends its bytes through a
Pipeline (pipeline.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from typing import TYPE_CHECKING, Any, cast

from drillbook.faults.server.addresses import parse_address
from drillbook.faults.server.errors import ApiError
from drillbook.faults.server.pipeline import Pipeline, ToxicStub
from drillbook.faults.server.toxic_collection import ToxicEntry
from drillbook.faults.server.toxics import Chunk

if TYPE_CHECKING:
    from drillbook.faults.server.proxy import Proxy

# Write-buffer water marks of every proxied socket: large enough for bulk transfers.
WRITE_HIGH = 512 * 1024
WRITE_LOW = 128 * 1024

# Why a side is not being read (several reasons can hold at once).
PAUSE_DEST_FULL = 1
PAUSE_BACKLOG = 2
PAUSE_CONNECTING = 4


def _discard(data: bytes) -> None:
    """Where bytes go once their destination is closed."""


class Flow:
    """One direction of a connection: bytes read from ``source`` and written to ``dest``."""

    def __init__(self, link: Link, stream: str) -> None:
        self.link = link
        self.loop = link.loop
        self.stream = stream
        self.source: asyncio.Transport | None = None
        self.dest: asyncio.Transport | None = None
        self.dest_write: Any = _discard
        self.reader: Side | None = None  # the protocol whose data this flow carries
        self.pipeline: Pipeline | None = None
        self._dest_own_write: Any = None
        self._routed: Any = None
        self.stubs: list[ToxicStub] = []
        self.finished = False
        self._ended = False
        self._held: list[bytes] = []
        self._pauses = 0
        self._writable: asyncio.Future[None] | None = None

    def hold(self, source: asyncio.Transport) -> None:
        """The source is connected but the destination not yet: keep what it sends."""
        self.source = source
        self.dest_write = self._hold
        self.pause(PAUSE_CONNECTING)

    def _hold(self, data: bytes) -> None:
        self._held.append(data)
        self.pause(PAUSE_CONNECTING)

    def attach(self, source: asyncio.Transport, dest: asyncio.Transport) -> None:
        """Connect the flow to its two transports."""
        self.source, self.dest = source, dest
        self.dest_write = self._dest_own_write = dest.write

    def release(self) -> None:
        """Send what was held while connecting (through the toxics) and read again."""
        for data in self._held:
            if self.pipeline is not None:
                self.pipeline.feed(data)
            else:
                self.dest_write(data)
        self._held.clear()
        self.route()
        self.resume(PAUSE_CONNECTING)
        if self._ended:
            self._ended = False
            self.feed_end()

    def route(self) -> None:
        """Let the reader's transport call the destination's ``write`` itself while nothing
        stands between them (no pipeline, destination open), else ``Side.data_received``."""
        direct = self.pipeline is None and self.dest_write is self._dest_own_write
        wanted = self.dest_write if direct else None
        if wanted is self._routed or self.reader is None:
            return
        self._routed = wanted
        reader = self.reader
        if wanted is None:
            vars(reader).pop("data_received", None)
        else:
            vars(reader)["data_received"] = wanted
        transport = reader.transport
        if transport is not None and not transport.is_closing():
            transport.set_protocol(reader)  # uvloop keeps the bound data_received it was given

    # Reading side.
    def feed_end(self) -> None:
        """The source has closed (or sent EOF): end the flow once its data is through."""
        if self._ended:
            return
        self._ended = True
        if self.pipeline is not None:
            self.pipeline.enqueue_end()
        elif self.dest is not None:
            self.finish()

    def pause(self, reason: int) -> None:
        """Stop reading the source for ``reason``."""
        if not self._pauses and self.source is not None and not self.source.is_closing():
            self.source.pause_reading()
        self._pauses |= reason

    def resume(self, reason: int) -> None:
        """Drop ``reason`` for not reading; read again when no reason is left."""
        if not self._pauses & reason:
            return
        self._pauses &= ~reason
        if not self._pauses and self.source is not None and not self.source.is_closing():
            self.source.resume_reading()

    def throttle(self, on: bool) -> None:
        """The pipeline's backlog is too long (or short again)."""
        if on:
            self.pause(PAUSE_BACKLOG)
        else:
            self.resume(PAUSE_BACKLOG)

    def dest_full(self, full: bool) -> None:
        """The destination's write buffer passed its high (or low) water mark."""
        if full:
            self.pause(PAUSE_DEST_FULL)
            return
        self.resume(PAUSE_DEST_FULL)
        if self._writable is not None and not self._writable.done():
            self._writable.set_result(None)

    def dest_lost(self) -> None:
        """The destination socket is gone: whatever still comes is dropped."""
        self.dest_write = _discard
        self.finished = True
        self.route()
        self.dest_full(False)

    # Writing side, for the pipeline.
    async def deliver(self, chunk: Chunk | None) -> None:
        """Write a chunk to the destination (waiting while it is full), or close it on None."""
        if chunk is None:
            self.finish()
            return
        while self._pauses & PAUSE_DEST_FULL and not self.finished:
            self._writable = self.loop.create_future()
            await self._writable
        self.dest_write(chunk.data)

    def finish(self) -> None:
        """Close the destination, after what was written to it (abruptly after a reset)."""
        if self.finished:
            return
        self.finished = True
        self.dest_write = _discard
        self.route()
        if self.dest is not None:
            if self.link.reset:
                self.dest.abort()
            else:
                self.dest.close()

    # Toxics.
    def needs_pipeline(self) -> bool:
        """Whether any toxic acts on this direction (or has closed it)."""
        return any(stub.active or stub.closed for stub in self.stubs)

    def ensure_pipeline(self) -> Pipeline | None:
        """The pipeline, created if a toxic needs one and the flow is still open."""
        if self.pipeline is None and not self.finished and self.dest is not None:
            self.pipeline = Pipeline(self)
            self.route()
        return self.pipeline

    def install(self, entries: list[ToxicEntry]) -> None:
        """Put the proxy's current toxics of this direction on the flow (at connection time)."""
        for entry in entries:
            self.toxic_added(entry)

    def toxic_added(self, entry: ToxicEntry) -> None:
        """A toxic was added to the proxy: it acts on this open connection too (once: the
        connection may have copied it from the chain already)."""
        if any(stub.entry is entry for stub in self.stubs):
            return
        stub = ToxicStub(self, entry)
        self.stubs.append(stub)
        stub.begin()
        if stub.active:
            self.ensure_pipeline()

    def toxic_updated(self, entry: ToxicEntry) -> None:
        """A toxic changed: it restarts with its new settings (and a new toxicity roll)."""
        for stub in self.stubs:
            if stub.entry is entry:
                stub.halt()
                stub.toxic = entry.toxic
                stub.roll()
                stub.begin()
                if self.pipeline is not None:
                    self.pipeline.interrupt(stub)
                if stub.active:
                    self.ensure_pipeline()

    def toxic_removed(self, entry: ToxicEntry) -> None:
        """A toxic was removed: data held in it goes on, and the fast path may resume."""
        for index, stub in enumerate(self.stubs):
            if stub.entry is entry:
                del self.stubs[index]
                stub.removed_at = index
                was_active = stub.active
                stub.halt()
                if self.pipeline is not None:
                    self.pipeline.interrupt(stub)
                    self.pipeline.poke()
                if was_active:
                    stub.toxic.removed(stub)
                return

    def stop(self) -> None:
        """The connection is gone: stop every toxic and the pipeline."""
        for stub in self.stubs:
            stub.halt()
        if self.pipeline is not None:
            self.pipeline.cancel()
            self.pipeline = None
        self.finished = True
        self.dest_write = _discard
        self.route()
        if self._writable is not None and not self._writable.done():
            self._writable.cancel()


class Side(asyncio.Protocol):
    """The protocol of one socket of a connection (the client's or the upstream's)."""

    def __init__(self, link: Link) -> None:
        self.link = link
        self.transport: asyncio.Transport | None = None
        self.out: Flow = link.upstream_flow  # replaced for the upstream side
        self.inward: Flow = link.downstream_flow
        self.lost = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        transport = cast(asyncio.Transport, transport)  # uvloop's do not subclass it
        self.transport = transport
        transport.set_write_buffer_limits(WRITE_HIGH, WRITE_LOW)
        sock = transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.link.side_made(self)

    def data_received(self, data: bytes) -> None:
        out = self.out
        if out.pipeline is None:
            out.dest_write(data)
        else:
            out.pipeline.feed(data)

    def eof_received(self) -> bool:
        self.out.feed_end()
        return True

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        self.inward.dest_lost()
        self.out.feed_end()
        self.link.side_lost()

    def pause_writing(self) -> None:
        self.inward.dest_full(True)

    def resume_writing(self) -> None:
        self.inward.dest_full(False)


class Link:
    """A client connection and its upstream connection, dialled once when the client came.

    It lives on ``loop`` (one of the proxy's relay loops): every method runs on its thread.
    ``epoch`` is the proxy's when the client was accepted; a stop since turns it away.
    """

    def __init__(self, proxy: Proxy, loop: asyncio.AbstractEventLoop, epoch: int = 0) -> None:
        self.proxy = proxy
        self.loop = loop
        self.epoch = epoch
        self.reset = False
        self.closed = False
        self.upstream_flow = Flow(self, "upstream")
        self.downstream_flow = Flow(self, "downstream")
        self.client = Side(self)
        self.upstream = Side(self)
        self.upstream.out, self.upstream.inward = self.downstream_flow, self.upstream_flow
        self.upstream_flow.reader, self.downstream_flow.reader = self.client, self.upstream
        self._connecting: asyncio.Task[None] | None = None

    def side_made(self, side: Side) -> None:
        """A socket is connected: hold what it sends until both are; for the client, start
        dialling the upstream."""
        assert side.transport is not None
        if side is self.client and self.epoch != self.proxy.epoch:
            self.closed = True
            side.transport.abort()  # the proxy was stopped since the client was accepted
            return
        side.out.hold(side.transport)
        if side is self.client:
            self.proxy.links[self.loop].add(self)
            self._connecting = self.loop.create_task(self._dial(side.transport))

    async def _dial(self, client: asyncio.Transport) -> None:
        try:
            dialled = await self._open_upstream()
        finally:
            self._connecting = None
        upstream = self.upstream.transport
        if not dialled or self.closed or self.client.lost or upstream is None:
            client.close()
            if upstream is not None:
                upstream.abort()
            self.side_lost()
            return
        self.upstream_flow.attach(client, upstream)
        self.downstream_flow.attach(upstream, client)
        self.upstream_flow.install(self.proxy.toxics.snapshot("upstream"))
        self.downstream_flow.install(self.proxy.toxics.snapshot("downstream"))
        self.upstream_flow.release()
        self.downstream_flow.release()

    async def _open_upstream(self) -> bool:
        """Dial the upstream once; False when it cannot be reached."""
        try:
            address = parse_address(self.proxy.upstream, "upstream")
            await self.loop.create_connection(lambda: self.upstream, address.host, address.port)
        except (OSError, ApiError):
            return False
        return True

    def flow_for(self, stream: str) -> Flow:
        """The flow a toxic of ``stream`` acts on."""
        return self.upstream_flow if stream == "upstream" else self.downstream_flow

    # ChainListener: the proxy's toxics changed.
    def toxic_added(self, entry: ToxicEntry) -> None:
        if self.upstream_flow.dest is not None:
            self.flow_for(entry.stream).toxic_added(entry)

    def toxic_updated(self, entry: ToxicEntry) -> None:
        self.flow_for(entry.stream).toxic_updated(entry)

    def toxic_removed(self, entry: ToxicEntry) -> None:
        self.flow_for(entry.stream).toxic_removed(entry)

    def reset_sockets(self) -> None:
        """Make both sockets close with RST (SO_LINGER 0), as toxiproxy's reset_peer does."""
        self.reset = True
        linger = struct.pack("ii", 1, 0)
        for side in (self.client, self.upstream):
            sock = side.transport.get_extra_info("socket") if side.transport else None
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)

    def close(self) -> None:
        """Close both sockets at once (the proxy is going down)."""
        self.closed = True
        if self._connecting is not None:
            self._connecting.cancel()
        for side in (self.client, self.upstream):
            if side.transport is not None and not side.lost:
                side.transport.abort()
        self._forget()

    def side_lost(self) -> None:
        """A socket is gone; once both are, the connection is forgotten."""
        upstream_done = self.upstream.lost or self.upstream.transport is None
        if self.client.lost and upstream_done and self._connecting is None:
            self._forget()

    def _forget(self) -> None:
        self.upstream_flow.stop()
        self.downstream_flow.stop()
        self.proxy.links[self.loop].discard(self)
