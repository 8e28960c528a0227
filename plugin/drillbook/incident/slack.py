"""Incident messages for Slack incoming webhooks, and the webhook they are posted to.

A message is ``{"text": fallback, "blocks": [header, section, (section), context]}``, kept
inside Slack's documented Block Kit limits: a header's plain text at most 150 characters,
a section's text at most 3,000 and its fields at most 10 of at most 2,000 characters each,
a context at most 10 elements, a message at most 50 blocks. Text that is too long is cut
with an ellipsis. Incident text is escaped for mrkdwn (``&``, ``<`` and ``>``), so a title
cannot ping a channel or forge a link.

The last part of a webhook URL is its secret token: it is masked wherever the URL is shown.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

import httpx

from drillbook.drill.clock import Clock
from drillbook.incident.delivery import Delivery, RetryPolicy, deliver, mask_in_http_logs
from drillbook.incident.model import Incident
from drillbook.incident.routing import NotifyError, NotifyEvent
from drillbook.steps.masking import MIN_SECRET_LENGTH, Masker

HEADER_LIMIT = 150
SECTION_TEXT_LIMIT = 3000
FIELD_LIMIT = 2000
FIELDS_MAX = 10
CONTEXT_ELEMENTS_MAX = 10
BLOCKS_MAX = 50
FALLBACK_LIMIT = 3000
ELLIPSIS = "…"

HEADLINES: dict[NotifyEvent, tuple[str, str]] = {
    "opened": (":rotating_light:", "Incident opened"),
    "acknowledged": (":eyes:", "Incident acknowledged"),
    "mitigating": (":hammer_and_wrench:", "Mitigation started"),
    "mitigated": (":adhesive_bandage:", "Incident mitigated"),
    "resolved": (":white_check_mark:", "Incident resolved"),
}
# The timeline event whose actor is shown as "By" for each notification.
_EVENT_KINDS: dict[NotifyEvent, str] = {
    "acknowledged": "acknowledged",
    "mitigating": "mitigating",
    "mitigated": "mitigation_verified",
    "resolved": "resolved",
}
_PARTIAL_ENTITY = re.compile(r"&[a-z]{0,3}$")


# -- text within Slack's limits --------------------------------------------------------------
def slack_length(text: str) -> int:
    """The length as Slack counts it at most: UTF-16 code units (never less than code points)."""
    return len(text.encode("utf-16-le")) // 2


def clip(text: str, limit: int, *, mrkdwn: bool = False) -> str:
    """``text`` cut to ``limit`` characters, an ellipsis marking the cut; for escaped
    ``mrkdwn`` a cut-off ``&amp;`` (or ``&lt;``, ``&gt;``) is dropped whole."""
    if slack_length(text) <= limit:
        return text
    budget = limit - slack_length(ELLIPSIS)
    kept: list[str] = []
    used = 0
    for char in text:
        used += slack_length(char)
        if used > budget:
            break
        kept.append(char)
    cut = "".join(kept)
    return (_PARTIAL_ENTITY.sub("", cut) if mrkdwn else cut) + ELLIPSIS


def escape_mrkdwn(text: str) -> str:
    """Text shown as itself in mrkdwn: Slack's three control characters escaped."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# -- the message -----------------------------------------------------------------------------
def slack_message(incident: Incident, event: NotifyEvent, *, at: datetime) -> dict[str, Any]:
    """The webhook payload announcing ``event`` of ``incident`` (sent at ``at``)."""
    emoji, headline = HEADLINES[event]
    title = incident.title.strip() or incident.id
    fallback = f"[{incident.severity}] {headline}: {title} ({incident.id})"
    blocks: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {
                "type": "plain_text",
                "text": clip(f"{emoji} [{incident.severity}] {headline}: {title}", HEADER_LIMIT),
                "emoji": True,
            },
        },
        {"type": "section", "fields": _fields(incident, event)[:FIELDS_MAX]},
    ]
    if event == "resolved" and incident.root_cause:
        text = f"*Root cause*\n{escape_mrkdwn(incident.root_cause)}"
        blocks.append({"type": "section", "text": _mrkdwn(text, SECTION_TEXT_LIMIT)})
    blocks.append({"type": "context", "elements": [_mrkdwn(_when(event, at), FIELD_LIMIT)]})
    text = clip(escape_mrkdwn(fallback), FALLBACK_LIMIT, mrkdwn=True)
    return {"text": text, "blocks": blocks[:BLOCKS_MAX]}


