"""A stand-in for Slack incoming webhooks: ``POST /services/T.../B.../<token>``.

Like Slack it takes a JSON body (or a form with a ``payload`` field holding the JSON)
such as ``{"text": ..., "blocks": [...], "attachments": [...], "channel": ...}`` and
answers in plain text: ``ok`` (200); ``invalid_payload`` (400) for a body that is not a
JSON object or has a wrongly typed field; ``invalid_blocks`` (400) for blocks that are not
a list of objects with a ``type``; ``no_text`` (400) when there is neither text, blocks
nor attachments; ``no_service`` (404) for a webhook URL that does not exist.

The last part of a webhook URL is its secret: recorded paths show it masked.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import urlsplit

from drillbook.fakes.base import Fake, Option
from drillbook.fakes.web import BodyError, Request, Response, Route, text_response
from drillbook.steps.masking import MASK

_HOOK = re.compile(r"^/services/(T[A-Z0-9]+)/(B[A-Z0-9]+)/([A-Za-z0-9]+)$")
FAULT_TEXT = {
    400: "invalid_payload",
    403: "action_prohibited",
    404: "no_service",
    410: "channel_is_archived",
    429: "rate_limited",
}


class PayloadError(ValueError):
    """A webhook payload Slack refuses; the message is Slack's error string."""


def parse_hooks(text: str) -> list[str]:
    """``/services/T1/B1/x,https://hooks.slack.com/services/T2/B2/y``: the hooks that exist."""
    return [item.strip() for item in text.split(",") if item.strip()]


class SlackFake(Fake):
    """The Slack incoming-webhook stand-in (see the module description)."""

    name = "slack"
    OPTIONS: ClassVar[Mapping[str, Option]] = {
        "hooks": Option(
            "the webhook URLs or paths that exist, comma-separated (default: any "
            "well-formed /services/T.../B.../token)",
            parse_hooks,
        ),
    }

    def __init__(self, *, hooks: Collection[str] | None = None, **base: Any) -> None:
        super().__init__(**base)
        self.hooks = None if hooks is None else frozenset(urlsplit(h).path for h in hooks)
        self.messages: list[dict[str, Any]] = []

    def routes(self) -> list[Route]:
        return [Route("POST", "/services/{team}/{bot}/{token}", self._post)]

    def state(self) -> dict[str, Any]:
        return {"messages": self.messages}

    def reset(self) -> None:
        self.messages = []

    def fault_body(self, status: int) -> Any:
        return FAULT_TEXT.get(status, "rollup_error")

    def record_path(self, path: str) -> str:
        found = _HOOK.match(path)
        if found is None:
            return path
        return f"/services/{found[1]}/{found[2]}/{MASK}"

    def not_found(self, request: Request) -> Response:
        return text_response(404, "no_service")

    def _post(self, request: Request) -> Response:
        found = _HOOK.match(request.path)
        if found is None or (self.hooks is not None and request.path not in self.hooks):
            return text_response(404, "no_service")
        try:
            message = parse_message(request)
        except PayloadError as error:
            return text_response(400, str(error))
        self.messages.append(
            {
                "team": found[1],
                "bot": found[2],
                "time": datetime.fromtimestamp(self.now(), UTC).isoformat(),
                **message,
            }
        )
        request.extras["message"] = len(self.messages) - 1
        return text_response(200, "ok")


def parse_message(request: Request) -> dict[str, Any]:
    """The message fields of a webhook request, or PayloadError with Slack's error."""
    payload = _payload(request)
    if not isinstance(payload, dict):
        raise PayloadError("invalid_payload")
    text = payload.get("text")
    if text is not None and not isinstance(text, str):
        raise PayloadError("invalid_payload")
    blocks = _blocks(payload.get("blocks"))
    attachments = payload.get("attachments")
    if attachments is not None and not isinstance(attachments, list):
        raise PayloadError("invalid_attachments")
    if not (text and text.strip()) and not blocks and not attachments:
        raise PayloadError("no_text")
    return {
        "text": text,
        "blocks": blocks,
        "attachments": attachments,
        **{
            key: payload[key]
            for key in ("channel", "username", "icon_emoji", "icon_url", "thread_ts")
            if key in payload
        },
    }


def _payload(request: Request) -> Any:
    try:
        if request.content_type == "application/x-www-form-urlencoded":
            form = request.form()
            if isinstance(form.get("payload"), str):
                return json.loads(form["payload"])
        return request.json()
    except (BodyError, ValueError):
        raise PayloadError("invalid_payload") from None


def _blocks(blocks: Any) -> list[Any] | None:
    if blocks is None:
        return None
    if isinstance(blocks, str):
        try:
            blocks = json.loads(blocks)
        except ValueError:
            raise PayloadError("invalid_blocks") from None
    if not isinstance(blocks, list) or not all(
        isinstance(block, dict) and isinstance(block.get("type"), str) for block in blocks
    ):
        raise PayloadError("invalid_blocks")
    return blocks
