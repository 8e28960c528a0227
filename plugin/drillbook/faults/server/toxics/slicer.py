"""``slicer``: cuts data into pieces of ``average_size`` +/- ``size_variation`` bytes, with
``delay`` microseconds between pieces."""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import ClassVar

from drillbook.faults.server.toxics.base import Chunk, Stub, Toxic


class SlicerToxic(Toxic):
    """Delivers every byte, in small pieces, optionally spaced out in time."""

    type_name = "slicer"
    defaults: ClassVar[Mapping[str, int]] = {"average_size": 0, "size_variation": 0, "delay": 0}

    def validate(self) -> str | None:
        if self.attributes["size_variation"] < 0 or self.attributes["average_size"] < 0:
            return "average_size and size_variation cannot be negative"
        return None

    def piece_sizes(self, total: int) -> list[int]:
        """Sizes adding up to ``total``, each average_size +/- size_variation (at least 1)."""
        average = max(self.attributes["average_size"], 1)
        variation = min(self.attributes["size_variation"], average - 1)
        sizes: list[int] = []
        left = total
        while left > 0:
            size = average + random.randint(-variation, variation) if variation else average
            size = min(max(size, 1), left)
            sizes.append(size)
            left -= size
        return sizes

    async def on_data(self, stub: Stub, chunk: Chunk) -> None:
        delay = self.attributes["delay"] / 1_000_000.0
        data = chunk.data
        offset = 0
        for size in self.piece_sizes(len(data)):
            await stub.emit(Chunk(data[offset : offset + size], chunk.timestamp))
            offset += size
            pause = offset < len(data) and delay > 0
            if pause and not await stub.sleep_until(stub.now() + delay):
                await stub.emit(Chunk(data[offset:], chunk.timestamp))
                return
