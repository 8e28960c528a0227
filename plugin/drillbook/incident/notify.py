"""Announcing an incident's moments (opened, acknowledged, mitigating, mitigated, resolved) to
Slack and status pages, along the routes that match its services and severity.

::

    with NotificationRouter.from_file("notifications.yaml", clock=clock) as router:
        router.notify(incident, "opened")       # -> [Notification(slack ...), ...]
        ...
        router.notify(incident, "resolved")
    router.sent                                 # every Notification, in the order sent

A failed delivery does not raise: its Notification has ``ok`` False and a ``detail`` saying
why, secrets masked, and a warning is logged. Only a set-up that cannot work (an unknown
event, a secret's environment variable that is not set) raises :class:`NotifyError`.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import httpx

from drillbook.drill.clock import Clock
from drillbook.httpclient import HttpClientUser
from drillbook.incident.delivery import Delivery, RetryPolicy
from drillbook.incident.model import Incident
from drillbook.incident.routing import (
    EVENTS,
    NotificationRoute,
    NotificationRoutes,
    NotifyError,
    NotifyEvent,
    load_routes,
    resolve_url,
    reveal,
    route_label,
)
from drillbook.incident.slack import SlackWebhook, slack_message
from drillbook.incident.statuspage import StatuspageClient, incident_fields

Channel = Literal["slack", "statuspage"]
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Notification:
    """One message sent (or attempted): where, for which event, when it went out (or was
    given up), whether it was accepted, what happened (masked), and what was sent."""

    channel: Channel
    event: NotifyEvent
    route: str
    incident_id: str
    at: datetime
    ok: bool
    detail: str
    payload: dict[str, Any] = field(default_factory=dict, compare=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "channel": self.channel,
            "event": self.event,
            "route": self.route,
            "incident": self.incident_id,
            "at": self.at.isoformat(),
            "ok": self.ok,
            "detail": self.detail,
            "payload": self.payload,
        }


@dataclass
class _Destination:
    """A route made ready to send: its label and its connected targets."""

    route: NotificationRoute
    label: str
    slack: SlackWebhook | None
    statuspage: StatuspageClient | None


class NotificationRouter(HttpClientUser):
    """Sends incident notifications along matching routes; remembers each status page
    incident it opened, so later events update it.

    ``environ`` is where ``env:NAME`` secrets are read (the process environment by default).
    Given no ``http`` client, one is made with ``timeout`` and closed by :meth:`close`.
    """

    def __init__(
        self,
        routes: Sequence[NotificationRoute] | NotificationRoutes,
        *,
        clock: Clock,
        http: httpx.Client | None = None,
        retry: RetryPolicy | None = None,
        timeout: float = 10.0,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        listed = routes.routes if isinstance(routes, NotificationRoutes) else list(routes)
        self.clock = clock
        self.retry = retry or RetryPolicy()
        self._use_http(http, timeout)
        env = os.environ if environ is None else environ
        try:
            self._destinations = [self._connect(r, i, env) for i, r in enumerate(listed)]
        except NotifyError:
            self.close()
            raise
        self._page_incidents: dict[tuple[int, str], str] = {}
        self._sent: list[Notification] = []
        self._lock = threading.Lock()

    @classmethod
    def from_file(cls, path: Path | str, **options: Any) -> NotificationRouter:
        """A router for the routes in ``path`` (see :mod:`drillbook.incident.routing`)."""
        return cls(load_routes(path).model, **options)

    @property
    def sent(self) -> list[Notification]:
        """Every notification so far, in the order sent."""
        with self._lock:
            return list(self._sent)

    def routes_for(self, incident: Incident, event: NotifyEvent) -> list[str]:
        """The labels of the routes that would announce ``event`` of ``incident``."""
        return [d.label for d in self._destinations if d.route.takes(incident, event)]

    def notify(self, incident: Incident, event: NotifyEvent | str) -> list[Notification]:
        """Announce ``event`` of ``incident`` on every matching route, in route order (Slack
        before the status page); the notifications sent, in order."""
        checked = _event(event)
        with self._lock:
            sent: list[Notification] = []
            for index, destination in enumerate(self._destinations):
                if destination.route.takes(incident, checked):
                    sent += self._announce(index, destination, incident, checked)
            self._sent += sent
            return sent

    # -- display (close and with-blocks: HttpClientUser) ---------------------------------------
    def __repr__(self) -> str:
        shown = ", ".join(
            f"{d.label}: {'+'.join(_channels(d))}" for d in getattr(self, "_destinations", [])
        )
        return f"NotificationRouter([{shown}])"

    # -- sending -------------------------------------------------------------------------------
    def _connect(
        self, route: NotificationRoute, index: int, environ: Mapping[str, str]
    ) -> _Destination:
        label = route_label(route, index)
        slack = None
        if route.slack is not None:
            url = reveal(route.slack.webhook_url, environ, f"route {label!r}: slack.webhook_url")
            slack = SlackWebhook(url, http=self._http, clock=self.clock, retry=self.retry)
        page = None
        if route.statuspage is not None:
            target = route.statuspage
            key = None
            if target.api_key is not None:
                key = reveal(target.api_key, environ, f"route {label!r}: statuspage.api_key")
            page = StatuspageClient(
                resolve_url(target.url, environ, f"route {label!r}: statuspage.url"),
                page_id=target.page_id,
                api_key=key,
                http=self._http,
                clock=self.clock,
                retry=self.retry,
            )
        return _Destination(route, label, slack, page)

    def _announce(
        self, index: int, destination: _Destination, incident: Incident, event: NotifyEvent
    ) -> list[Notification]:
        sent: list[Notification] = []
        if destination.slack is not None:
            message = slack_message(incident, event, at=self.clock.now())
            delivery = destination.slack.post(message)
            sent.append(self._record("slack", event, destination, incident, delivery, message))
        if destination.statuspage is not None:
            sent.append(self._publish(index, destination, destination.statuspage, incident, event))
        return sent

    def _publish(
        self,
        index: int,
        destination: _Destination,
        page: StatuspageClient,
        incident: Incident,
        event: NotifyEvent,
    ) -> Notification:
        known = self._page_incidents.get((index, incident.id))
        fields = incident_fields(incident, event, new=known is None)
        if known is not None:
            delivery = page.update(known, fields)
        else:
            delivery, created = page.create(fields)
            if created is not None:
                self._page_incidents[(index, incident.id)] = created
                delivery = _with_detail(delivery, f"status page incident {created}")
        return self._record("statuspage", event, destination, incident, delivery, fields)

    def _record(
        self,
        channel: Channel,
        event: NotifyEvent,
        destination: _Destination,
        incident: Incident,
        delivery: Delivery,
        payload: dict[str, Any],
    ) -> Notification:
        if not delivery.ok:
            logger.warning(
                "%s notification of %s for %s (route %s) failed: %s",
                channel,
                event,
                incident.id,
                destination.label,
                delivery.detail,
            )
        return Notification(
            channel=channel,
            event=event,
            route=destination.label,
            incident_id=incident.id,
            at=self.clock.now(),
            ok=delivery.ok,
            detail=delivery.detail,
            payload=payload,
        )


def _event(event: str) -> NotifyEvent:
    for known in EVENTS:
        if event == known:
            return known
    raise NotifyError(f"{event!r} is not a notification event; use one of {', '.join(EVENTS)}")


def _channels(destination: _Destination) -> list[str]:
    return [name for name in ("slack", "statuspage") if getattr(destination, name) is not None]


def _with_detail(delivery: Delivery, extra: str) -> Delivery:
    return Delivery(
        delivery.ok,
        delivery.status,
        delivery.attempts,
        f"{delivery.detail}: {extra}",
        delivery.body,
    )
