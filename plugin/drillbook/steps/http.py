"""Sending one HTTP request a runbook asks for, with httpx, keeping a bounded tail of the body.

Header values are sent but never shown: what a request looks like to people is
``METHOD url`` only (see :func:`PreparedRequest.shown`).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from drillbook.formats.common import HttpRequest
from drillbook.steps.envvars import expand, expand_json
from drillbook.steps.tailbuffer import TailBuffer


class RequestNotSent(Exception):
    """The request cannot be sent at all (a malformed URL, an unsupported scheme)."""


@dataclass(frozen=True)
class PreparedRequest:
    """An :class:`HttpRequest` with its ``$VAR`` references filled in, ready to send."""

    method: str
    url: str
    headers: dict[str, str]
    json_body: Any
    body: str | None
    follow_redirects: bool

    @property
    def shown(self) -> str:
        """How the request is shown to people: method and URL, nothing else (mask the URL)."""
        return f"{self.method} {self.url}"


@dataclass(frozen=True)
class HttpExchange:
    """What came back: a status and the tail of the body, or why nothing came back."""

    status_code: int | None
    body: str
    failure: str | None = None  # a connection or protocol error, as an SRE would read it
    timed_out: bool = False


def prepare(request: HttpRequest, env: Mapping[str, str]) -> PreparedRequest:
    """Expand ``$VAR`` in the URL, header values and body; raises ``UndefinedVariable``."""
    return PreparedRequest(
        method=request.method,
        url=expand(request.url, env),
        headers={name: expand(value, env) for name, value in request.headers.items()},
        json_body=expand_json(request.json_body, env),
        body=None if request.body is None else expand(request.body, env),
        follow_redirects=request.follow_redirects,
    )


def send(
    client: httpx.Client, request: PreparedRequest, *, timeout: float, limit: int
) -> HttpExchange:
    """Send ``request``; a refused connection or a timeout is an answer, not an exception."""
    deadline = time.monotonic() + timeout
    try:
        with client.stream(
            request.method,
            request.url,
            headers=request.headers,
            json=request.json_body,
            content=request.body,
            timeout=httpx.Timeout(timeout),
            follow_redirects=request.follow_redirects,
        ) as response:
            return _read(response, deadline, limit)
    except httpx.TimeoutException:
        return HttpExchange(None, "", timed_out=True)
    except (httpx.InvalidURL, httpx.UnsupportedProtocol) as error:
        raise RequestNotSent(f"cannot send {request.method} {request.url}: {error}") from error
    except httpx.ConnectError as error:
        return HttpExchange(
            None,
            "",
            failure=f"connection error: could not connect to {request.url}: {_reason(error)}",
        )
    except httpx.TransportError as error:
        return HttpExchange(
            None,
            "",
            failure=f"connection error: {type(error).__name__} "
            f"from {request.url}: {_reason(error)}",
        )


def _read(response: httpx.Response, deadline: float, limit: int) -> HttpExchange:
    """Keep the last ``limit`` bytes of the body; stop at the deadline with what came."""
    buffer = TailBuffer(limit)
    for chunk in response.iter_bytes():
        buffer.append(chunk)
        if time.monotonic() > deadline:
            return HttpExchange(response.status_code, buffer.text(), timed_out=True)
    return HttpExchange(response.status_code, buffer.text())


def _reason(error: Exception) -> str:
    return str(error) or type(error).__name__
