"""The system-under-test description: which services exist, how each starts, when it is ready,
and what it exports to the runbook's commands (``APP_URL``, ``ADMIN_TOKEN``, ...).

Placeholders in commands, env, proxies and exports are written ``{name}``:
``{python}`` (this interpreter), ``{root}`` (the environment file's directory),
``{port}`` (the service's own port), ``{services.NAME.port}`` (and, for a service from a
provider, ``.host`` and ``.url``), ``{proxies.NAME.port}`` (where a proxy listens),
``{secret.NAME}`` (a random value made once per run, masked everywhere).
A literal brace is ``{{`` or ``}}``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from drillbook.formats.common import VAR_NAME_PATTERN, Duration, Identifier, SnakeModel


class ReadinessProbe(SnakeModel):
    """How to tell a service is ready: an HTTP URL answering 2xx, or a TCP port accepting."""

    http: str | None = None
    tcp: str | None = None
    timeout: Duration = 20.0
    interval: Duration = 0.1

    @model_validator(mode="after")
    def _one_probe(self) -> ReadinessProbe:
        if (self.http is None) == (self.tcp is None):
            raise ValueError("a readiness probe is either `http: URL` or `tcp: HOST:PORT`")
        return self


class ServiceSpec(SnakeModel):
    """One part of the system under test: a process drillbook starts from ``command``, or a
    real component from a provider chain (``provider: postgres``)."""

    command: (
        Annotated[list[str], Field(min_length=1)] | Annotated[str, Field(min_length=1)] | None
    ) = None
    provider: Literal["postgres"] | None = None
    fault_api: bool = False
    env: dict[Annotated[str, Field(pattern=VAR_NAME_PATTERN)], str] = Field(default_factory=dict)
    cwd: str | None = None
    ready: ReadinessProbe | None = None
    depends_on: list[str] = Field(default_factory=list)
    stop_timeout: Duration = 5.0

    @model_validator(mode="after")
    def _command_or_provider(self) -> ServiceSpec:
        if (self.command is None) == (self.provider is None):
            raise ValueError("a service has either a `command` or a `provider`, not both")
        return self


class ProxySpec(SnakeModel):
    """A toxiproxy proxy between two parts: drills inject faults on it by its name."""

    upstream: Annotated[str, Field(min_length=3)]


class PagerDutyTarget(SnakeModel):
    """Where incidents opened in drills are paged: a PagerDuty Events API v2 endpoint."""

    events_url: Annotated[str, Field(min_length=1)]
    routing_key: Annotated[str, Field(min_length=1)]


class PagingSpec(SnakeModel):
    pagerduty: PagerDutyTarget | None = None


class OnCallSpec(SnakeModel):
    """Who is paged for this system: an on-call file and the service in it."""

    file: Annotated[str, Field(min_length=1)]  # relative to the environment file
    service: Annotated[str, Field(min_length=1)]


class Environment(SnakeModel):
    """A system under test: services started in dependency order, and the vars it exports."""

    id: Identifier
    description: str | None = None
    kind: Literal["processes"] = "processes"
    services: dict[Identifier, ServiceSpec] = Field(default_factory=dict)
    proxies: dict[Identifier, ProxySpec] = Field(default_factory=dict)
    exports: dict[Annotated[str, Field(pattern=VAR_NAME_PATTERN)], str] = Field(
        default_factory=dict
    )
    secrets: list[Annotated[str, Field(pattern=VAR_NAME_PATTERN)]] = Field(default_factory=list)
    detection: str | None = None  # a detection rules file, relative to this file
    paging: PagingSpec | None = None
    oncall: OnCallSpec | None = None
    notifications: str | None = None  # a notification routes file, relative to this file

    @model_validator(mode="after")
    def _dependencies_exist(self) -> Environment:
        for name, service in self.services.items():
            for dependency in service.depends_on:
                if dependency not in self.services:
                    raise ValueError(
                        f"service {name!r} depends on {dependency!r}, which is not defined; "
                        f"defined: {', '.join(sorted(self.services))}"
                    )
        return self

    def start_order(self) -> list[str]:
        """Services in dependency order; raises ValueError on a cycle."""
        order: list[str] = []
        visiting: set[str] = set()

        def visit(name: str) -> None:
            if name in order:
                return
            if name in visiting:
                raise ValueError(f"services depend on each other in a cycle through {name!r}")
            visiting.add(name)
            for dependency in self.services[name].depends_on:
                visit(dependency)
            visiting.discard(name)
            order.append(name)

        for name in self.services:
            visit(name)
        return order
