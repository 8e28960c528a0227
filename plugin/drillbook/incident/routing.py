"""Notification routes: which incidents, at which moments, go to which Slack webhook and
which status page. A small YAML format::

    routes:
      - name: major incidents
        match: {services: [holiday-api, payments], severities: [P1, P2]}
        slack: {webhook_url: "env:SLACK_INCIDENTS_WEBHOOK"}
        statuspage: {url: "https://api.statuspage.io", page_id: "kctbh9vrtdwd",
                     api_key: "env:STATUSPAGE_API_KEY"}
      - name: ops log
        events: [opened, resolved]      # default: every event
        slack: {webhook_url: "env:SLACK_OPS_WEBHOOK"}

An empty (or absent) ``services`` or ``severities`` matches any; an incident matches
``services`` when any of its affected services is listed. Every matching route is notified,
in the order written. Secrets (webhook URLs carry a token, API keys) are best written as
``env:NAME``, read from the environment when the router is made; a value written inline is
kept as a secret all the same and never shown.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Literal, get_args

import httpx
from pydantic import AfterValidator, Field, SecretStr, model_validator

from drillbook.errors import DrillbookError
from drillbook.formats.common import Severity, SnakeModel
from drillbook.formats.loader import Loaded, load_model, load_model_text
from drillbook.incident.model import Incident
from drillbook.steps.masking import Masker

NotifyEvent = Literal["opened", "acknowledged", "mitigating", "mitigated", "resolved"]
EVENTS: tuple[NotifyEvent, ...] = get_args(NotifyEvent)
ENV_PREFIX = "env:"
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_masker = Masker()


class NotifyError(DrillbookError):
    """A notification set-up that cannot be used; the message says what to change."""


def _checked_secret_url(value: SecretStr) -> SecretStr:
    """An ``env:NAME`` reference or an http(s) URL; the message never repeats the value."""
    text = value.get_secret_value().strip()
    if text.startswith(ENV_PREFIX):
        _check_env_name(text)
    elif not _is_http_url(text):
        raise ValueError(
            "must be an http(s) URL such as https://hooks.slack.com/services/T.../B.../..., "
            "or env:NAME to read it from the environment variable NAME"
        )
    return SecretStr(text)


def _checked_secret(value: SecretStr) -> SecretStr:
    text = value.get_secret_value().strip()
    if not text:
        raise ValueError("must not be empty; write the key, or env:NAME to read it from NAME")
    if text.startswith(ENV_PREFIX):
        _check_env_name(text)
    return SecretStr(text)


def _check_env_name(text: str) -> None:
    name = text[len(ENV_PREFIX) :]
    if not _ENV_NAME.match(name):
        raise ValueError(
            f"env:{name} does not name an environment variable; write env:NAME with letters, "
            "digits and '_'"
        )


def _is_http_url(text: str) -> bool:
    try:
        url = httpx.URL(text)
    except (httpx.InvalidURL, TypeError):
        return False
    return url.scheme in ("http", "https") and bool(url.host)


def _checked_url(value: str) -> str:
    if value.startswith(ENV_PREFIX):  # read when the router is made, like the secrets
        _check_env_name(value)
        return value
    if not _is_http_url(value.strip()):
        shown = _masker(value)
        raise ValueError(f"{shown!r} is not an http(s) URL, such as https://api.statuspage.io")
    return value.strip().rstrip("/")


SecretUrl = Annotated[SecretStr, AfterValidator(_checked_secret_url)]
SecretText = Annotated[SecretStr, AfterValidator(_checked_secret)]
HttpUrl = Annotated[str, AfterValidator(_checked_url)]


class RouteMatch(SnakeModel):
    """Which incidents a route takes: by affected service and by severity (empty: any)."""

    services: list[str] = Field(default_factory=list)
    severities: list[Severity] = Field(default_factory=list)

    def matches(self, incident: Incident) -> bool:
        if self.severities and incident.severity not in self.severities:
            return False
        return not self.services or any(s in self.services for s in incident.affected_services)


class SlackTarget(SnakeModel):
    """A Slack incoming webhook (its URL is a secret)."""

    webhook_url: SecretUrl


class StatuspageTarget(SnakeModel):
    """An Atlassian Statuspage: with ``page_id``, the manage API's
    ``{url}/v1/pages/{page_id}/incidents``; without, drillbook's stand-in's
    ``{url}/api/v2/incidents``. ``api_key`` is sent as ``Authorization: OAuth <key>``."""

    url: HttpUrl
    page_id: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")] | None = None
    api_key: SecretText | None = None


class NotificationRoute(SnakeModel):
    """Where the incidents a route matches are announced, at which events."""

    name: str | None = None
    match: RouteMatch = Field(default_factory=RouteMatch)
    events: list[NotifyEvent] = Field(default_factory=lambda: list(EVENTS))
    slack: SlackTarget | None = None
    statuspage: StatuspageTarget | None = None

    @model_validator(mode="after")
    def _somewhere_to_send(self) -> NotificationRoute:
        if self.slack is None and self.statuspage is None:
            raise ValueError("a route sends somewhere: give `slack`, `statuspage`, or both")
        return self

    def takes(self, incident: Incident, event: NotifyEvent) -> bool:
        """Whether this route announces ``event`` of ``incident``."""
        return event in self.events and self.match.matches(incident)


class NotificationRoutes(SnakeModel):
    """A whole routes file."""

    routes: list[NotificationRoute] = Field(default_factory=list)


def load_routes(path: Path | str) -> Loaded[NotificationRoutes]:
    """Read a routes file; problems raise LoadError(s) naming file:line:col."""
    return load_model(path, NotificationRoutes, "notification routes")


def load_routes_text(text: str, path: str = "<string>") -> Loaded[NotificationRoutes]:
    return load_model_text(text, NotificationRoutes, "notification routes", path)


def route_label(route: NotificationRoute, index: int) -> str:
    """How a route is named in notifications: its ``name``, else ``routes[i]``."""
    return route.name or f"routes[{index}]"


def resolve_url(url: str, environ: Mapping[str, str], where: str) -> str:
    """A URL written ``env:NAME`` read from ``environ`` (and checked), else as written."""
    if not url.startswith(ENV_PREFIX):
        return url
    name = url[len(ENV_PREFIX) :]
    value = environ.get(name, "").strip()
    if not _is_http_url(value):
        raise NotifyError(f"{where} reads {name}, which is not set to an http(s) URL")
    return value.rstrip("/")


def reveal(secret: SecretStr, environ: Mapping[str, str], where: str) -> str:
    """The secret's value, an ``env:NAME`` reference read from ``environ``."""
    text = secret.get_secret_value()
    if not text.startswith(ENV_PREFIX):
        return text
    name = text[len(ENV_PREFIX) :]
    value = environ.get(name, "").strip()
    if not value:
        raise NotifyError(f"{where} reads the environment variable {name}, which is not set")
    return value
