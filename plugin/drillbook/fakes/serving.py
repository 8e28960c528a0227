"""BackgroundServer: a stand-in under uvicorn in a thread of this process, for tests.

``with BackgroundServer(create_app("pagerduty")) as url: ...`` serves on a free port of
127.0.0.1 and stops (waiting for the thread) on the way out.
"""

from __future__ import annotations

import threading
import time
from types import TracebackType

import uvicorn

from drillbook.errors import DrillbookError
from drillbook.fakes.base import FakeServer

START_TIMEOUT = 10.0


class BackgroundServer:
    """Serves one FakeServer from a daemon thread; ``url`` is set once it listens."""

    def __init__(self, app: FakeServer, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        config = uvicorn.Config(
            app, host=host, port=port, log_level="warning", access_log=False, lifespan="on"
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, name=f"fake-{app.name}", daemon=True
        )
        self.url = ""

    def start(self) -> str:
        """Start serving; the base URL (``http://127.0.0.1:PORT``)."""
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise DrillbookError(
                    f"the {self.app.name} stand-in did not start within {START_TIMEOUT:g} s"
                )
            time.sleep(0.005)
        host, port = self._server.servers[0].sockets[0].getsockname()[:2]
        self.url = f"http://{host}:{port}"
        return self.url

    def stop(self) -> None:
        """Stop serving and wait for the thread."""
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout=START_TIMEOUT)

    def __enter__(self) -> str:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
