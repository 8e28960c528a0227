"""FaultMiddleware: the ASGI wrapper that gives any stand-in a fault admin API.

A stand-in wraps itself once (``app = FaultMiddleware(app)``). Requests under the admin
prefix go to the admin API (see ``drillbook.faults.http.admin``); every other HTTP request
is checked against the FaultBook: a matching fault waits its ``delay`` and then answers
its ``status`` and ``body``, or, for a delay-only fault, lets the real app answer.
Lifespan and websocket scopes pass through untouched.
"""

from __future__ import annotations

import asyncio
import json

from drillbook.asgi import ASGIApp as ASGIApp
from drillbook.asgi import Message as Message
from drillbook.asgi import Receive as Receive
from drillbook.asgi import Scope as Scope
from drillbook.asgi import Send as Send
from drillbook.asgi import read_body
from drillbook.asgi import send_response as send_response
from drillbook.faults.http.admin import (
    ADMIN_HEADER,
    ADMIN_VERSION,
    DEFAULT_ADMIN_PREFIX,
    AdminAnswer,
    handle_admin,
)
from drillbook.faults.http.book import FaultBook
from drillbook.faults.http.spec import HttpFaultSpec

# Fault specs are small; a larger admin request body is refused rather than buffered.
MAX_ADMIN_BODY = 64 * 1024
FAULT_HEADER = "x-drillbook-fault"


class FaultMiddleware:
    """Wraps an ASGI app: serves the fault admin API and applies the book's faults."""

    def __init__(
        self,
        app: ASGIApp,
        book: FaultBook | None = None,
        admin_prefix: str = DEFAULT_ADMIN_PREFIX,
    ) -> None:
        if not admin_prefix.startswith("/") or admin_prefix.endswith("/"):
            raise ValueError(f"admin_prefix {admin_prefix!r} must start and not end with '/'")
        self.app = app
        self.book = book if book is not None else FaultBook()
        self.admin_prefix = admin_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if path == self.admin_prefix or path.startswith(self.admin_prefix + "/"):
            await self._admin(scope, receive, send, path[len(self.admin_prefix) :])
            return
        fault = self.book.decide(scope["method"], path)
        if fault is None:
            await self.app(scope, receive, send)
            return
        await _apply(fault, self.app, scope, receive, send)

    async def _admin(self, scope: Scope, receive: Receive, send: Send, subpath: str) -> None:
        body = await read_body(receive, MAX_ADMIN_BODY)
        if body is None:
            answer = AdminAnswer(
                413, {"error": f"admin requests are at most {MAX_ADMIN_BODY} bytes"}
            )
        else:
            answer = handle_admin(self.book, scope["method"], subpath, body)
        await _send_admin_answer(send, answer)


async def _apply(
    fault: HttpFaultSpec, app: ASGIApp, scope: Scope, receive: Receive, send: Send
) -> None:
    if fault.delay > 0:
        await asyncio.sleep(fault.delay)
    if fault.status is None:
        await app(scope, receive, send)
        return
    content, content_type = fault.wire_body()
    headers = [(FAULT_HEADER.encode(), (fault.name or "").encode())]
    if content_type is not None:
        headers.append((b"content-type", content_type.encode()))
    await send_response(send, fault.status, content, headers)


async def _send_admin_answer(send: Send, answer: AdminAnswer) -> None:
    headers = [(ADMIN_HEADER.encode(), ADMIN_VERSION.encode())]
    headers += [(name.encode(), value.encode()) for name, value in answer.headers.items()]
    content = b""
    if answer.payload is not None:
        content = json.dumps(answer.payload).encode()
        headers.append((b"content-type", b"application/json"))
    await send_response(send, answer.status, content, headers)
