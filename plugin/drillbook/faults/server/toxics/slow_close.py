"""``slow_close``: delays the close of the destination by ``delay`` milliseconds."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from drillbook.faults.server.toxics.base import Stub, Toxic


class SlowCloseToxic(Toxic):
    """Data passes at once; the end of the stream waits ``delay`` ms before it is passed on."""

    type_name = "slow_close"
    defaults: ClassVar[Mapping[str, int]] = {"delay": 0}

    async def on_end(self, stub: Stub) -> None:
        await stub.sleep_until(stub.now() + self.attributes["delay"] / 1000.0)
        await stub.end()
