"""The one interface every toxic implements, and the stub it drives on each connection.

A toxic is the settings of one fault (its ``attributes``) plus how data flows through it. The
same toxic serves every connection of its proxy; what belongs to one connection and direction (a
byte count, a timer) lives on that connection's stub, created per connection like toxiproxy's
``ToxicStub``. Toxics in one direction form a chain: each hands what it lets through to the next
with ``stub.emit``, and ends the flow with ``stub.end`` (the source closed) or ``stub.close``
(the toxic closes the connection itself).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol


@dataclass(frozen=True, slots=True)
class Chunk:
    """Bytes read from one side, with the loop time they were read (latency counts from it)."""

    data: bytes
    timestamp: float


class Stub(Protocol):
    """What a toxic may do on one connection and direction."""

    state: Any

    def now(self) -> float:
        """The event loop's clock, in seconds."""
        ...

    async def emit(self, chunk: Chunk) -> None:
        """Pass data on to the next toxic (or to the destination)."""
        ...

    async def end(self) -> None:
        """Pass the end of the stream on: the destination closes once it reaches it."""
        ...

    async def close(self, reset: bool = False) -> None:
        """Close the connection from here: later data is dropped; ``reset`` closes with RST."""
        ...

    def close_later(self, delay: float) -> None:
        """Close the connection (as ``close``) after ``delay`` seconds, unless the toxic stops."""
        ...

    async def sleep_until(self, when: float) -> bool:
        """Wait until the loop time ``when``; False when the toxic was removed or changed."""
        ...


class Toxic:
    """A toxic type: its name, integer attributes with defaults, and its behaviour."""

    type_name: ClassVar[str] = ""
    defaults: ClassVar[Mapping[str, int]] = {}

    def __init__(self, attributes: Mapping[str, int] | None = None) -> None:
        merged = dict(self.defaults)
        merged.update(attributes or {})
        self.attributes: dict[str, int] = merged

    def validate(self) -> str | None:
        """What is wrong with the attributes, or None."""
        return None

    def new_state(self) -> Any:
        """Per-connection state kept for as long as the toxic stays on the connection."""
        return None

    def start(self, stub: Stub) -> None:
        """Called when the toxic begins acting on a connection (or acts again after a change)."""

    def stop(self, stub: Stub) -> None:
        """Called when the toxic stops acting on a connection; cancel timers here."""

    def removed(self, stub: Stub) -> None:
        """Called once when the toxic is removed from a live connection."""

    async def on_data(self, stub: Stub, chunk: Chunk) -> None:
        """Handle bytes; the default passes them on unchanged."""
        await stub.emit(chunk)

    async def on_end(self, stub: Stub) -> None:
        """Handle the end of the stream; the default passes it on at once."""
        await stub.end()
