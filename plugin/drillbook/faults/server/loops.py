"""The event loops that relay proxied connections: the server's own loop and worker loops.

The server's loop (the one the API answers on) accepts every client; each accepted socket is
handed, round-robin, to one relay loop (the server's own loop is one of them), and the
connection lives on that loop's thread from then on (both sockets, the upstream dial, its
toxics' timers and tasks). Worker loops, asked for with ``relay_loops`` > 1, run on threads of
their own, so that many connections may use more than one core.

Everything a worker loop owns is touched only from its thread: the server's loop asks it to do
things with ``everywhere``, which waits until every loop has done them.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import itertools
import threading
from collections.abc import Callable

from drillbook.faults.server.eventloop import finish_tasks, new_event_loop

START_TIMEOUT = 10.0
STOP_TIMEOUT = 10.0

# One loop unless asked: on two cores, a second relay loop cost about a third more proxy CPU
# per pgbench transaction (the two threads hand the GIL to each other on every callback) and
# lowered the 8-client tps (see bench/proxy.py and the README's Performance section).
DEFAULT_RELAY_LOOPS = 1


def default_relay_loops() -> int:
    """How many loops relay connections when nobody says."""
    return DEFAULT_RELAY_LOOPS


class WorkerLoop:
    """A relay event loop running forever on its own (daemon) thread until ``stop()``."""

    def __init__(self, number: int) -> None:
        self.loop = new_event_loop()
        self.thread = threading.Thread(
            target=self._run, name=f"drillbook-toxiproxy-relay-{number}", daemon=True
        )
        self._running = threading.Event()

    def start(self) -> None:
        """Start the thread; returns once its loop runs."""
        self.thread.start()
        if not self._running.wait(START_TIMEOUT):
            raise RuntimeError("a toxiproxy relay loop did not start in time")

    def _run(self) -> None:
        loop = self.loop
        asyncio.set_event_loop(loop)
        loop.call_soon(self._running.set)
        try:
            loop.run_forever()
        finally:
            finish_tasks(loop)
            loop.close()

    def stop(self) -> None:
        """End the loop (cancelling what still runs on it) and wait for its thread."""
        if self.thread.is_alive():
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(STOP_TIMEOUT)
        elif not self.loop.is_closed():
            self.loop.close()


class RelayLoops:
    """The loops connections are relayed on: the server's own loop first, then the workers."""

    def __init__(self, main: asyncio.AbstractEventLoop, count: int | None = None) -> None:
        wanted = default_relay_loops() if count is None else count
        if wanted < 1:
            raise ValueError(f"relay loops must be at least 1, got {wanted}")
        self.main = main
        self.workers = [WorkerLoop(number) for number in range(1, wanted)]
        self.loops: list[asyncio.AbstractEventLoop] = [main, *(w.loop for w in self.workers)]
        self._turns = itertools.cycle(self.loops)

    def start(self) -> None:
        """Start the worker threads (stopping those already started if one fails)."""
        try:
            for worker in self.workers:
                worker.start()
        except BaseException:
            self.stop()
            raise

    def next(self) -> asyncio.AbstractEventLoop:
        """The loop the next accepted connection goes to (round-robin)."""
        return next(self._turns)

    def run_on(self, loop: asyncio.AbstractEventLoop, work: Callable[[], None]) -> None:
        """Run ``work()`` on ``loop``'s thread: now if that is this loop, else soon."""
        if loop is self.main:
            work()
        else:
            loop.call_soon_threadsafe(work)

    async def everywhere(self, work: Callable[[asyncio.AbstractEventLoop], None]) -> None:
        """Run ``work(loop)`` on every loop's own thread and wait until all have done it.

        Called on the main loop; its own share runs at once, the workers' in the order they
        were asked (a loop runs its callbacks first come, first served).
        """
        waits: list[asyncio.Future[None]] = []
        for worker in self.workers:
            if worker.thread.is_alive():
                done: concurrent.futures.Future[None] = concurrent.futures.Future()
                worker.loop.call_soon_threadsafe(_run_into, work, worker.loop, done)
                waits.append(asyncio.wrap_future(done, loop=self.main))
        work(self.main)
        if waits:
            await asyncio.gather(*waits)

    def stop(self) -> None:
        """Stop every worker loop and its thread (the main loop is its owner's to stop)."""
        for worker in self.workers:
            worker.stop()


def _run_into(
    work: Callable[[asyncio.AbstractEventLoop], None],
    loop: asyncio.AbstractEventLoop,
    done: concurrent.futures.Future[None],
) -> None:
    try:
        work(loop)
    except BaseException as exc:
        done.set_exception(exc)
    else:
        done.set_result(None)
