"""HttpFaultClient: puts faults into a running stand-in through its fault admin API."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx

from drillbook.errors import DrillbookError
from drillbook.faults.http.admin import ADMIN_HEADER, DEFAULT_ADMIN_PREFIX
from drillbook.faults.http.book import ActiveFault
from drillbook.faults.http.spec import HttpFaultSpec, HttpFaultSpecError
from drillbook.httpclient import HttpClientUser
from drillbook.steps.masking import Masker

_mask = Masker()


class HttpFaultClient(HttpClientUser):
    """Adds, lists and lifts the faults of one stand-in at ``base_url``.

    Every failure is a DrillbookError naming the stand-in: unreachable, answering
    something that is not the drillbook fault admin API, or refusing a fault (with its
    reason). Pass ``client`` to reuse an httpx.Client; otherwise one is made and owned.
    """

    def __init__(
        self,
        base_url: str,
        *,
        client: httpx.Client | None = None,
        admin_prefix: str = DEFAULT_ADMIN_PREFIX,
        timeout: float = 5.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.admin_url = self.base_url + admin_prefix
        self._use_http(client, timeout)

    def add(self, spec: HttpFaultSpec) -> str:
        """Put ``spec`` in force on the stand-in; returns the fault's id."""
        response = self._request("POST", self.admin_url, json=spec.to_dict())
        if response.status_code in (400, 409):
            raise _error(
                f"the stand-in at {self.base_url} refused the fault "
                f"({spec.describe()}): {_error_text(response)}"
            )
        payload = self._expect(response, 201)
        fault_id = payload.get("id") if isinstance(payload, dict) else None
        if not isinstance(fault_id, str):
            raise self._not_the_api(response, "an answer without the fault's id")
        return fault_id

    def remove(self, fault_id: str) -> bool:
        """Lift one fault; False when it was already gone (lifting is idempotent)."""
        response = self._request("DELETE", f"{self.admin_url}/{quote(fault_id, safe='')}")
        if response.status_code == 404:
            return False
        self._expect(response, 204)
        return True

    def clear(self) -> None:
        """Lift every fault of the stand-in."""
        self._expect(self._request("DELETE", self.admin_url), 204)

    def list(self) -> list[ActiveFault]:
        """The stand-in's active faults, oldest first."""
        payload = self._expect(self._request("GET", self.admin_url), 200)
        faults = payload.get("faults") if isinstance(payload, dict) else None
        if not isinstance(faults, list):
            raise self._not_the_api(None, "a fault list without 'faults'")
        try:
            return [ActiveFault.from_dict(item) for item in faults]
        except HttpFaultSpecError as error:
            raise self._not_the_api(None, f"a fault it cannot describe ({error})") from None

    def _request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self._http.request(method, url, **kwargs)
        except httpx.TransportError as error:
            raise _error(
                f"cannot reach the stand-in's fault admin API at {url}: "
                f"{type(error).__name__}: {error or 'no answer'}; "
                "is the stand-in running, and is that its address?"
            ) from None
        if response.headers.get(ADMIN_HEADER) is None:
            raise self._not_the_api(response, "no fault admin API header")
        return response

    def _expect(self, response: httpx.Response, status: int) -> Any:
        if response.status_code != status:
            raise _error(
                f"the stand-in's fault admin API at {response.request.url} answered "
                f"{response.status_code} to {response.request.method} (expected {status}): "
                f"{_error_text(response)}"
            )
        if status == 204:
            return None
        try:
            return response.json()
        except ValueError:
            raise self._not_the_api(response, "a body that is not JSON") from None

    def _not_the_api(self, response: httpx.Response | None, what: str) -> DrillbookError:
        answered = (
            "" if response is None else f" ({response.status_code} to {response.request.method})"
        )
        return _error(
            f"{self.base_url} does not speak the drillbook fault admin API at "
            f"{self.admin_url}: got {what}{answered}; is it a drillbook stand-in "
            "wrapped in FaultMiddleware?"
        )


def _error_text(response: httpx.Response) -> str:
    try:
        payload = response.json()
    except ValueError:
        return response.text[:200] or "(empty body)"
    if isinstance(payload, dict) and isinstance(payload.get("error"), str):
        return str(payload["error"])
    return response.text[:200]


def _error(message: str) -> DrillbookError:
    """A DrillbookError whose message has URL passwords and tokens masked."""
    return DrillbookError(_mask(message))
