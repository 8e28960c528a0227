"""``reset_peer``: on data, waits ``timeout`` ms and closes the connection with a TCP RST."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from drillbook.faults.server.toxics.base import Chunk, Stub, Toxic


class ResetPeerToxic(Toxic):
    """The first data (or end) to arrive starts the timeout; then both sockets close with
    SO_LINGER 0, so the peers see "connection reset by peer". The data is dropped.
    """

    type_name = "reset_peer"
    defaults: ClassVar[Mapping[str, int]] = {"timeout": 0}

    async def _reset(self, stub: Stub) -> None:
        await stub.sleep_until(stub.now() + self.attributes["timeout"] / 1000.0)
        await stub.close(reset=True)

    async def on_data(self, stub: Stub, chunk: Chunk) -> None:
        await self._reset(stub)

    async def on_end(self, stub: Stub) -> None:
        await self._reset(stub)
