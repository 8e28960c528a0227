"""FakeClient: reads what a running stand-in was sent and drives its faults."""

from __future__ import annotations

from typing import Any

import httpx

from drillbook.errors import DrillbookError
from drillbook.fakes.base import ADMIN_PREFIX
from drillbook.faults.http.client import HttpFaultClient
from drillbook.httpclient import HttpClientUser
from drillbook.steps.masking import Masker

_mask = Masker()


class FakeClient(HttpClientUser):
    """The admin side of one stand-in at ``base_url``: its requests, state and faults.

    Every failure is a DrillbookError naming the stand-in. Pass ``client`` to reuse an
    httpx.Client; otherwise one is made and owned.
    """

    def __init__(
        self, base_url: str, *, client: httpx.Client | None = None, timeout: float = 5.0
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._use_http(client, timeout)
        self.faults = HttpFaultClient(self.base_url, client=self._http)

    def requests(self, path: str | None = None, method: str | None = None) -> list[dict[str, Any]]:
        """What the stand-in received, oldest first; ``path`` is a prefix or a glob."""
        params = {key: value for key, value in (("path", path), ("method", method)) if value}
        payload = self._json("GET", "/requests", 200, params=params)
        requests = payload.get("requests") if isinstance(payload, dict) else None
        if not isinstance(requests, list):
            raise self._error("answered a request list without 'requests'")
        return requests

    def clear_requests(self) -> None:
        """Forget every recorded request."""
        self._json("DELETE", "/requests", 204)

    def state(self) -> dict[str, Any]:
        """What the stand-in holds (charges, incidents, messages...)."""
        payload = self._json("GET", "/state", 200)
        if not isinstance(payload, dict):
            raise self._error("answered a state that is not an object")
        return payload

    def reset(self) -> None:
        """Forget what the stand-in holds (its configuration stays)."""
        self._json("DELETE", "/state", 204)

    def health(self) -> dict[str, Any]:
        """``{"fake": NAME, "status": "ok"}`` when the stand-in answers."""
        payload = self._json("GET", "/health", 200)
        return payload if isinstance(payload, dict) else {}

    def _json(self, method: str, resource: str, status: int, **kwargs: Any) -> Any:
        url = f"{self.base_url}{ADMIN_PREFIX}{resource}"
        try:
            response = self._http.request(method, url, **kwargs)
        except httpx.TransportError as error:
            raise self._error(
                f"cannot be reached at {url}: {type(error).__name__}: {error or 'no answer'}; "
                "is it running, and is that its address?"
            ) from None
        if response.status_code != status:
            raise self._error(
                f"answered {response.status_code} to {method} {url} (expected {status}): "
                f"{response.text[:200]}"
            )
        if status == 204:
            return None
        try:
            return response.json()
        except ValueError:
            raise self._error(f"answered {method} {url} with a body that is not JSON") from None

    def _error(self, what: str) -> DrillbookError:
        return DrillbookError(_mask(f"the stand-in at {self.base_url} {what}"))
