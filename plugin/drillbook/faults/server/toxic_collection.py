"""The toxics of one proxy: a chain per direction, names unique across both, and the JSON
operations of the API on them. Every live connection of the proxy hears of each change, on its
own loop, before the operation returns."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from drillbook.faults.server import payloads
from drillbook.faults.server.errors import (
    BAD_REQUEST_BODY,
    INVALID_TOXIC_TYPE,
    TOXIC_EXISTS,
    TOXIC_NOT_FOUND,
)
from drillbook.faults.server.toxics import REGISTRY, Toxic


@dataclass
class ToxicEntry:
    """One toxic of a proxy: its API fields and the Toxic that carries its attributes."""

    name: str
    type: str
    stream: str
    toxicity: float
    toxic: Toxic

    def to_json(self) -> dict[str, Any]:
        """The toxic as the API shows it."""
        return {
            "attributes": dict(self.toxic.attributes),
            "name": self.name,
            "type": self.type,
            "stream": self.stream,
            "toxicity": self.toxicity,
        }


class ChainListener(Protocol):
    """A live connection, told of every change to its proxy's toxics."""

    def toxic_added(self, entry: ToxicEntry) -> None: ...

    def toxic_updated(self, entry: ToxicEntry) -> None: ...

    def toxic_removed(self, entry: ToxicEntry) -> None: ...


Tell = Callable[[Callable[[ChainListener], None]], Awaitable[None]]


class ToxicCollection:
    """The upstream and downstream chains of one proxy.

    ``tell(news)`` calls ``news(listener)`` for every live connection, each on its own loop's
    thread, and returns once all have heard. A connection that starts meanwhile copies the
    chains as they are then (``snapshot``); it may hear of a toxic it already has.
    """

    def __init__(self, tell: Tell) -> None:
        self._tell = tell
        self.chains: dict[str, list[ToxicEntry]] = {"upstream": [], "downstream": []}

    def entries(self) -> list[ToxicEntry]:
        """Every toxic, upstream ones first, each chain in the order they were added."""
        return [*self.chains["upstream"], *self.chains["downstream"]]

    def to_json(self) -> list[dict[str, Any]]:
        """Every toxic as the API shows it."""
        return [entry.to_json() for entry in self.entries()]

    def snapshot(self, stream: str) -> list[ToxicEntry]:
        """A copy of one direction's chain (safe to take from any thread)."""
        return list(self.chains[stream])

    def find(self, name: str) -> ToxicEntry:
        """The toxic called ``name``; 404 when there is none."""
        for entry in self.entries():
            if entry.name == name:
                return entry
        raise TOXIC_NOT_FOUND

    async def add(self, value: Any) -> ToxicEntry:
        """Add a toxic from its JSON (the checks in toxiproxy's order) and apply it to every
        open connection."""
        body = payloads.as_object(value)
        type_name = payloads.field(body, "type", str, "")
        stream = payloads.stream(payloads.field(body, "stream", str, "downstream"))
        name = payloads.field(body, "name", str, "") or f"{type_name}_{stream}"
        toxicity = payloads.field(body, "toxicity", float, 1.0)
        kind = REGISTRY.get(type_name)
        if kind is None:
            raise INVALID_TOXIC_TYPE
        if any(entry.name == name for entry in self.entries()):
            raise TOXIC_EXISTS
        toxic = _checked(kind(payloads.attributes(body.get("attributes"), kind.defaults)))
        entry = ToxicEntry(name, type_name, stream, toxicity, toxic)
        self.chains[stream].append(entry)
        await self._tell(lambda listener: listener.toxic_added(entry))
        return entry

    async def update(self, name: str, value: Any) -> ToxicEntry:
        """Change a toxic's attributes (merged) and toxicity; nothing else can change."""
        entry = self.find(name)
        body = payloads.as_object(value)
        kind = type(entry.toxic)
        merged = dict(entry.toxic.attributes)
        merged.update(payloads.attributes(body.get("attributes"), kind.defaults))
        toxicity = payloads.field(body, "toxicity", float, entry.toxicity)
        entry.toxic = _checked(kind(merged))
        entry.toxicity = toxicity
        await self._tell(lambda listener: listener.toxic_updated(entry))
        return entry

    async def remove(self, name: str) -> None:
        """Remove a toxic from the proxy and from every open connection."""
        entry = self.find(name)
        self.chains[entry.stream].remove(entry)
        await self._tell(lambda listener: listener.toxic_removed(entry))

    async def reset(self) -> None:
        """Remove every toxic."""
        for entry in self.entries():
            if entry in self.chains[entry.stream]:
                await self.remove(entry.name)


def _checked(toxic: Toxic) -> Toxic:
    problem = toxic.validate()
    if problem:
        raise BAD_REQUEST_BODY.joined(problem)
    return toxic
