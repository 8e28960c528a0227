"""The little web layer the stand-ins share: requests, responses, routes and body parsing.

Pure ASGI on purpose: the stand-ins are small, FaultMiddleware is pure ASGI too, and each
stand-in must answer exactly the bytes its real counterpart does (status, content type,
body), which is easiest when nothing sits in between.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from drillbook.asgi import Receive, Send, send_response
from drillbook.asgi import read_body as read_body
from drillbook.errors import DrillbookError


class BodyError(DrillbookError, ValueError):
    """A request body that cannot be read as what its content type says."""


@dataclass
class Request:
    """One HTTP request as a stand-in sees it, body already read.

    ``headers`` has lower-case names (repeated headers joined with ``", "``); ``params``
    holds the path parameters of the matched route; ``extras`` is what the stand-in wants
    recorded beside the request (for instance which Stripe account served it).
    """

    method: str
    path: str
    query_string: str
    headers: dict[str, str]
    body: bytes
    params: dict[str, str] = field(default_factory=dict)
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def content_type(self) -> str:
        """The media type without parameters, lower case (``""`` when not given)."""
        return self.headers.get("content-type", "").split(";", 1)[0].strip().lower()

    def query(self) -> dict[str, Any]:
        """The query string as nested values (``a[b]=1`` gives ``{"a": {"b": "1"}}``)."""
        return parse_form(self.query_string)

    def json(self) -> Any:
        """The body parsed as JSON; BodyError when it is not."""
        try:
            return json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as error:
            raise BodyError(f"the body is not JSON: {error}") from None

    def form(self) -> dict[str, Any]:
        """The body parsed as ``application/x-www-form-urlencoded`` with nested keys."""
        try:
            return parse_form(self.body.decode("utf-8"))
        except UnicodeDecodeError as error:
            raise BodyError(f"the body is not UTF-8 form data: {error}") from None

    def params_by_content_type(self) -> dict[str, Any]:
        """Form fields or a JSON object, whichever the content type says (form by default)."""
        if self.content_type == "application/json":
            data = self.json() if self.body.strip() else {}
            if not isinstance(data, dict):
                raise BodyError("the JSON body must be an object")
            return data
        return self.form()


@dataclass(frozen=True)
class Response:
    """One complete HTTP response."""

    status: int
    body: bytes = b""
    content_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    async def send(self, send: Send) -> None:
        """Send it over ASGI."""
        headers = [(name.lower().encode(), value.encode()) for name, value in self.headers.items()]
        if self.content_type is not None:
            headers.append((b"content-type", self.content_type.encode()))
        await send_response(send, self.status, self.body, headers)


def json_response(status: int, payload: Any, headers: dict[str, str] | None = None) -> Response:
    """A JSON response (pretty enough to read in a terminal, compact on the wire)."""
    body = json.dumps(payload, separators=(",", ":")).encode()
    return Response(status, body, "application/json", dict(headers or {}))


def text_response(status: int, text: str, headers: dict[str, str] | None = None) -> Response:
    """A ``text/plain`` response, as Slack's webhooks answer."""
    return Response(status, text.encode(), "text/plain; charset=utf-8", dict(headers or {}))


def empty_response(status: int = 204, headers: dict[str, str] | None = None) -> Response:
    """A response without a body."""
    return Response(status, b"", None, dict(headers or {}))


Handler = Callable[[Request], Response]
_PARAM = re.compile(r"\{([a-z_]+)\}")


@dataclass(frozen=True)
class Route:
    """A method and a path template such as ``/v1/charges/{id}`` answered by ``handler``."""

    method: str
    template: str
    handler: Handler

    @property
    def pattern(self) -> re.Pattern[str]:
        """The template as a regular expression; a parameter is one non-empty path segment."""
        parts = _PARAM.split(self.template)
        regex = "".join(
            f"(?P<{part}>[^/]+)" if index % 2 else re.escape(part)
            for index, part in enumerate(parts)
        )
        return re.compile(f"^{regex}$")


@dataclass(frozen=True)
class Match:
    """What a router found for a request: a handler with its parameters, or the methods
    the path does answer (empty when no route has that path at all)."""

    handler: Handler | None
    params: dict[str, str]
    allowed: tuple[str, ...] = ()


class Router:
    """Finds the route for a method and path."""

    def __init__(self, routes: Iterable[Route]) -> None:
        self._routes = [(route, route.pattern) for route in routes]

    def match(self, method: str, path: str) -> Match:
        """The handler for ``method path``, or which methods that path allows."""
        allowed: list[str] = []
        for route, pattern in self._routes:
            found = pattern.match(path)
            if found is None:
                continue
            if route.method == method:
                return Match(route.handler, found.groupdict())
            allowed.append(route.method)
        return Match(None, {}, tuple(allowed))


def parse_form(text: str) -> dict[str, Any]:
    """URL-encoded fields with Stripe-style nesting: ``a[b]=1`` and ``a[]=x`` (a list).

    A key that is used both as a plain value and as a nested one raises BodyError.
    """
    result: dict[str, Any] = {}
    for key, value in parse_qsl(text, keep_blank_values=True):
        _insert(result, _key_parts(key), value, key)
    return result


def _key_parts(key: str) -> list[str]:
    head, bracket, rest = key.partition("[")
    if not bracket or not rest.endswith("]"):
        return [key]
    return [head, *rest[:-1].split("][")]


def _insert(target: dict[str, Any], parts: list[str], value: str, key: str) -> None:
    node: Any = target
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        if part == "" and isinstance(node, list) and last:
            node.append(value)
            return
        if not isinstance(node, dict) or part == "":
            raise BodyError(f"form field {key!r} mixes a list with named fields")
        if last:
            if isinstance(node.get(part), dict | list):
                raise BodyError(f"form field {key!r} is given both as a value and as nested")
            node[part] = value
            return
        child = node.get(part)
        if child is None:
            child = [] if parts[index + 1] == "" else {}
            node[part] = child
        elif isinstance(child, str):
            raise BodyError(f"form field {key!r} is given both as a value and as nested")
        node = child


def replay(body: bytes) -> Receive:
    """An ASGI ``receive`` that gives ``body`` once, then waits as for a disconnect."""
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


def header_dict(raw: Iterable[tuple[bytes, bytes]]) -> dict[str, str]:
    """ASGI headers as a dict of lower-case names; repeated headers joined by ``", "``."""
    headers: dict[str, str] = {}
    for name, value in raw:
        key = name.decode("latin-1").lower()
        text = value.decode("latin-1")
        headers[key] = f"{headers[key]}, {text}" if key in headers else text
    return headers
