"""Applies a drill's faults through the ledger: toxics and disabled proxies on the run's
toxiproxy server, HTTP faults on the stand-ins' fault admin API."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import replace

from drillbook.errors import DrillbookError
from drillbook.faults.http.client import HttpFaultClient
from drillbook.faults.http.spec import HttpFaultSpec
from drillbook.faults.ledger import FaultLedger
from drillbook.faults.toxiproxy_client import ToxiproxyClient
from drillbook.formats.drill import Fault, HttpFault, ProxyDownFault, ToxicFault


class LedgerInjector:
    """A FaultInjector: every fault is written to the ledger before it is applied."""

    def __init__(
        self,
        ledger: FaultLedger,
        *,
        toxiproxy_url: str | None = None,
        proxies: Mapping[str, str] | None = None,
        http_targets: Mapping[str, str] | None = None,
    ) -> None:
        self.ledger = ledger
        self.toxiproxy_url = toxiproxy_url
        self.proxies = dict(proxies or {})
        self.http_targets = dict(http_targets or {})
        self._counter = itertools.count(1)

    def apply(self, fault: Fault) -> str:
        if isinstance(fault, ToxicFault):
            return self._toxic(fault)
        if isinstance(fault, ProxyDownFault):
            return self._proxy_down(fault)
        return self._http(fault)

    def active(self) -> list[str]:
        return [
            entry.description
            for entry in self.ledger.pending()
            if entry.kind in ("toxic", "proxy_down", "http")
        ]

    def lift_all(self) -> list[str]:
        """Lift every fault, newest first; one that resists does not keep the others in
        place: they are all tried, then one error names those still in force."""
        faults = [e for e in self.ledger.pending() if e.kind in ("toxic", "proxy_down", "http")]
        lifted: list[str] = []
        problems: list[str] = []
        for entry in reversed(faults):
            try:
                lifted.append(self.ledger.lift(entry))
            except Exception as exc:  # every fault gets its chance to be lifted
                problems.append(f"{entry.description}: {exc}")
        if problems:
            raise DrillbookError(
                f"lifted {len(lifted)} fault(s), but these are still in force:\n  "
                + "\n  ".join(problems)
                + f"\nthe ledger {self.ledger.path} keeps them; the next run will try again"
            )
        return lifted

    # -- each kind ----------------------------------------------------------------------
    def _proxy_name(self, name: str) -> str:
        if name not in self.proxies:
            known = ", ".join(sorted(self.proxies)) or "none"
            raise DrillbookError(
                f"the drill names proxy {name!r}, which the environment does not define "
                f"(proxies: {known})"
            )
        if self.toxiproxy_url is None:
            raise DrillbookError("the drill injects toxics, but no toxiproxy server is running")
        return self.proxies[name]

    def _toxic(self, fault: ToxicFault) -> str:
        proxy = self._proxy_name(fault.proxy)
        assert self.toxiproxy_url is not None
        name = fault.name or f"drillbook_{fault.type}_{fault.stream}_{next(self._counter)}"
        attributes = ", ".join(f"{k}={v}" for k, v in fault.attributes.items())
        description = (
            f"{fault.type} toxic {name} on {fault.proxy} ({fault.stream}"
            f"{', ' + attributes if attributes else ''}, toxicity {fault.toxicity:g})"
        )
        self.ledger.record(
            "toxic", {"server": self.toxiproxy_url, "proxy": proxy, "toxic": name}, description
        )
        with ToxiproxyClient(self.toxiproxy_url) as client:
            client.add_toxic(
                proxy,
                type=fault.type,
                name=name,
                stream=fault.stream,
                toxicity=fault.toxicity,
                attributes=dict(fault.attributes),
            )
        return description

    def _proxy_down(self, fault: ProxyDownFault) -> str:
        proxy = self._proxy_name(fault.proxy)
        assert self.toxiproxy_url is not None
        description = f"proxy {fault.proxy} disabled"
        self.ledger.record(
            "proxy_down", {"server": self.toxiproxy_url, "proxy": proxy}, description
        )
        with ToxiproxyClient(self.toxiproxy_url) as client:
            client.set_enabled(proxy, False)
        return description

    def _http(self, fault: HttpFault) -> str:
        if fault.target not in self.http_targets:
            known = ", ".join(sorted(self.http_targets)) or "none"
            raise DrillbookError(
                f"the drill injects an HTTP fault on {fault.target!r}, which is not a service "
                f"with `fault_api: true` in the environment (those are: {known})"
            )
        server = self.http_targets[fault.target]
        spec = replace(HttpFaultSpec.from_model(fault), name=f"drillbook-{next(self._counter)}")
        description = f"HTTP fault on {fault.target}: {spec.describe()}"
        assert spec.name is not None
        self.ledger.record("http", {"server": server, "fault_id": spec.name}, description)
        with HttpFaultClient(server) as client:
            client.add(spec)
        return description
