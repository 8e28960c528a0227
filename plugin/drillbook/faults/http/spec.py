"""What one HTTP fault is: which requests it hits, and what they get instead.

The same vocabulary serves both mechanisms (respx inside the test process, and the fault
admin API of drillbook's stand-ins): an answer ``status`` with ``body``, an added
``delay``, the ``fraction`` of matching requests it hits, and for how many (``count``).
A fault whose ``status`` is ``None`` only delays the real response.
"""

from __future__ import annotations

import copy
import fnmatch
import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

from drillbook.errors import DrillbookError
from drillbook.formats.common import parse_duration
from drillbook.formats.drill import HttpFault


def default_body() -> dict[str, Any]:
    """The body an injected error carries unless told otherwise: an API-style error JSON."""
    return {"error": {"type": "api_error", "message": "injected by drillbook"}}


FIELDS = ("name", "status", "body", "delay", "fraction", "count", "method", "path")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_METHOD = re.compile(r"^[A-Za-z]{1,20}$")
_GLOB_CHARS = frozenset("*?[")
_NO_BODY_STATUSES = frozenset({204, 304})


class HttpFaultSpecError(DrillbookError, ValueError):
    """An HTTP fault description that cannot be applied; the message says what to change."""


@dataclass(frozen=True)
class HttpFaultSpec:
    """One HTTP fault: which requests it matches and what those requests get instead.

    ``status`` None makes a delay-only fault: matching requests wait ``delay`` seconds and
    then get the real response. ``count`` None keeps the fault until it is lifted; a number
    N makes it answer the next N matching requests and then vanish. ``path`` is a prefix
    (``/v1/charges`` matches ``/v1/charges`` and ``/v1/charges/ch_1``) or, when it holds
    ``*``, ``?`` or ``[``, a glob on the whole path. ``method`` None matches every method.
    """

    status: int | None = 503
    body: Any = field(default_factory=default_body)
    delay: float = 0.0
    fraction: float = 1.0
    count: int | None = None
    method: str | None = None
    path: str | None = None
    name: str | None = None

    def __post_init__(self) -> None:
        _check_status(self.status)
        object.__setattr__(self, "body", _checked_body(self.status, self.body))
        object.__setattr__(self, "delay", _checked_delay(self.delay))
        if self.status is None and self.delay == 0:
            raise HttpFaultSpecError(
                "a delay-only fault (status null) needs a delay > 0; "
                "give 'delay', or a status to answer with"
            )
        object.__setattr__(self, "fraction", _checked_fraction(self.fraction))
        _check_count(self.count)
        object.__setattr__(self, "method", _checked_method(self.method))
        _check_path(self.path)
        _check_name(self.name)

    @classmethod
    def from_model(cls, fault: HttpFault) -> HttpFaultSpec:
        """The spec for a drill file's ``kind: http`` fault (its ``target`` says where)."""
        body = None if fault.passthrough else (default_body() if fault.body is None else fault.body)
        return cls(
            status=None if fault.passthrough else fault.status,
            body=body,
            delay=fault.delay,
            fraction=fault.fraction,
            count=fault.count,
            method=fault.method,
            path=fault.path,
        )

    @classmethod
    def from_dict(cls, data: Any) -> HttpFaultSpec:
        """A spec from its JSON form; a missing ``body`` means the default error body.

        ``delay`` may be seconds or a duration string such as ``"300ms"``.
        """
        if not isinstance(data, dict):
            raise HttpFaultSpecError(
                f'an HTTP fault is a JSON object such as {{"status": 503}}, not {_show(data)}'
            )
        unknown = sorted(str(key) for key in data if key not in FIELDS)
        if unknown:
            raise HttpFaultSpecError(
                f"unknown field(s) {', '.join(unknown)} in an HTTP fault; "
                f"the fields are: {', '.join(FIELDS)}"
            )
        values = dict(data)
        if "delay" in values:
            values["delay"] = _parsed_delay(values["delay"])
        if values.get("status", 503) is None and "body" not in values:
            values["body"] = None
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form, every field present (``from_dict`` reads it back to an equal spec)."""
        return {
            "name": self.name,
            "status": self.status,
            "body": copy.deepcopy(self.body),
            "delay": self.delay,
            "fraction": self.fraction,
            "count": self.count,
            "method": self.method,
            "path": self.path,
        }

    def matches(self, method: str, path: str) -> bool:
        """Whether a request with this method and path (no query string) is in scope."""
        if self.method is not None and method.upper() != self.method:
            return False
        return self.path is None or path_matches(self.path, path)

    def wire_body(self) -> tuple[bytes, str | None]:
        """The injected body as bytes and its content type: JSON, plain text, or nothing."""
        if self.body is None or self.status in _NO_BODY_STATUSES:
            return b"", None
        if isinstance(self.body, str):
            return self.body.encode(), "text/plain; charset=utf-8"
        return json.dumps(self.body).encode(), "application/json"

    def describe(self) -> str:
        """A short human description, e.g. ``503 on POST /v1/charges* for 50% (next 3)``."""
        effect = "delay only" if self.status is None else str(self.status)
        if self.delay:
            effect += f" after {self.delay:g}s"
        scope = f"{self.method or 'any method'} {self.path or '/*'}"
        extent = "" if self.fraction == 1.0 else f" for {self.fraction:.0%}"
        limit = "" if self.count is None else f" (next {self.count})"
        return f"{effect} on {scope}{extent}{limit}"


def path_matches(pattern: str, path: str) -> bool:
    """Glob on the whole path when ``pattern`` has glob characters, else a segment prefix."""
    if _GLOB_CHARS & set(pattern):
        return fnmatch.fnmatchcase(path, pattern)
    prefix = pattern.rstrip("/")
    return prefix == "" or path == prefix or path.startswith(prefix + "/")


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _check_status(status: Any) -> None:
    if status is None:
        return
    if isinstance(status, bool) or not isinstance(status, int) or not 200 <= status <= 599:
        raise HttpFaultSpecError(
            f"status {_show(status)} is not an HTTP status to answer with; "
            "write a whole number from 200 to 599, or null for a delay-only fault"
        )


def _checked_body(status: int | None, body: Any) -> Any:
    if status is None:
        if body is None or body == default_body():
            return None
        raise HttpFaultSpecError(
            "a delay-only fault (status null) passes the real response through, "
            "so it cannot have a body; remove 'body' or give a status"
        )
    if isinstance(body, str) or body is None:
        return body
    try:
        text = json.dumps(body, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise HttpFaultSpecError(
            f"body {_show(body)} cannot be sent as JSON ({error}); "
            "use JSON values (objects, lists, strings, numbers, true/false, null) or a string"
        ) from None
    return json.loads(text)


def _parsed_delay(delay: Any) -> Any:
    if isinstance(delay, str):
        try:
            return parse_duration(delay)
        except ValueError as error:
            raise HttpFaultSpecError(f"delay: {error}") from None
    return delay


def _checked_delay(delay: Any) -> float:
    if (
        isinstance(delay, bool)
        or not isinstance(delay, int | float)
        or not math.isfinite(delay)
        or delay < 0
    ):
        raise HttpFaultSpecError(
            f"delay {_show(delay)} is not a duration; write seconds as a number >= 0 "
            "(or a string like '300ms' in JSON)"
        )
    return float(delay)


def _checked_fraction(fraction: Any) -> float:
    if (
        isinstance(fraction, bool)
        or not isinstance(fraction, int | float)
        or not 0.0 <= fraction <= 1.0
    ):
        raise HttpFaultSpecError(
            f"fraction {_show(fraction)} is not a share of requests; "
            "write a number from 0 to 1 (0.5 hits about half of the matching requests)"
        )
    return float(fraction)


def _check_count(count: Any) -> None:
    if count is None:
        return
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise HttpFaultSpecError(
            f"count {_show(count)} is not a number of requests; write a whole number >= 1, "
            "or leave it out to keep the fault until it is lifted"
        )


def _checked_method(method: Any) -> str | None:
    if method is None:
        return None
    if not isinstance(method, str) or not _METHOD.match(method):
        raise HttpFaultSpecError(
            f"method {_show(method)} is not an HTTP method; write one such as GET or POST, "
            "or leave it out to match every method"
        )
    return method.upper()


def _check_path(path: Any) -> None:
    if path is None:
        return
    if not isinstance(path, str) or not path.startswith(("/", "*")):
        raise HttpFaultSpecError(
            f"path {_show(path)} is not a request path; write a prefix such as '/v1/charges' "
            "or a glob such as '/v1/*/refunds'"
        )


def _check_name(name: Any) -> None:
    if name is None:
        return
    if not isinstance(name, str) or not _NAME.match(name):
        raise HttpFaultSpecError(
            f"name {_show(name)} is not a fault name; use up to 64 letters, digits, '.', '_' "
            "or '-', starting with a letter or digit"
        )
