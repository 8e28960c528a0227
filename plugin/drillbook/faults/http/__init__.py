"""HTTP faults: one vocabulary (status, body, delay, fraction, count), two mechanisms.

- ``inject_httpx_fault``: respx, for httpx calls made inside the test process.
- ``FaultMiddleware`` + ``HttpFaultClient``: the fault admin API every drillbook stand-in
  for a SaaS API wraps itself with, and the client that drives it.
"""

from drillbook.faults.http.asgi import FaultMiddleware
from drillbook.faults.http.book import ActiveFault, DuplicateFaultError, FaultBook
from drillbook.faults.http.client import HttpFaultClient
from drillbook.faults.http.respx_faults import HttpxFaultHandle, inject_httpx_fault
from drillbook.faults.http.spec import HttpFaultSpec, HttpFaultSpecError, default_body

__all__ = [
    "ActiveFault",
    "DuplicateFaultError",
    "FaultBook",
    "FaultMiddleware",
    "HttpFaultClient",
    "HttpFaultSpec",
    "HttpFaultSpecError",
    "HttpxFaultHandle",
    "default_body",
    "inject_httpx_fault",
]
