"""``bandwidth``: limits each connection's direction to ``rate`` KB/s (1 KB = 1000 bytes)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from drillbook.faults.server.toxics.base import Chunk, Stub, Toxic


class BandwidthToxic(Toxic):
    """Lets ``rate`` * 1000 bytes through per second, in slices of at most 100 ms worth.

    A rate of 0 lets nothing through, as toxiproxy does, until the toxic is changed or removed.
    """

    type_name = "bandwidth"
    defaults: ClassVar[Mapping[str, int]] = {"rate": 0}

    def new_state(self) -> Any:
        return [0.0]  # the loop time the previous slice finished sending

    async def on_data(self, stub: Stub, chunk: Chunk) -> None:
        rate = self.attributes["rate"]
        if rate <= 0:
            await stub.sleep_until(float("inf"))
            await stub.emit(chunk)
            return
        data = chunk.data
        step = rate * 100
        for start in range(0, len(data), step):
            piece = data[start : start + step]
            due = max(stub.now(), stub.state[0]) + len(piece) / (rate * 1000.0)
            if not await stub.sleep_until(due):
                await stub.emit(Chunk(data[start:], chunk.timestamp))
                return
            stub.state[0] = due
            await stub.emit(Chunk(piece, chunk.timestamp))
