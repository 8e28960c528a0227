"""The shape every stand-in shares: a Fake (its routes and state) inside a FakeServer.

A FakeServer is the ASGI app that is actually served. From the outside in:

1. ``/__drillbook/requests``, ``/__drillbook/state`` and ``/__drillbook/health`` are
   answered first, so no fault ever hits them;
2. every other request is recorded (including the answer's status and the fault that
   gave it, if any) and passed to
3. FaultMiddleware, which serves ``/__drillbook/faults`` and applies the faults, and then
4. the Fake's own routes.

A fault added without a body (or with the generic default body) gets the Fake's native
error body for its status instead, so a Stripe stand-in fails like Stripe does.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import random
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from drillbook.fakes.recording import RecordedRequest, RequestLog, start_record
from drillbook.fakes.web import (
    Request,
    Response,
    Route,
    Router,
    empty_response,
    header_dict,
    json_response,
    read_body,
    replay,
)
from drillbook.faults.http.admin import DEFAULT_ADMIN_PREFIX
from drillbook.faults.http.asgi import FAULT_HEADER, FaultMiddleware, Message, Receive, Scope, Send
from drillbook.faults.http.book import FaultBook
from drillbook.faults.http.spec import default_body

ADMIN_PREFIX = "/__drillbook"
FAULTS_PREFIX = DEFAULT_ADMIN_PREFIX
# Requests larger than this are refused (413) rather than buffered.
MAX_BODY = 1024 * 1024
RECORD_KEY = "drillbook.extras"


@dataclass(frozen=True)
class Option:
    """One start-up option of a stand-in: what it means and how to read it from text."""

    help: str
    parse: Callable[[str], Any]


class Fake(ABC):
    """A stand-in for one SaaS API: routes, in-memory state, native error bodies.

    Subclasses set ``name`` and ``OPTIONS`` (keyword arguments of their ``__init__``,
    readable from ``--option key=value`` text) and implement ``routes``.
    """

    name: ClassVar[str] = "fake"
    OPTIONS: ClassVar[Mapping[str, Option]] = {}

    def __init__(
        self, *, rng: random.Random | None = None, now: Callable[[], float] = time.time
    ) -> None:
        self.rng = rng or random.Random()
        self.now = now
        # Requests are answered in the server's thread; tests may read state from another.
        self.lock = threading.RLock()
        self._router: Router | None = None

    @abstractmethod
    def routes(self) -> list[Route]:
        """The API's routes: every stand-in says what it answers."""

    def state(self) -> dict[str, Any]:
        """What the stand-in holds (charges, incidents, messages), as JSON values."""
        return {}

    def reset(self) -> None:  # noqa: B027 - a stand-in that holds nothing has nothing to forget
        """Forget everything the stand-in was sent (configuration stays)."""

    def fault_body(self, status: int) -> Any:
        """The body an injected fault with ``status`` carries unless told otherwise."""
        return default_body()

    def record_path(self, path: str) -> str:
        """The path as recorded; a stand-in whose URLs hold secrets masks them here."""
        return path

    def not_found(self, request: Request) -> Response:
        """The answer to a path the API does not have."""
        return json_response(404, {"error": f"no route for {request.method} {request.path}"})

    def method_not_allowed(self, request: Request, allowed: tuple[str, ...]) -> Response:
        """The answer to a method the path does not take."""
        return json_response(
            405,
            {"error": f"{request.method} is not allowed on {request.path}"},
            {"allow": ", ".join(allowed)},
        )

    def snapshot(self) -> dict[str, Any]:
        """A deep copy of ``state()``, safe to read from any thread."""
        with self.lock:
            return copy.deepcopy(self.state())

    def handle(self, request: Request) -> Response:
        """Answer one request through the routes."""
        if self._router is None:
            self._router = Router(self.routes())
        found = self._router.match(request.method, request.path)
        if found.handler is not None:
            request.params = found.params
            with self.lock:
                return found.handler(request)
        if found.allowed:
            return self.method_not_allowed(request, found.allowed)
        return self.not_found(request)

    def random_id(self, prefix: str, length: int = 24) -> str:
        """An id such as ``ch_3Nf...``: ``prefix`` and letters and digits from ``rng``."""
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
        return prefix + "".join(self.rng.choice(alphabet) for _ in range(length))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The Fake on its own as an ASGI app (no recording, no faults)."""
        if scope["type"] != "http":
            await _other_scope(scope, receive, send)
            return
        body = await read_body(receive, MAX_BODY)
        if body is None:
            await _too_large(MAX_BODY).send(send)
            return
        request = _request(scope, body)
        request.extras = scope.setdefault(RECORD_KEY, {})
        await self.handle(request).send(send)


class FakeServer:
    """The served ASGI app of one stand-in: admin API, recording, faults, then the Fake."""

    def __init__(
        self,
        fake: Fake,
        *,
        book: FaultBook | None = None,
        log: RequestLog | None = None,
        max_body: int = MAX_BODY,
    ) -> None:
        self.fake = fake
        self.book = book if book is not None else FaultBook()
        self.log = log if log is not None else RequestLog()
        self.max_body = max_body
        self._faulted = FaultMiddleware(fake, self.book, FAULTS_PREFIX)

    @property
    def name(self) -> str:
        """The stand-in's name (``stripe``, ``pagerduty``, ...)."""
        return self.fake.name

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await _other_scope(scope, receive, send)
            return
        path: str = scope["path"]
        if _under(path, FAULTS_PREFIX):
            await self._fault_admin(scope, receive, send)
        elif _under(path, ADMIN_PREFIX):
            await self._admin(scope, receive, send)
        else:
            await self._recorded(scope, receive, send)

    async def _recorded(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.monotonic()
        body = await read_body(receive, self.max_body)
        request = _request(scope, body or b"")
        extras: dict[str, Any] = {}
        scope[RECORD_KEY] = extras
        request.extras = extras
        record = start_record(self.log.next_id(), request, self.fake.record_path(request.path))
        answer: dict[str, Any] = {}

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                answer["status"] = message["status"]
                headers = header_dict(message.get("headers", []))
                answer["fault"] = headers.get(FAULT_HEADER)
            await send(message)

        try:
            if body is None:
                await _too_large(self.max_body).send(capture)
            else:
                await self._faulted(scope, replay(body), capture)
        finally:
            self.log.add(_finished(record, answer, started))

    async def _fault_admin(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = await read_body(receive, self.max_body)
        if body is None:
            await _too_large(self.max_body).send(send)
            return
        if scope["method"] == "POST" and _under(scope["path"], FAULTS_PREFIX):
            body = self._with_native_body(body)
        await self._faulted(scope, replay(body), send)

    def _with_native_body(self, body: bytes) -> bytes:
        """A fault spec whose body is missing or generic gets the Fake's native body."""
        try:
            data = json.loads(body.decode("utf-8")) if body.strip() else {}
        except (UnicodeDecodeError, ValueError):
            return body  # the admin API explains what is wrong
        if not isinstance(data, dict):
            return body
        status = data.get("status", 503)
        if isinstance(status, bool) or not isinstance(status, int) or not 200 <= status <= 599:
            return body
        if "body" in data and data["body"] != default_body():
            return body
        data["body"] = self.fake.fault_body(status)
        return json.dumps(data).encode()

    async def _admin(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = await read_body(receive, self.max_body)
        request = _request(scope, body or b"")
        await self.admin(request).send(send)

    def admin(self, request: Request) -> Response:
        """Answer ``/__drillbook/requests``, ``/__drillbook/state``, ``/__drillbook/health``."""
        resource = request.path[len(ADMIN_PREFIX) :].strip("/")
        handlers: dict[str, dict[str, Callable[[Request], Response]]] = {
            "requests": {"GET": self._list_requests, "DELETE": self._clear_requests},
            "state": {"GET": self._show_state, "DELETE": self._reset_state},
            "health": {"GET": self._health},
        }
        methods = handlers.get(resource)
        if methods is None:
            return json_response(
                404,
                {
                    "error": f"no drillbook admin resource {request.path!r}; there are "
                    f"{ADMIN_PREFIX}/requests, /state, /health and /faults"
                },
            )
        handler = methods.get(request.method)
        if handler is None:
            allowed = ", ".join(methods)
            return json_response(
                405,
                {"error": f"{request.method} is not allowed on {request.path}; use {allowed}"},
                {"allow": allowed},
            )
        return handler(request)

    def _list_requests(self, request: Request) -> Response:
        query = request.query()
        path = query.get("path")
        method = query.get("method")
        records = self.log.list(
            path if isinstance(path, str) and path else None,
            method if isinstance(method, str) and method else None,
        )
        return json_response(200, {"requests": [record.to_dict() for record in records]})

    def _clear_requests(self, request: Request) -> Response:
        self.log.clear()
        return empty_response()

    def _show_state(self, request: Request) -> Response:
        with self.fake.lock:
            return json_response(200, {"fake": self.name, **self.fake.state()})

    def _reset_state(self, request: Request) -> Response:
        with self.fake.lock:
            self.fake.reset()
        return empty_response()

    def _health(self, request: Request) -> Response:
        return json_response(200, {"fake": self.name, "status": "ok"})


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix + "/")


def _request(scope: Scope, body: bytes) -> Request:
    query: bytes = scope.get("query_string", b"")
    return Request(
        method=scope["method"],
        path=scope["path"],
        query_string=query.decode("latin-1"),
        headers=header_dict(scope.get("headers", [])),
        body=body,
    )


def _too_large(limit: int) -> Response:
    return json_response(413, {"error": f"request bodies are at most {limit} bytes here"})


def _finished(record: RecordedRequest, answer: dict[str, Any], started: float) -> RecordedRequest:
    return dataclasses.replace(
        record,
        status=answer.get("status"),
        fault=answer.get("fault") or None,
        duration_ms=round((time.monotonic() - started) * 1000, 3),
    )


async def _other_scope(scope: Scope, receive: Receive, send: Send) -> None:
    """Lifespan gets its completions; websockets are refused."""
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            await send({"type": message["type"] + ".complete"})
            if message["type"] == "lifespan.shutdown":
                return
    elif scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": 1003})
