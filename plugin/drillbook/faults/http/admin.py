"""The fault admin API of a stand-in, as plain request-in, answer-out logic over a FaultBook.

Under the admin prefix (by default ``/__drillbook/faults``):
``GET`` lists, ``POST`` adds (201 with the active fault), ``DELETE`` clears (204);
``GET {prefix}/{id}`` shows one fault and ``DELETE {prefix}/{id}`` lifts it (204, or 404).
Errors are ``{"error": "..."}`` with 400 (bad JSON or spec), 404, 405 or 409 (name taken).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from drillbook.faults.http.book import DuplicateFaultError, FaultBook
from drillbook.faults.http.spec import HttpFaultSpec, HttpFaultSpecError

DEFAULT_ADMIN_PREFIX = "/__drillbook/faults"
# Every admin answer carries this header, so a client can tell the API from a stray 404.
ADMIN_HEADER = "x-drillbook-faults"
ADMIN_VERSION = "1"


@dataclass(frozen=True)
class AdminAnswer:
    """One admin API response: status, JSON payload (None for no body), extra headers."""

    status: int
    payload: Any = None
    headers: dict[str, str] = field(default_factory=dict)


def handle_admin(book: FaultBook, method: str, subpath: str, body: bytes) -> AdminAnswer:
    """Answer one admin request; ``subpath`` is what follows the prefix ("" or "/{id}")."""
    fault_id = subpath.strip("/")
    if not fault_id:
        return _collection(book, method, body)
    if "/" in fault_id:
        return _error(404, f"no admin resource at {subpath!r}; faults are at /{{id}}")
    return _item(book, method, fault_id)


def _collection(book: FaultBook, method: str, body: bytes) -> AdminAnswer:
    if method == "GET":
        return AdminAnswer(200, {"faults": [fault.to_dict() for fault in book.list()]})
    if method == "POST":
        return _add(book, body)
    if method == "DELETE":
        book.clear()
        return AdminAnswer(204)
    return _not_allowed(method, "GET, POST, DELETE")


def _item(book: FaultBook, method: str, fault_id: str) -> AdminAnswer:
    if method == "GET":
        fault = book.get(fault_id)
        if fault is None:
            return _error(404, f"no active fault with id {fault_id!r}")
        return AdminAnswer(200, fault.to_dict())
    if method == "DELETE":
        if book.remove(fault_id):
            return AdminAnswer(204)
        return _error(404, f"no active fault with id {fault_id!r}")
    return _not_allowed(method, "GET, DELETE")


def _add(book: FaultBook, body: bytes) -> AdminAnswer:
    try:
        data = json.loads(body.decode("utf-8")) if body.strip() else {}
    except (UnicodeDecodeError, ValueError) as error:
        return _error(400, f"the request body is not JSON: {error}")
    try:
        spec = HttpFaultSpec.from_dict(data)
        fault_id = book.add(spec)
    except DuplicateFaultError as error:
        return _error(409, str(error))
    except HttpFaultSpecError as error:
        return _error(400, str(error))
    fault = book.get(fault_id)
    payload = fault.to_dict() if fault is not None else {"id": fault_id, **spec.to_dict()}
    return AdminAnswer(201, payload)


def _error(status: int, message: str) -> AdminAnswer:
    return AdminAnswer(status, {"error": message})


def _not_allowed(method: str, allowed: str) -> AdminAnswer:
    return AdminAnswer(
        405,
        {"error": f"{method} is not part of the fault admin API here; use {allowed}"},
        {"allow": allowed},
    )
