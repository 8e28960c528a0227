"""The toxiproxy 2.x HTTP API: routes, status codes and JSON shapes, over ProxyCollection."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import unquote

from drillbook.faults.server import payloads
from drillbook.faults.server.collection import ProxyCollection
from drillbook.faults.server.errors import ApiError
from drillbook.faults.server.http import Request, Response

VERSION = "2.12.0"

log = logging.getLogger(__name__)

Route = Callable[[Request, list[str]], Awaitable[Response]]


def json_response(status: int, value: Any) -> Response:
    """A JSON answer."""
    return Response(status, json.dumps(value).encode() + b"\n")


def error_response(error: ApiError, extra: dict[str, Any] | None = None) -> Response:
    """An error answer: ``{"error": ..., "status": ...}``."""
    return json_response(error.status, {**error.to_json(), **(extra or {})})


class Api:
    """Answers requests from the state of one ProxyCollection."""

    def __init__(self, proxies: ProxyCollection) -> None:
        self.proxies = proxies
        self._routes: dict[tuple[str, ...], dict[str, Route]] = {
            ("reset",): {"POST": self.reset},
            ("proxies",): {"GET": self.proxy_index, "POST": self.proxy_create},
            ("populate",): {"POST": self.populate},
            ("proxies", "*"): {
                "GET": self.proxy_show,
                "POST": self.proxy_update,
                "PATCH": self.proxy_update,
                "DELETE": self.proxy_delete,
            },
            ("proxies", "*", "toxics"): {"GET": self.toxic_index, "POST": self.toxic_create},
            ("proxies", "*", "toxics", "*"): {
                "GET": self.toxic_show,
                "POST": self.toxic_update,
                "PATCH": self.toxic_update,
                "DELETE": self.toxic_delete,
            },
            ("version",): {"GET": self.version},
        }

    async def __call__(self, request: Request) -> Response:
        """Route a request; API errors become their JSON answers, others a 500."""
        if request.headers.get("user-agent", "").startswith("Mozilla/"):
            return Response(403, b"User agent not allowed\n", "text/plain; charset=utf-8")
        segments = [unquote(part) for part in request.path.strip("/").split("/")]
        methods, params = self._match(segments)
        if methods is None:
            return Response(404, b"404 page not found\n", "text/plain; charset=utf-8")
        handler = methods.get(request.method)
        if handler is None:
            return Response(405, b"", "text/plain; charset=utf-8")
        try:
            return await handler(request, params)
        except ApiError as error:
            return error_response(error)
        except Exception as exc:
            log.exception("toxiproxy API: %s %s failed", request.method, request.path)
            return error_response(ApiError(f"internal error: {exc}", 500))

    def _match(self, segments: list[str]) -> tuple[dict[str, Route] | None, list[str]]:
        for pattern, methods in self._routes.items():
            if len(pattern) != len(segments):
                continue
            params: list[str] = []
            for want, got in zip(pattern, segments, strict=True):
                if want == "*" and got:
                    params.append(got)
                elif want != got:
                    break
            else:
                return methods, params
        return None, []

    async def reset(self, request: Request, params: list[str]) -> Response:
        await self.proxies.reset()
        return Response(204)

    async def proxy_index(self, request: Request, params: list[str]) -> Response:
        return json_response(200, self.proxies.index())

    async def proxy_create(self, request: Request, params: list[str]) -> Response:
        return json_response(201, await self.proxies.create(payloads.decode(request.body)))

    async def populate(self, request: Request, params: list[str]) -> Response:
        done, error = await self.proxies.populate(payloads.decode(request.body))
        if error is not None:
            return error_response(error, {"proxies": done})
        return json_response(201, {"proxies": done})

    async def proxy_show(self, request: Request, params: list[str]) -> Response:
        return json_response(200, self.proxies.get(params[0]).to_json())

    async def proxy_update(self, request: Request, params: list[str]) -> Response:
        self.proxies.get(params[0])  # 404 before a body error, as toxiproxy answers
        body = payloads.decode(request.body)
        return json_response(200, await self.proxies.update(params[0], body))

    async def proxy_delete(self, request: Request, params: list[str]) -> Response:
        await self.proxies.delete(params[0])
        return Response(204)

    async def toxic_index(self, request: Request, params: list[str]) -> Response:
        return json_response(200, self.proxies.get(params[0]).toxics.to_json())

    async def toxic_create(self, request: Request, params: list[str]) -> Response:
        toxics = self.proxies.get(params[0]).toxics
        return json_response(200, (await toxics.add(payloads.decode(request.body))).to_json())

    async def toxic_show(self, request: Request, params: list[str]) -> Response:
        toxics = self.proxies.get(params[0]).toxics
        return json_response(200, toxics.find(params[1]).to_json())

    async def toxic_update(self, request: Request, params: list[str]) -> Response:
        toxics = self.proxies.get(params[0]).toxics
        toxics.find(params[1])
        entry = await toxics.update(params[1], payloads.decode(request.body))
        return json_response(200, entry.to_json())

    async def toxic_delete(self, request: Request, params: list[str]) -> Response:
        await self.proxies.get(params[0]).toxics.remove(params[1])
        return Response(204)

    async def version(self, request: Request, params: list[str]) -> Response:
        return Response(
            200, json.dumps({"version": VERSION}).encode() + b"\n", "application/json;charset=utf-8"
        )
