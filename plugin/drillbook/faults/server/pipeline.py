"""The slow path of one direction of a connection: data passes through its toxics.

A direction with no acting toxic has no Pipeline at all: its bytes go straight from one
transport to the other (see link.py). Once a toxic acts on it, a Pipeline takes over: it queues
what the source sends and runs it, chunk by chunk, through the toxics' stubs in one task. When no
toxic acts any more and the queue is drained, the pipeline detaches and the fast path resumes, so
bytes are never reordered.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import deque
from typing import TYPE_CHECKING, Any

from drillbook.faults.server.toxic_collection import ToxicEntry
from drillbook.faults.server.toxics import Chunk, Toxic

if TYPE_CHECKING:
    from drillbook.faults.server.link import Flow

log = logging.getLogger(__name__)

# Bytes queued in a pipeline above which the source stops being read, and below which it resumes.
BACKLOG_HIGH = 256 * 1024
BACKLOG_LOW = 64 * 1024


class ToxicStub:
    """One toxic acting on one direction of one connection (toxiproxy's ``ToxicStub``)."""

    def __init__(self, flow: Flow, entry: ToxicEntry) -> None:
        self.flow = flow
        self.entry = entry
        self.toxic: Toxic = entry.toxic
        self.state: Any = entry.toxic.new_state()
        self.active = False
        self.closed = False
        self.removed_at: int | None = None
        self._timer: asyncio.TimerHandle | None = None
        self.roll()

    def roll(self) -> None:
        """Decide, by the toxic's toxicity, whether it acts on this connection."""
        self.active = random.random() < self.entry.toxicity

    def begin(self) -> None:
        """Start acting (timers of the toxic start here)."""
        if self.active:
            self.toxic.start(self)

    def halt(self) -> None:
        """Stop acting: cancel the timer and let the toxic stop."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self.active:
            self.toxic.stop(self)

    def next_index(self) -> int:
        """Where data leaving this stub goes on in the chain."""
        if self.removed_at is not None:
            return self.removed_at
        return self.flow.stubs.index(self) + 1

    # The Stub interface the toxics use.
    def now(self) -> float:
        return self.flow.loop.time()

    async def emit(self, chunk: Chunk) -> None:
        await self._pipeline().process(self.next_index(), chunk)

    async def end(self) -> None:
        await self._pipeline().process(self.next_index(), None)

    async def close(self, reset: bool = False) -> None:
        if self.closed:
            return
        self.closed = True
        if reset:
            self.flow.link.reset_sockets()
        await self._pipeline().process(self.next_index(), None)

    def close_later(self, delay: float) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = self.flow.loop.call_later(delay, self._close_now)

    def _close_now(self) -> None:
        self._timer = None
        if self.closed or self.flow.finished:
            return
        self.closed = True
        pipeline = self.flow.ensure_pipeline()
        if pipeline is not None:
            pipeline.enqueue_end(self.next_index())

    async def sleep_until(self, when: float) -> bool:
        return await self._pipeline().sleep(self, when)

    def _pipeline(self) -> Pipeline:
        pipeline = self.flow.pipeline
        assert pipeline is not None, "a toxic runs only inside its pipeline"
        return pipeline


class Pipeline:
    """The task carrying one direction's data through its toxics."""

    def __init__(self, flow: Flow) -> None:
        self.flow = flow
        self.loop = flow.loop
        self.queue: deque[tuple[int, Chunk | None]] = deque()
        self.backlog = 0
        self._throttled = False
        self._ready: asyncio.Future[None] | None = None
        self._sleeper: ToxicStub | None = None
        self._wake: asyncio.Future[bool] | None = None
        self.task = self.loop.create_task(self._run())

    def feed(self, data: bytes) -> None:
        """Queue bytes read from the source."""
        self.queue.append((0, Chunk(data, self.loop.time())))
        self.backlog += len(data)
        if self.backlog > BACKLOG_HIGH and not self._throttled:
            self._throttled = True
            self.flow.throttle(True)
        self._notify()

    def enqueue_end(self, index: int = 0) -> None:
        """Queue the end of the stream, entering the chain at ``index``."""
        self.queue.append((index, None))
        self._notify()

    def interrupt(self, stub: ToxicStub) -> None:
        """Wake ``stub`` if it is sleeping: it was removed or changed."""
        if self._sleeper is stub and self._wake is not None and not self._wake.done():
            self._wake.set_result(False)

    def poke(self) -> None:
        """Look again whether the pipeline is still needed."""
        self._notify()

    def cancel(self) -> None:
        """Stop at once (the connection is gone)."""
        self.task.cancel()
        self._unthrottle()

    async def sleep(self, stub: ToxicStub, when: float) -> bool:
        """Sleep for ``stub`` until ``when``; False when interrupted."""
        if when <= self.loop.time():
            return True
        wake: asyncio.Future[bool] = self.loop.create_future()
        timer = None
        if when != float("inf"):
            timer = self.loop.call_at(when, _resolve, wake, True)
        self._sleeper, self._wake = stub, wake
        try:
            return await wake
        finally:
            self._sleeper, self._wake = None, None
            if timer is not None:
                timer.cancel()

    async def process(self, index: int, chunk: Chunk | None) -> None:
        """Run ``chunk`` (None: the end) through the chain from ``index`` on, then deliver it."""
        stubs = self.flow.stubs
        while index < len(stubs):
            stub = stubs[index]
            if stub.closed:
                return
            if stub.active:
                if chunk is None:
                    await stub.toxic.on_end(stub)
                else:
                    await stub.toxic.on_data(stub, chunk)
                return
            index += 1
        await self.flow.deliver(chunk)

    def _notify(self) -> None:
        if self._ready is not None and not self._ready.done():
            self._ready.set_result(None)

    def _unthrottle(self) -> None:
        if self._throttled:
            self._throttled = False
            self.flow.throttle(False)

    async def _run(self) -> None:
        try:
            await self._drain()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("toxiproxy: a toxic failed on proxy %s", self.flow.link.proxy.name)
            self.flow.link.close()
        finally:
            if self.flow.pipeline is self:
                self.flow.pipeline = None
                self.flow.route()
            self._unthrottle()

    async def _drain(self) -> None:
        flow = self.flow
        while not flow.finished:
            if not self.queue:
                if not flow.needs_pipeline():
                    return
                self._ready = self.loop.create_future()
                await self._ready
                self._ready = None
                continue
            index, chunk = self.queue.popleft()
            if chunk is not None:
                self.backlog -= len(chunk.data)
                if self.backlog < BACKLOG_LOW:
                    self._unthrottle()
            await self.process(index, chunk)


def _resolve(future: asyncio.Future[bool], value: bool) -> None:
    if not future.done():
        future.set_result(value)
