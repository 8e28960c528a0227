"""``latency``: delays every chunk by ``latency`` +/- ``jitter`` milliseconds."""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import ClassVar

from drillbook.faults.server.toxics.base import Chunk, Stub, Toxic


class LatencyToxic(Toxic):
    """Each chunk leaves ``latency`` ms (+/- ``jitter``) after it entered this toxic's stream.

    The delay counts from the chunk's timestamp, which leaves moved by the delay, so several
    latency toxics in one direction add up, as in toxiproxy.
    """

    type_name = "latency"
    defaults: ClassVar[Mapping[str, int]] = {"latency": 0, "jitter": 0}

    def delay(self) -> float:
        """One delay in seconds: latency plus a uniform jitter in [-jitter, jitter)."""
        delay = self.attributes["latency"]
        jitter = self.attributes["jitter"]
        if jitter > 0:
            delay += random.randrange(-jitter, jitter)
        return max(delay, 0) / 1000.0

    async def on_data(self, stub: Stub, chunk: Chunk) -> None:
        due = chunk.timestamp + self.delay()
        if due > stub.now():
            await stub.sleep_until(due)
        await stub.emit(Chunk(chunk.data, max(due, chunk.timestamp)))