def _fields(incident: Incident, event: NotifyEvent) -> list[dict[str, str]]:
    services = ", ".join(incident.affected_services)
    pairs = [
        ("Severity", incident.severity),
        ("Status", incident.status.value),
        ("Services", services),
        ("Runbook", incident.runbook or ""),
        ("Incident", incident.id),
    ]
    actor = _actor(incident, event)
    if actor:
        pairs.append(("By", actor))
    if event == "resolved" and incident.resolved_at is not None:
        pairs.append(("Duration", _duration(incident.resolved_at - incident.detected_at)))
    return [_mrkdwn(f"*{name}*\n{_shown(value)}", FIELD_LIMIT) for name, value in pairs]


def _shown(value: str) -> str:
    return escape_mrkdwn(value) if value.strip() else "_none_"


def _mrkdwn(text: str, limit: int) -> dict[str, str]:
    return {"type": "mrkdwn", "text": clip(text, limit, mrkdwn=True)}


def _actor(incident: Incident, event: NotifyEvent) -> str | None:
    kind = _EVENT_KINDS.get(event)
    for entry in reversed(incident.timeline):
        if entry.kind == kind:
            return entry.actor
    return None


def _when(event: NotifyEvent, at: datetime) -> str:
    """``<!date^...>``: Slack shows the time in each reader's zone, the UTC text otherwise."""
    stamp = at.isoformat(timespec="seconds").replace("+00:00", "Z")
    return (
        f"{event} <!date^{int(at.timestamp())}^{{date_short_pretty}} {{time}}|{stamp}> · drillbook"
    )


def _duration(elapsed: Any) -> str:
    minutes = int(elapsed.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m" if hours else f"{minutes}m"


# -- the webhook -----------------------------------------------------------------------------
class SlackWebhook:
    """One Slack incoming webhook: posts messages, retried on 429 and 5xx on the Clock."""

    def __init__(
        self,
        webhook_url: str,
        *,
        http: httpx.Client,
        clock: Clock,
        retry: RetryPolicy | None = None,
    ) -> None:
        token = _token(webhook_url)
        # The token alone, so the host, team and bot stay readable; a URL too short to have
        # one is masked whole.
        self._masker = Masker([token if len(token) >= MIN_SECRET_LENGTH else webhook_url])
        try:
            parsed = httpx.URL(webhook_url)
        except (httpx.InvalidURL, TypeError):
            parsed = None
        if parsed is None or parsed.scheme not in ("http", "https") or not parsed.host:
            raise NotifyError(
                f"the Slack webhook URL {self._masker(webhook_url)!r} is not an http(s) URL; "
                "copy it from the Slack app's Incoming Webhooks page"
            )
        mask_in_http_logs(token)
        self._url = webhook_url
        self._http = http
        self.clock = clock
        self.retry = retry or RetryPolicy()

    @property
    def url(self) -> str:
        """The webhook URL with its token masked."""
        return self._masker(self._url)

    def post(self, message: dict[str, Any]) -> Delivery:
        """Post ``message``; the Delivery says whether Slack answered ``ok``."""
        return deliver(
            self._http,
            "POST",
            self._url,
            content=json.dumps(message).encode(),
            headers={"Content-Type": "application/json"},
            clock=self.clock,
            policy=self.retry,
            masker=self._masker,
            what=f"the Slack message to {self.url}",
        )

    def __repr__(self) -> str:
        return f"SlackWebhook(url={self.url!r})"


def _token(webhook_url: str) -> str:
    """The secret part of a webhook URL: its last path segment."""
    return webhook_url.rstrip("/").rsplit("/", 1)[-1]
