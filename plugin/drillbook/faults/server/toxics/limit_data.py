"""``limit_data``: closes the connection once ``bytes`` bytes went through in this direction."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from drillbook.faults.server.toxics.base import Chunk, Stub, Toxic


class LimitDataToxic(Toxic):
    """Passes data up to ``bytes`` per connection and direction, then closes the connection."""

    type_name = "limit_data"
    defaults: ClassVar[Mapping[str, int]] = {"bytes": 0}

    def new_state(self) -> Any:
        return [0]  # bytes transmitted so far

    async def on_data(self, stub: Stub, chunk: Chunk) -> None:
        remaining = max(self.attributes["bytes"] - stub.state[0], 0)
        data = chunk.data[:remaining] if remaining < len(chunk.data) else chunk.data
        if data:
            stub.state[0] += len(data)
            await stub.emit(Chunk(data, chunk.timestamp))
        if self.attributes["bytes"] - stub.state[0] <= 0:
            await stub.close()
