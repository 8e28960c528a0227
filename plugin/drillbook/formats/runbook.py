"""The runbook format: the seed's runbooks as written, plus optional machine-checkable parts."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, model_validator

from drillbook.formats.common import (
    VAR_NAME_PATTERN,
    Action,
    CamelModel,
    Check,
    Identifier,
    Severity,
)


class Rollback(Action):
    """A step's rollback in its long form (the short form is a command string)."""

    description: str | None = None


class Step(Action):
    """One remediation step, run in ``order``."""

    order: Annotated[int, Field(ge=1)]
    description: Annotated[str, Field(min_length=1)]
    expected_outcome: str | None = None
    rollback_procedure: str | Rollback | None = None
    notes: str | None = None
    read_only: bool = False
    changes_production: bool = False
    tags: list[str] = Field(default_factory=list)

    def rollback_action(self) -> Rollback | None:
        """The rollback as something runnable; a plain string is a shell command."""
        if isinstance(self.rollback_procedure, str):
            return Rollback(command=self.rollback_procedure, timeout=self.timeout)
        return self.rollback_procedure


class Contact(CamelModel):
    """A person or team to reach, as in the seed's ``contacts``."""

    role: Annotated[str, Field(min_length=1)]
    name: Annotated[str, Field(min_length=1)]
    phone: str | None = None
    slack: str | None = None
    email: str | None = None
    priority: str | None = None


class Var(CamelModel):
    """A variable the runbook's commands read from their environment."""

    description: str | None = None
    secret: bool = False
    default: str | None = None
    required: bool = True


class Runbook(CamelModel):
    """A runbook: ordered remediation steps, verification checks, contacts and escalation."""

    id: Identifier
    title: Annotated[str, Field(min_length=1)]
    scenario: str | None = None
    severity: Severity
    steps: Annotated[list[Step], Field(min_length=1)]
    verification: list[Check] = Field(default_factory=list)
    contacts: list[Contact] = Field(default_factory=list)
    escalation: str | None = None
    tags: list[str] = Field(default_factory=list)
    vars: dict[Annotated[str, Field(pattern=VAR_NAME_PATTERN)], Var] = Field(default_factory=dict)
    owner: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _vars_may_be_a_list(cls, data: Any) -> Any:
        """``vars: [APP_URL, ADMIN_TOKEN]`` is shorthand for required, described-nowhere vars."""
        if isinstance(data, dict) and isinstance(data.get("vars"), list):
            names = data["vars"]
            if all(isinstance(name, str) for name in names):
                data = {**data, "vars": {name: {} for name in names}}
        return data

    def ordered_steps(self) -> list[Step]:
        return sorted(self.steps, key=lambda step: step.order)

    def secret_names(self) -> set[str]:
        return {name for name, var in self.vars.items() if var.secret}
