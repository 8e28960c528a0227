"""A small typed client for toxiproxy's HTTP API (the real server or drillbook's own)."""

from __future__ import annotations

from typing import Any

import httpx

from drillbook.errors import DrillbookError


class ToxiproxyError(DrillbookError):
    """The toxiproxy server refused a request or could not be reached."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class ToxiproxyClient:
    """Proxies and toxics on one toxiproxy server."""

    def __init__(self, url: str, *, timeout: float = 5.0) -> None:
        self.url = url.rstrip("/")
        self._http = httpx.Client(base_url=self.url, timeout=timeout)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ToxiproxyClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- requests ------------------------------------------------------------------------
    def _request(
        self, method: str, path: str, body: Any = None, *, missing_ok: bool = False
    ) -> Any:
        try:
            response = self._http.request(method, path, json=body)
        except httpx.HTTPError as exc:
            raise ToxiproxyError(
                f"toxiproxy at {self.url} did not answer {method} {path}: {exc}"
            ) from None
        if response.status_code == 404 and missing_ok:
            return None
        if response.status_code >= 400:
            raise ToxiproxyError(
                f"toxiproxy at {self.url} refused {method} {path}: "
                f"{response.status_code} {_error_text(response)}",
                response.status_code,
            )
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    # -- the API -------------------------------------------------------------------------
    def version(self) -> str:
        answer = self._request("GET", "/version")
        return str(answer.get("version", "")) if isinstance(answer, dict) else str(answer)

    def proxies(self) -> dict[str, dict[str, Any]]:
        answer = self._request("GET", "/proxies")
        return dict(answer or {})

    def create_proxy(
        self, name: str, listen: str, upstream: str, *, enabled: bool = True
    ) -> dict[str, Any]:
        body = {"name": name, "listen": listen, "upstream": upstream, "enabled": enabled}
        return dict(self._request("POST", "/proxies", body))

    def delete_proxy(self, name: str) -> bool:
        """Delete a proxy; False when it was already gone."""
        try:
            self._request("DELETE", f"/proxies/{name}")
        except ToxiproxyError as exc:
            if exc.status == 404:
                return False
            raise
        return True

    def set_enabled(self, name: str, enabled: bool) -> bool:
        """Enable or disable a proxy; False when the proxy does not exist."""
        answer = self._request("POST", f"/proxies/{name}", {"enabled": enabled}, missing_ok=True)
        return answer is not None

    def add_toxic(
        self,
        proxy: str,
        *,
        type: str,
        name: str | None = None,
        stream: str = "downstream",
        toxicity: float = 1.0,
        attributes: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": type,
            "stream": stream,
            "toxicity": toxicity,
            "attributes": attributes or {},
        }
        if name:
            body["name"] = name
        return dict(self._request("POST", f"/proxies/{proxy}/toxics", body))

    def remove_toxic(self, proxy: str, name: str) -> bool:
        """Remove a toxic; False when it (or its proxy) was already gone."""
        path = f"/proxies/{proxy}/toxics/{name}"
        try:
            self._request("DELETE", path)
        except ToxiproxyError as exc:
            if exc.status == 404:
                return False
            raise
        return True

    def reset(self) -> None:
        self._request("POST", "/reset")


def _error_text(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(body, dict) and "error" in body:
        return str(body["error"])
    return response.text[:200]
