"""Every proxy of the server, and the operations of the API on them (JSON in, JSON out).

All of it runs on the server's event loop thread; nothing here is thread-safe on purpose (the
connections on worker loops are reached through RelayLoops, loops.py).
"""

from __future__ import annotations

from typing import Any

from drillbook.faults.server import payloads
from drillbook.faults.server.addresses import normalized, parse_address
from drillbook.faults.server.errors import BAD_REQUEST_BODY, PROXY_EXISTS, PROXY_NOT_FOUND, ApiError
from drillbook.faults.server.loops import RelayLoops
from drillbook.faults.server.proxy import Proxy

DEFAULT_LISTEN = "127.0.0.1:0"


class ProxyCollection:
    """The proxies by name."""

    def __init__(self, relays: RelayLoops) -> None:
        self.relays = relays
        self.proxies: dict[str, Proxy] = {}

    def get(self, name: str) -> Proxy:
        """The proxy called ``name``; 404 when there is none."""
        proxy = self.proxies.get(name)
        if proxy is None:
            raise PROXY_NOT_FOUND
        return proxy

    def index(self) -> dict[str, Any]:
        """``GET /proxies``: every proxy by name."""
        return {name: proxy.to_json() for name, proxy in self.proxies.items()}

    async def create(self, value: Any) -> dict[str, Any]:
        """``POST /proxies``: a new proxy, enabled unless the body says otherwise."""
        proxy, enabled = self._new_proxy(payloads.as_object(value))
        if proxy.name in self.proxies:
            raise PROXY_EXISTS
        if enabled:
            await proxy.start()
        self.proxies[proxy.name] = proxy
        return proxy.to_json()

    def _new_proxy(self, body: dict[str, Any], where: str = "") -> tuple[Proxy, bool]:
        name = payloads.require(body, "name", where)
        upstream = payloads.require(body, "upstream", where)
        listen = payloads.field(body, "listen", str, "") or DEFAULT_LISTEN
        enabled = bool(payloads.field(body, "enabled", bool, True))
        parse_address(upstream, "upstream")
        parse_address(listen, "listen")
        return Proxy(self.relays, name, listen, upstream), enabled

    async def update(self, name: str, value: Any) -> dict[str, Any]:
        """``PATCH /proxies/{name}``: change listen, upstream or enabled; others are kept."""
        proxy = self.get(name)
        body = payloads.as_object(value)
        listen = payloads.field(body, "listen", str, proxy.listen)
        upstream = payloads.field(body, "upstream", str, proxy.upstream)
        enabled = payloads.field(body, "enabled", bool, proxy.enabled)
        parse_address(listen, "listen")
        parse_address(upstream, "upstream")
        await proxy.update(listen, upstream, enabled)
        return proxy.to_json()

    async def delete(self, name: str) -> None:
        """``DELETE /proxies/{name}``: stop the proxy, close its connections, forget it."""
        proxy = self.get(name)
        del self.proxies[name]
        await proxy.stop()

    async def reset(self) -> None:
        """``POST /reset``: enable every proxy and remove every toxic; no proxy is deleted."""
        for proxy in list(self.proxies.values()):
            await proxy.start()
            await proxy.toxics.reset()

    async def populate(self, value: Any) -> tuple[list[dict[str, Any]], ApiError | None]:
        """``POST /populate``: create or replace proxies; an identical one is left alone.

        Every entry is checked before anything changes. Returns the proxies (created, replaced
        or kept) and the error that stopped the work part way, if any.
        """
        if not isinstance(value, list):
            raise BAD_REQUEST_BODY.joined("expected a JSON array of proxies")
        planned: list[tuple[Proxy, bool]] = []
        seen: set[str] = set()
        for number, item in enumerate(value, start=1):
            body = payloads.as_object(item, "proxy")
            proxy, enabled = self._new_proxy(body, f" at proxy {number}")
            if proxy.name in seen:
                raise ApiError(f"duplicate proxy name {proxy.name!r}", 400)
            seen.add(proxy.name)
            planned.append((proxy, enabled))
        done: list[dict[str, Any]] = []
        for proxy, enabled in planned:
            try:
                done.append((await self._add_or_replace(proxy, enabled)).to_json())
            except ApiError as error:
                return done, error
        return done, None

    async def _add_or_replace(self, proxy: Proxy, enabled: bool) -> Proxy:
        existing = self.proxies.get(proxy.name)
        if existing is not None:
            same_listen = normalized(existing.listen) == normalized(proxy.listen)
            if same_listen and existing.upstream == proxy.upstream:
                return existing
            await existing.stop()
        if enabled:
            await proxy.start()
        self.proxies[proxy.name] = proxy
        return proxy

    async def close(self) -> None:
        """Stop every proxy and forget them all."""
        proxies = list(self.proxies.values())
        self.proxies.clear()
        for proxy in proxies:
            await proxy.stop()
