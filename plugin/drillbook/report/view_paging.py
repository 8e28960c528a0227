"""Who was paged for a drill's incident and which notifications went out, as the reports show it.

Built from the incident record's optional ``escalation`` (``EscalationRecord.to_dict()``: the
escalation path run in virtual time) and ``notifications`` (``Notification.to_dict()`` each).
Notification payloads are never shown: the table says where a message went and whether it
was accepted, not what it said. Missing or malformed parts read as absent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from drillbook.report import formatting as fmt

# How an escalation ended, in words ({who} is the person who acknowledged).
ENDINGS = {
    "acknowledged": "Acknowledged by {who}.",
    "resolved": "The incident was resolved before anyone acknowledged a page.",
    "exhausted": "Every level was paged and nobody acknowledged.",
    "timeout": "Gave up waiting for an acknowledgement.",
    "stopped": "Stopped before anyone acknowledged.",
    "running": "Still paging when the drill recorded it.",
}


@dataclass(frozen=True)
class PageView:
    """One page: the level, who (name and id), through which targets, how many minutes after
    the incident opened, and whether this page was the one acknowledged (or failed)."""

    level: str
    person: str
    targets: str
    after: str
    acknowledged: str
    failed: bool


@dataclass(frozen=True)
class EscalationView:
    """The Escalation table and a sentence on how it ended (``unreached``: levels with nobody
    on call, '' when every level had someone)."""

    outcome: str
    pages: list[PageView]
    unreached: str


@dataclass(frozen=True)
class NotificationView:
    """One notification sent or attempted; ``result`` is 'sent' or 'FAILED' with the detail."""

    time: str
    since_detection: str
    channel: str
    event: str
    route: str
    result: str
    ok: bool


def escalation_view(data: Any) -> EscalationView | None:
    """The Escalation section for ``EscalationRecord.to_dict()`` data, or None without one."""
    if not isinstance(data, dict):
        return None
    pages = [page for page in _list(data.get("pages")) if isinstance(page, dict)]
    acknowledger = str(data.get("acknowledged_by") or "")
    acknowledged_page = _last_page_of(pages, acknowledger)
    views = [_page(page, acknowledged=page is acknowledged_page) for page in pages]
    unreached = [str(level) for level in _list(data.get("unreached_levels"))]
    outcome = str(data.get("outcome") or "")
    who = _person(acknowledged_page) if acknowledged_page else acknowledger
    return EscalationView(
        outcome=_ending(outcome, who),
        pages=views,
        unreached=", ".join(unreached),
    )


def notification_views(data: Any, detected: Any) -> list[NotificationView]:
    """The Notifications table for a list of ``Notification.to_dict()`` data, in the order
    sent; ``detected`` is the incident's detection stamp the times are counted from."""
    return [_notification(item, detected) for item in _list(data) if isinstance(item, dict)]


def _ending(outcome: str, who: str) -> str:
    if outcome in ENDINGS:
        return ENDINGS[outcome].format(who=who or "someone")
    return f"Ended: {outcome or 'not recorded'}."


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _last_page_of(pages: list[dict[str, Any]], person: str) -> dict[str, Any] | None:
    """The last page sent to ``person``: the one they answered."""
    mine = [page for page in pages if person and str(page.get("person") or "") == person]
    return mine[-1] if mine else None


def _person(page: dict[str, Any]) -> str:
    """'Grace Okafor (senior-2)', or whichever of the two is known."""
    name, person = str(page.get("name") or ""), str(page.get("person") or "")
    return f"{name} ({person})" if name and person and name != person else name or person


def _page(page: dict[str, Any], *, acknowledged: bool) -> PageView:
    error = page.get("error")
    after = page.get("after_minutes")
    state = "yes" if acknowledged else "no"
    return PageView(
        level=fmt.number(page.get("level")),
        person=_person(page),
        targets=", ".join(str(t) for t in _list(page.get("targets"))) or "—",
        after=f"{after:g} min" if fmt.is_number(after) else "—",
        acknowledged=f"{state}; the page failed: {error}" if error else state,
        failed=bool(error),
    )


def _notification(data: dict[str, Any], detected: Any) -> NotificationView:
    ok = data.get("ok") is True
    detail = str(data.get("detail") or "")
    result = "sent" if ok else "FAILED"
    return NotificationView(
        time=fmt.instant(data.get("at")),
        since_detection=fmt.offset_from(detected, data.get("at")),
        channel=str(data.get("channel") or ""),
        event=str(data.get("event") or ""),
        route=str(data.get("route") or ""),
        result=f"{result} ({detail})" if detail else result,
        ok=ok,
    )
