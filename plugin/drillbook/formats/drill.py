"""The drill format: a chaos experiment built on one runbook."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from drillbook.drill.traffic import TrafficSpec
from drillbook.formats.common import (
    VAR_NAME_PATTERN,
    Check,
    Duration,
    Identifier,
    SnakeModel,
)

TOXIC_TYPES = (
    "latency",
    "bandwidth",
    "slow_close",
    "timeout",
    "reset_peer",
    "slicer",
    "limit_data",
    "noop",
)


class ToxicFault(SnakeModel):
    """A toxiproxy toxic on one proxy of the system under test."""

    kind: Literal["toxic"] = "toxic"
    proxy: Annotated[str, Field(min_length=1)]
    type: Literal[
        "latency",
        "bandwidth",
        "slow_close",
        "timeout",
        "reset_peer",
        "slicer",
        "limit_data",
        "noop",
    ]
    name: str | None = None
    stream: Literal["upstream", "downstream"] = "downstream"
    toxicity: Annotated[float, Field(ge=0, le=1)] = 1.0
    attributes: dict[str, int | float] = Field(default_factory=dict)


class ProxyDownFault(SnakeModel):
    """A proxy disabled: new connections refused, open ones closed."""

    kind: Literal["proxy_down"]
    proxy: Annotated[str, Field(min_length=1)]


class HttpFault(SnakeModel):
    """HTTP errors or delay answered by a dependency instead of its normal responses.

    ``passthrough: true`` with a ``delay`` only slows the real responses down."""

    kind: Literal["http"]
    target: Annotated[str, Field(min_length=1)]
    status: Annotated[int, Field(ge=200, le=599)] = 503
    passthrough: bool = False
    body: Any = None
    delay: Duration = 0.0
    fraction: Annotated[float, Field(ge=0, le=1)] = 1.0
    count: Annotated[int, Field(ge=1)] | None = None
    method: str | None = None
    path: str | None = None

    @model_validator(mode="after")
    def _passthrough_needs_delay(self) -> HttpFault:
        if self.passthrough and self.delay <= 0:
            raise ValueError("passthrough: true only delays the real answers; give a delay")
        return self


Fault = Annotated[ToxicFault | ProxyDownFault | HttpFault, Field(discriminator="kind")]


class DetectionExpectation(SnakeModel):
    """Which detection rule must fire once the fault is in, and how soon."""

    rule: Annotated[str, Field(min_length=1)]
    within: Duration = 60.0


class PagingExpectation(SnakeModel):
    """Who must be paged, and how soon after detection."""

    target: Annotated[str, Field(min_length=1)]
    within: Duration = 60.0


class EscalationExpectation(SnakeModel):
    """A level of the escalation path paged this long after the incident opened."""

    level: Annotated[int, Field(ge=1)]
    after: Duration = 0.0


class NotificationExpectation(SnakeModel):
    """The incident events announced on a channel, in this order."""

    channel: Literal["slack", "statuspage"]
    events: list[Literal["opened", "acknowledged", "mitigating", "mitigated", "resolved"]]


class ScriptedResponse(SnakeModel):
    """How someone on the escalation path answers a page in the drill (in virtual time)."""

    who: Annotated[str, Field(min_length=1, max_length=128)]
    acknowledges: bool = True
    after: Duration = 0.0


class DrillExpectations(SnakeModel):
    detection: DetectionExpectation | None = None
    paging: list[PagingExpectation] = Field(default_factory=list)
    escalation: list[EscalationExpectation] = Field(default_factory=list)
    notifications: list[NotificationExpectation] = Field(default_factory=list)


class Respond(SnakeModel):
    """How the runbook's steps are carried out during the drill."""

    mode: Literal["auto", "manual", "skip"] = "auto"
    steps: Literal["all", "read-only"] | list[Annotated[int, Field(ge=1)]] = "all"
    timeout: Duration = 600.0


class Verify(SnakeModel):
    """Which checks prove the remediation worked, and whether faults stay in meanwhile."""

    runbook: bool = True
    checks: list[Check] = Field(default_factory=list)
    during_fault: bool = True


class Drill(SnakeModel):
    """A drill: steady state, inject, detect, respond, verify, recover."""

    id: Identifier
    title: Annotated[str, Field(min_length=1)]
    description: str | None = None
    tags: list[str] = Field(default_factory=list)
    runbook: Annotated[str, Field(min_length=1)]
    environment: str | None = None
    vars: dict[Annotated[str, Field(pattern=VAR_NAME_PATTERN)], str] = Field(default_factory=dict)
    steady_state: list[Check] = Field(default_factory=list)
    inject: list[Fault] = Field(default_factory=list)
    expect: DrillExpectations = Field(default_factory=DrillExpectations)
    respond: Respond = Field(default_factory=Respond)
    verify: Verify = Field(default_factory=Verify)
    recover: list[Check] = Field(default_factory=list)
    traffic: TrafficSpec | None = None
    responders: list[ScriptedResponse] = Field(default_factory=list)
    timeout: Duration = 900.0

    @model_validator(mode="before")
    @classmethod
    def _default_fault_kind(cls, data: Any) -> Any:
        """A fault with a ``type`` and no ``kind`` is a toxic, as in toxiproxy."""
        if isinstance(data, dict) and isinstance(data.get("inject"), list):
            faults = [
                {**fault, "kind": "toxic"}
                if isinstance(fault, dict) and "kind" not in fault and "type" in fault
                else fault
                for fault in data["inject"]
            ]
            data = {**data, "inject": faults}
        return data
