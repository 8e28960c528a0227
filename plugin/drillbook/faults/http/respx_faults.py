"""HTTP faults on httpx calls made inside the test process, through respx.

``inject_httpx_fault(spec, base_url=...)`` is a context manager: while it is open, httpx
requests (sync and async clients, any transport, in-process ASGI apps included) to
``base_url`` that match the spec get the fault; all others go through untouched. The
fault is lifted when the block ends, also when it raises.

Without a ``router`` the fault lives in one shared respx router that drillbook starts
with the first open fault and stops with the last; it patches httpx clients (respx's
"httpx" mocker) and passes every request it does not fault on to the real transport.
With a ``router`` (for example a test's ``respx_mock``) the fault's route is put first
in that router and a request it does not fault on goes on to the router's other routes.
Nested faults: the innermost block's fault is consulted first.
"""

from __future__ import annotations

import asyncio
import inspect
import itertools
import random
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import respx
from respx.models import RouteList
from respx.patterns import Match, Pattern

from drillbook.errors import DrillbookError
from drillbook.faults.http.admin import DEFAULT_ADMIN_PREFIX
from drillbook.faults.http.asgi import FAULT_HEADER
from drillbook.faults.http.book import FaultBook
from drillbook.faults.http.spec import HttpFaultSpec, path_matches
from drillbook.steps.masking import Masker

_PASS_THROUGH_ROUTE = "drillbook-pass-through"
_ASYNC_RESOLVE = respx.Router.aresolve.__code__
_tokens = itertools.count(1)


class HttpxFaultHandle:
    """What an open ``inject_httpx_fault`` block gives: the fault and how often it struck."""

    def __init__(self, spec: HttpFaultSpec, base_url: str, book: FaultBook) -> None:
        self.spec = spec
        self.base_url = base_url
        self._book = book
        self._lock = threading.Lock()
        self._applied = 0

    @property
    def applied(self) -> int:
        """How many requests the fault has answered (or delayed) so far."""
        with self._lock:
            return self._applied

    @property
    def active(self) -> bool:
        """False once the block has ended or a counted fault is spent."""
        return len(self._book) > 0

    def lift(self) -> None:
        """Stop faulting now (the block's end does this too)."""
        self._book.clear()

    def decide(self, request: httpx.Request) -> HttpFaultSpec | None:
        """The fault this request gets, counting it; None lets the request through."""
        fault = self._book.decide(request.method, request.url.path)
        if fault is not None:
            with self._lock:
                self._applied += 1
        return fault


class _Scope(Pattern):
    """A respx pattern for every request under one base URL (scheme, host, port, path).

    Each injection's scope carries its own token, so two faults on the same base URL are
    two routes (respx treats routes with equal patterns as the same route).
    """

    key = "drillbook_fault_scope"

    def __init__(self, base_url: str, token: int) -> None:
        url = httpx.URL(base_url)
        self._scheme = url.scheme
        self._host = url.host
        self._port = _port_of(url)
        self._path = url.path.rstrip("/") or "/"
        super().__init__((self._scheme, self._host, self._port, self._path, token))

    def match(self, request: httpx.Request) -> Match:
        url = request.url
        same_origin = (url.scheme, url.host, _port_of(url)) == (
            self._scheme,
            self._host,
            self._port,
        )
        return Match(same_origin and path_matches(self._path, url.path))


@contextmanager
def inject_httpx_fault(
    spec: HttpFaultSpec,
    *,
    base_url: str,
    router: respx.Router | None = None,
    rng: random.Random | None = None,
) -> Iterator[HttpxFaultHandle]:
    """Fault httpx requests to ``base_url`` that match ``spec`` until the block ends.

    ``spec.path`` is matched against the request's whole path (a base URL's own path
    included). ``rng`` makes ``fraction`` deterministic. The block gets a handle that
    counts how often the fault struck and can lift it early.
    """
    _check_base_url(base_url)
    book = FaultBook(rng)
    book.add(spec)
    handle = HttpxFaultHandle(spec, base_url, book)
    token = next(_tokens)
    route = respx.Route(_Scope(base_url, token))
    route.side_effect = lambda request: _answer(handle, request)
    name = f"drillbook-fault-{token}"
    target = router if router is not None else _shared.acquire()
    try:
        with _shared.lock:
            _put_first(target, route, name)
        yield handle
    finally:
        handle.lift()
        with _shared.lock:
            target.pop(name, None)
        if router is None:
            _shared.release()


def _answer(handle: HttpxFaultHandle, request: httpx.Request) -> Any:
    """The route's side effect: None (not ours), the request (pass through), or a response."""
    if path_matches(DEFAULT_ADMIN_PREFIX, request.url.path):
        return None
    fault = handle.decide(request)
    if fault is None:
        return None
    if _resolving_async():
        return _answer_async(fault, request)
    if fault.delay > 0:
        time.sleep(fault.delay)
    return _result(fault, request)


async def _answer_async(fault: HttpFaultSpec, request: httpx.Request) -> Any:
    if fault.delay > 0:
        await asyncio.sleep(fault.delay)
    return _result(fault, request)


def _result(fault: HttpFaultSpec, request: httpx.Request) -> httpx.Request | httpx.Response:
    if fault.status is None:
        return request  # delay-only: respx passes the request on to the real transport
    content, content_type = fault.wire_body()
    headers = {FAULT_HEADER: fault.name or ""}
    if content_type is not None:
        headers["content-type"] = content_type
    return httpx.Response(fault.status, content=content, headers=headers, request=request)


def _resolving_async() -> bool:
    """Whether respx is resolving this request for an async client (its ``aresolve``).

    respx awaits a side effect's coroutine only on the async path, and the sync path
    needs a plain response, so the side effect looks at who called it.
    """
    frame = inspect.currentframe()
    depth = 0
    while frame is not None and depth < 32:
        if frame.f_code is _ASYNC_RESOLVE:
            return True
        frame = frame.f_back
        depth += 1
    return False


def _put_first(router: respx.Router, route: respx.Route, name: str) -> None:
    routes = RouteList()
    routes.add(route, name=name)
    for existing in router.routes:
        routes.add(existing, name=existing.name)
    router.routes[:] = routes


def _port_of(url: httpx.URL) -> int | None:
    return url.port or {"http": 80, "https": 443}.get(url.scheme)


def _check_base_url(base_url: str) -> None:
    shown = Masker().mask(repr(base_url))
    try:
        url = httpx.URL(base_url)
    except httpx.InvalidURL as error:
        raise DrillbookError(f"base_url {shown} is not a URL: {error}") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise DrillbookError(
            f"base_url {shown} must be an absolute http(s) URL such as "
            "'http://127.0.0.1:8000' or 'https://api.example.com/v1'"
        )


class _SharedRouter:
    """The one respx router behind faults given no router, started while any is open."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self._router: respx.MockRouter | None = None
        self._users = 0

    def acquire(self) -> respx.MockRouter:
        with self.lock:
            if self._router is None:
                router = respx.MockRouter(
                    assert_all_called=False, assert_all_mocked=True, using="httpx"
                )
                router.route(name=_PASS_THROUGH_ROUTE).pass_through()
                router.start()
                self._router = router
            self._users += 1
            return self._router

    def release(self) -> None:
        with self.lock:
            self._users -= 1
            if self._users == 0 and self._router is not None:
                self._router.stop()
                self._router = None


_shared = _SharedRouter()
