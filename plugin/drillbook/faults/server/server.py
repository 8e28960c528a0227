"""ToxiproxyServer: the embedded toxiproxy-compatible server, run on its own loop in a thread.

Every change to proxies and toxics happens on that loop's thread, whether it comes through the
HTTP API or through the Python methods here (which hand the work to the loop and wait).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any, TypeVar

from drillbook.faults.server.app import ToxiproxyApp, finish_tasks, new_event_loop
from drillbook.faults.server.toxic_collection import ToxicEntry

T = TypeVar("T")

START_TIMEOUT = 10.0
CALL_TIMEOUT = 30.0


class ToxiproxyServer:
    """A toxiproxy 2.x compatible server: ``start()``, use ``.url``, ``stop()``.

    Also a context manager. The Python methods mirror the API and return the same JSON shapes;
    they raise ``ApiError`` (with ``.status``) where the API would answer an error.
    ``relay_loops`` is how many event loops (threads) relay connections: None means one, the
    loop the API answers on; more add threads of their own.
    """

    def __init__(
        self, host: str = "127.0.0.1", port: int = 0, relay_loops: int | None = None
    ) -> None:
        self.host = host
        self.port = port
        self.relay_loops = relay_loops
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._app: ToxiproxyApp | None = None

    # Lifecycle.
    def start(self) -> ToxiproxyServer:
        """Start the loop thread and the API; returns self once the API listens."""
        if self._thread is not None:
            raise RuntimeError("the toxiproxy server is already started")
        ready = threading.Event()
        failure: list[BaseException] = []
        self._loop = new_event_loop()
        self._thread = threading.Thread(
            target=self._run, args=(ready, failure), name="drillbook-toxiproxy", daemon=True
        )
        self._thread.start()
        if not ready.wait(START_TIMEOUT):
            raise RuntimeError("the toxiproxy server did not start in time")
        if failure:
            self._thread.join()
            self._thread = None
            raise failure[0]
        return self

    def _run(self, ready: threading.Event, failure: list[BaseException]) -> None:
        loop = self._loop
        assert loop is not None
        asyncio.set_event_loop(loop)
        try:
            self._app = loop.run_until_complete(self._open())
        except BaseException as exc:
            failure.append(exc)
            ready.set()
            loop.close()
            return
        ready.set()
        try:
            loop.run_forever()
        finally:
            finish_tasks(loop)
            loop.close()

    async def _open(self) -> ToxiproxyApp:
        app = ToxiproxyApp(self.relay_loops)
        try:
            await app.start(self.host, self.port)
        except BaseException:
            await app.close()
            raise
        return app

    def stop(self) -> None:
        """Close the API, every proxy and connection, and end the loop thread."""
        if self._thread is None or self._loop is None:
            return
        if self._app is not None:
            self.call(self._app.close)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(START_TIMEOUT)
        self._thread = None
        self._app = None

    def __enter__(self) -> ToxiproxyServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The API's base URL, e.g. ``http://127.0.0.1:8474``."""
        return self._running_app().url

    @property
    def address(self) -> tuple[str, int]:
        """The API's host and port."""
        address = self._running_app().address
        assert address is not None
        return address

    def call(self, work: Callable[[], Awaitable[T]]) -> T:
        """Run ``work()`` on the loop thread and wait for its result."""
        loop = self._loop
        if loop is None or self._thread is None:
            raise RuntimeError("the toxiproxy server is not running")
        if threading.current_thread() is self._thread:
            raise RuntimeError("ToxiproxyServer methods cannot be called from its own loop")

        async def run() -> T:
            return await work()

        return asyncio.run_coroutine_threadsafe(run(), loop).result(CALL_TIMEOUT)

    def _running_app(self) -> ToxiproxyApp:
        if self._app is None:
            raise RuntimeError("the toxiproxy server is not running")
        return self._app

    # The API, in Python.
    def proxies(self) -> dict[str, Any]:
        """Every proxy by name (``GET /proxies``)."""
        app = self._running_app()
        return self.call(lambda: _now(app.proxies.index))

    def create_proxy(
        self, name: str, upstream: str, listen: str = "127.0.0.1:0", enabled: bool = True
    ) -> dict[str, Any]:
        """Create a proxy (``POST /proxies``); its JSON carries the real listen address."""
        body = {"name": name, "upstream": upstream, "listen": listen, "enabled": enabled}
        app = self._running_app()
        return self.call(lambda: app.proxies.create(body))

    def get_proxy(self, name: str) -> dict[str, Any]:
        """One proxy (``GET /proxies/{name}``)."""
        app = self._running_app()
        return self.call(lambda: _now(lambda: app.proxies.get(name).to_json()))

    def update_proxy(self, name: str, **fields: Any) -> dict[str, Any]:
        """Change ``listen``, ``upstream`` or ``enabled`` (``PATCH /proxies/{name}``)."""
        app = self._running_app()
        return self.call(lambda: app.proxies.update(name, fields))

    def delete_proxy(self, name: str) -> None:
        """Delete a proxy, closing its connections (``DELETE /proxies/{name}``)."""
        app = self._running_app()
        self.call(lambda: app.proxies.delete(name))

    def add_toxic(
        self,
        proxy: str,
        type: str,
        stream: str = "downstream",
        toxicity: float = 1.0,
        attributes: dict[str, int] | None = None,
        name: str | None = None,
    ) -> dict[str, Any]:
        """Add a toxic (``POST /proxies/{proxy}/toxics``); it acts on open connections too."""
        body: dict[str, Any] = {
            "type": type,
            "stream": stream,
            "toxicity": toxicity,
            "attributes": attributes or {},
        }
        if name:
            body["name"] = name
        app = self._running_app()
        return self.call(lambda: _json(app.proxies.get(proxy).toxics.add(body)))

    def update_toxic(
        self,
        proxy: str,
        name: str,
        attributes: dict[str, int] | None = None,
        toxicity: float | None = None,
    ) -> dict[str, Any]:
        """Merge attributes into a toxic or change its toxicity."""
        body: dict[str, Any] = {"attributes": attributes or {}}
        if toxicity is not None:
            body["toxicity"] = toxicity
        app = self._running_app()
        return self.call(lambda: _json(app.proxies.get(proxy).toxics.update(name, body)))

    def remove_toxic(self, proxy: str, name: str) -> None:
        """Remove a toxic (``DELETE /proxies/{proxy}/toxics/{name}``)."""
        app = self._running_app()
        self.call(lambda: app.proxies.get(proxy).toxics.remove(name))

    def connections(self, proxy: str) -> list[int]:
        """How many connections of ``proxy`` are open on each relay loop (the API's first)."""
        app = self._running_app()
        return self.call(lambda: _now(lambda: app.proxies.get(proxy).link_counts()))

    def reset(self) -> None:
        """Enable every proxy and remove every toxic (``POST /reset``)."""
        app = self._running_app()
        self.call(app.proxies.reset)

    def populate(self, proxies: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Create or replace proxies (``POST /populate``); raises the error that stopped it."""
        app = self._running_app()
        done, error = self.call(lambda: app.proxies.populate(proxies))
        if error is not None:
            raise error
        return done


async def _now(work: Callable[[], T]) -> T:
    """A plain call, as an awaitable, so it runs on the loop thread."""
    return work()


async def _json(entry: Awaitable[ToxicEntry]) -> dict[str, Any]:
    """The JSON of the toxic ``entry`` resolves to."""
    return (await entry).to_json()
