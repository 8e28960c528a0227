"""The toxiproxy provider chain: an address the user gives, a ``toxiproxy-server`` binary on
PATH, the ``ghcr.io/shopify/toxiproxy`` image through testcontainers when a Docker engine
answers, and last drillbook's own embedded toxiproxy-compatible server."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from drillbook.errors import DrillbookError
from drillbook.services.chain import (
    Provided,
    Provider,
    ProviderChain,
    ProviderContext,
    Unavailable,
)
from drillbook.services.docker import docker_engine_available
from drillbook.services.ports import free_port

URL_ENV = "DRILLBOOK_TOXIPROXY_URL"
IMAGE_ENV = "DRILLBOOK_TOXIPROXY_IMAGE"
DEFAULT_IMAGE = "ghcr.io/shopify/toxiproxy:2.12.0"
BINARY = "toxiproxy-server"
READY_SECONDS = 10.0


@dataclass
class ToxiproxyInstance:
    """A toxiproxy API drillbook can use, and how to stop it (a no-op for a given address)."""

    url: str
    provider: str
    version: str
    owned: bool
    _stop: Callable[[], None]
    pid: int | None = None  # a server process drillbook started (the binary), for the ledger

    def stop(self) -> None:
        stop, self._stop = self._stop, _nothing
        stop()


def _nothing() -> None:
    return None


def api_version(url: str, timeout: float = 2.0) -> str:
    """The server's version from ``GET /version``; raises Unavailable when it does not answer."""
    try:
        response = httpx.get(f"{url.rstrip('/')}/version", timeout=timeout)
    except httpx.HTTPError as exc:
        raise Unavailable(f"{url} did not answer: {exc.__class__.__name__}: {exc}") from None
    if response.status_code != 200:
        raise Unavailable(f"{url}/version answered {response.status_code}")
    try:
        body: Any = response.json()
        return str(body.get("version", "?")) if isinstance(body, dict) else str(body)
    except ValueError:
        return response.text.strip() or "?"


class GivenUrlProvider:
    name = "given-url"
    fix = f"pass --toxiproxy-url http://HOST:8474, set {URL_ENV}, or set drillbook_toxiproxy_url"

    def __init__(self, url: str | None) -> None:
        self.url = url

    def provide(self, ctx: ProviderContext) -> ToxiproxyInstance:
        url = self.url or ctx.environ.get(URL_ENV)
        if not url:
            raise Unavailable("not set")
        version = api_version(url)
        return ToxiproxyInstance(url.rstrip("/"), self.name, version, False, _nothing)


class BinaryProvider:
    name = "toxiproxy-server"
    fix = "install toxiproxy-server from Shopify's toxiproxy releases and put it on PATH"

    def provide(self, ctx: ProviderContext) -> ToxiproxyInstance:
        path = shutil.which(BINARY, path=ctx.environ.get("PATH"))
        if path is None:
            raise Unavailable("not on PATH")
        port = free_port()
        process = subprocess.Popen(
            [path, "-host", "127.0.0.1", "-port", str(port)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        url = f"http://127.0.0.1:{port}"

        def stop() -> None:
            process.terminate()
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

        try:
            version = _wait_for_api(url, lambda: process.poll() is None)
        except Unavailable:
            stop()
            raise
        return ToxiproxyInstance(url, self.name, version, True, stop, process.pid)


class DockerProvider:
    name = "docker"
    fix = "start a Docker engine (or point DOCKER_HOST at one)"

    def provide(self, ctx: ProviderContext) -> ToxiproxyInstance:
        status = docker_engine_available(environ=ctx.environ)
        if not status.available:
            raise Unavailable(status.reason)
        image = ctx.environ.get(IMAGE_ENV, DEFAULT_IMAGE)
        port = free_port()
        try:
            container = _start_container(image, port)
        except Exception as exc:
            raise Unavailable(f"container {image} did not start: {exc}") from None
        url = f"http://127.0.0.1:{port}"
        try:
            version = _wait_for_api(url, lambda: True)
        except Unavailable:
            container.stop()
            raise
        return ToxiproxyInstance(url, self.name, version, True, container.stop)


def _start_container(image: str, port: int) -> Any:
    """Host networking, so proxies reach upstreams on 127.0.0.1 like the other providers."""
    from testcontainers.core.container import DockerContainer

    container = DockerContainer(image).with_kwargs(network_mode="host")
    container = container.with_command(f"-host 127.0.0.1 -port {port}")
    container.start()
    return container


class EmbeddedProvider:
    name = "embedded"
    fix = "reinstall drillbook (the embedded server ships with it)"

    def provide(self, ctx: ProviderContext) -> ToxiproxyInstance:
        from drillbook.faults.server import VERSION, ToxiproxyServer

        server = ToxiproxyServer("127.0.0.1", 0).start()
        return ToxiproxyInstance(server.url, self.name, VERSION, True, server.stop)


def _wait_for_api(url: str, alive: Callable[[], bool]) -> str:
    deadline = time.monotonic() + READY_SECONDS
    last = "not asked yet"
    while time.monotonic() < deadline:
        if not alive():
            raise Unavailable(f"the server at {url} exited before it answered")
        try:
            return api_version(url, timeout=0.5)
        except Unavailable as exc:
            last = exc.reason
        time.sleep(0.05)
    raise Unavailable(f"no answer from {url} within {READY_SECONDS:g} s ({last})")


PROVIDER_NAMES = ("given-url", "toxiproxy-server", "docker", "embedded")


def obtain_toxiproxy(
    given_url: str | None = None,
    *,
    prefer: Sequence[str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Provided[ToxiproxyInstance]:
    """A toxiproxy API from the first provider that has one; ``prefer`` picks and orders."""
    env = dict(os.environ if environ is None else environ)
    every: dict[str, Provider[ToxiproxyInstance]] = {
        "given-url": GivenUrlProvider(given_url),
        "toxiproxy-server": BinaryProvider(),
        "docker": DockerProvider(),
        "embedded": EmbeddedProvider(),
    }
    chosen = list(PROVIDER_NAMES if prefer is None else prefer)
    unknown = [name for name in chosen if name not in every]
    if unknown:
        raise DrillbookError(
            f"unknown toxiproxy provider {', '.join(map(repr, unknown))}: "
            f"choose from {', '.join(PROVIDER_NAMES)}"
        )
    chain = ProviderChain(
        "toxiproxy", [every[name] for name in chosen], environ=env, summarize=_summary
    )
    return chain.obtain()


def _summary(instance: ToxiproxyInstance) -> str:
    return f"{instance.provider} {instance.version} at {instance.url}"
