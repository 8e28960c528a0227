"""What a stand-in was sent: one record per request, secrets masked, kept in memory.

A record holds the method, path, query, headers, parsed body, the time it arrived, the
status it got, the fault that answered it (if one did) and the stand-in's own notes
(``extras``). Credentials never enter a record: the Authorization header keeps only its
scheme, and headers, query fields and body fields with secret-looking names are masked.
"""

from __future__ import annotations

import itertools
import threading
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from drillbook.fakes.web import BodyError, Request
from drillbook.faults.http.spec import path_matches
from drillbook.steps.masking import MASK, Masker, is_secret_name

# Header names whose values are credentials whatever they are called.
SECRET_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key"}
)
# Body and query fields that carry credentials (besides names is_secret_name knows).
SECRET_FIELDS = frozenset({"password", "client_secret", "assertion", "code", "key"})
DEFAULT_MAX_RECORDS = 10_000
_masker = Masker()


@dataclass(frozen=True)
class RecordedRequest:
    """One request a stand-in received, as masked as it will ever be shown."""

    id: int
    time: str
    method: str
    path: str
    query: dict[str, Any]
    headers: dict[str, str]
    body: Any
    status: int | None = None
    fault: str | None = None
    duration_ms: float | None = None
    extras: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form ``GET /__drillbook/requests`` answers with."""
        return {
            "id": self.id,
            "time": self.time,
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "headers": self.headers,
            "body": self.body,
            "status": self.status,
            "fault": self.fault,
            "duration_ms": self.duration_ms,
            **({"extras": self.extras} if self.extras else {}),
        }


class RequestLog:
    """The requests a stand-in received, oldest first, at most ``max_records`` of them."""

    def __init__(self, max_records: int = DEFAULT_MAX_RECORDS) -> None:
        self._lock = threading.Lock()
        self._records: deque[RecordedRequest] = deque(maxlen=max_records)
        self._ids = itertools.count(1)

    def next_id(self) -> int:
        """A fresh record id (ids keep growing across ``clear``)."""
        with self._lock:
            return next(self._ids)

    def add(self, record: RecordedRequest) -> None:
        """Keep one record (the oldest is dropped when the log is full)."""
        with self._lock:
            self._records.append(record)

    def list(self, path: str | None = None, method: str | None = None) -> list[RecordedRequest]:
        """Records, oldest first; ``path`` is a prefix or glob as in HTTP faults."""
        with self._lock:
            records = list(self._records)
        return [
            record
            for record in records
            if (path is None or path_matches(path, record.path))
            and (method is None or record.method == method.upper())
        ]

    def clear(self) -> None:
        """Forget every record."""
        with self._lock:
            self._records.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._records)


def start_record(record_id: int, request: Request, path: str) -> RecordedRequest:
    """The record of ``request`` as it arrives (``path`` already masked by the stand-in)."""
    return RecordedRequest(
        id=record_id,
        time=datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        method=request.method,
        path=path,
        query=mask_value(_safe_query(request)),
        headers=mask_headers(request.headers),
        body=mask_value(parsed_body(request)),
        extras=request.extras,
    )


def parsed_body(request: Request) -> Any:
    """The body as the content type says: JSON value, form fields, text, or None if empty."""
    if not request.body:
        return None
    try:
        if request.content_type == "application/json" or request.content_type.endswith("+json"):
            return request.json()
        if request.content_type == "application/x-www-form-urlencoded":
            return request.form()
    except BodyError:
        pass
    try:
        return request.body.decode("utf-8")
    except UnicodeDecodeError:
        return f"<{len(request.body)} bytes of binary data>"


def mask_headers(headers: dict[str, str]) -> dict[str, str]:
    """Headers with credentials masked; Authorization keeps its scheme (``Bearer ****``)."""
    masked: dict[str, str] = {}
    for name, value in headers.items():
        if name in ("authorization", "proxy-authorization"):
            scheme, _, credentials = value.partition(" ")
            masked[name] = f"{scheme} {MASK}" if credentials else MASK
        elif name in SECRET_HEADERS or is_secret_name(name.replace("-", "_")):
            masked[name] = MASK
        else:
            masked[name] = _masker(value)
    return masked


def mask_value(value: Any) -> Any:
    """A parsed body or query with secret-named fields masked, and tokens in text too."""
    if isinstance(value, dict):
        return {
            key: MASK if _secret_field(str(key)) and value[key] else mask_value(value[key])
            for key in value
        }
    if isinstance(value, list):
        return [mask_value(item) for item in value]
    if isinstance(value, str):
        return _masker(value)
    return value


def _secret_field(name: str) -> bool:
    return name.lower() in SECRET_FIELDS or is_secret_name(name)


def _safe_query(request: Request) -> dict[str, Any]:
    try:
        return request.query()
    except BodyError:
        return {"": request.query_string}
