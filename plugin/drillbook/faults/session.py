"""Faults for a block of code, for drills written in Python:

    with faults.toxic("postgres", "latency", latency=500):
        ...
    with faults.down("postgres"):
        ...

Each fault goes through the fault ledger and is lifted when the block ends, however it ends.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Literal

from drillbook.errors import DrillbookError
from drillbook.faults.ledger import FaultLedger, LedgerEntry
from drillbook.faults.toxiproxy_client import ToxiproxyClient


class FaultSession:
    """Toxics and disabled proxies on named proxies of one toxiproxy server."""

    def __init__(self, ledger: FaultLedger, toxiproxy_url: str, proxies: Mapping[str, str]):
        self.ledger = ledger
        self.toxiproxy_url = toxiproxy_url
        self.proxies = proxies
        self._counter = itertools.count(1)
        self._open: list[LedgerEntry] = []

    def _real(self, proxy: str) -> str:
        if proxy not in self.proxies:
            known = ", ".join(sorted(self.proxies)) or "none yet"
            raise DrillbookError(f"no proxy named {proxy!r} in this session (proxies: {known})")
        return self.proxies[proxy]

    @contextmanager
    def toxic(
        self,
        proxy: str,
        type: str,
        *,
        stream: Literal["upstream", "downstream"] = "downstream",
        toxicity: float = 1.0,
        **attributes: Any,
    ) -> Iterator[str]:
        """A toxic on ``proxy`` for the block; yields the toxic's name."""
        real = self._real(proxy)
        name = f"drillbook_{type}_{stream}_{next(self._counter)}"
        entry = self.ledger.record(
            "toxic",
            {"server": self.toxiproxy_url, "proxy": real, "toxic": name},
            f"{type} toxic on {proxy}",
        )
        self._open.append(entry)
        try:
            with ToxiproxyClient(self.toxiproxy_url) as client:
                client.add_toxic(
                    real,
                    type=type,
                    name=name,
                    stream=stream,
                    toxicity=toxicity,
                    attributes=attributes,
                )
            yield name
        finally:
            self._lift(entry)

    @contextmanager
    def down(self, proxy: str) -> Iterator[None]:
        """``proxy`` disabled for the block: connections refused, open ones closed."""
        real = self._real(proxy)
        entry = self.ledger.record(
            "proxy_down", {"server": self.toxiproxy_url, "proxy": real}, f"proxy {proxy} down"
        )
        self._open.append(entry)
        try:
            with ToxiproxyClient(self.toxiproxy_url) as client:
                client.set_enabled(real, False)
            yield
        finally:
            self._lift(entry)

    def _lift(self, entry: LedgerEntry) -> None:
        self.ledger.lift(entry)
        if entry in self._open:
            self._open.remove(entry)

    def lift_all(self) -> None:
        """Lift whatever a block left (a generator abandoned without closing)."""
        for entry in reversed(list(self._open)):
            self._lift(entry)
