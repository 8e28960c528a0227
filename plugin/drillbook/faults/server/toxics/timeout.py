"""``timeout``: drops all data and closes the connection after ``timeout`` ms (0: never)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from drillbook.faults.server.toxics.base import Chunk, Stub, Toxic


class TimeoutToxic(Toxic):
    """Nothing gets through; the connection closes ``timeout`` ms after the toxic began.

    With a timeout of 0 the connection stays open, silent, until the toxic is removed, and
    removing it closes the connections it held (as toxiproxy's ``Cleanup`` does).
    """

    type_name = "timeout"
    defaults: ClassVar[Mapping[str, int]] = {"timeout": 0}

    def start(self, stub: Stub) -> None:
        if self.attributes["timeout"] > 0:
            stub.close_later(self.attributes["timeout"] / 1000.0)

    async def on_data(self, stub: Stub, chunk: Chunk) -> None:
        return  # dropped on the floor

    async def on_end(self, stub: Stub) -> None:
        await stub.close()

    def removed(self, stub: Stub) -> None:
        stub.close_later(0.0)
