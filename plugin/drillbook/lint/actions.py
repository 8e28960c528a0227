"""The runnable parts of a runbook or drill: steps, rollbacks and checks, with their keys."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from drillbook.formats.common import Action, Check, HttpRequest
from drillbook.formats.runbook import Step
from drillbook.formats.yaml_source import PathKey
from drillbook.lint.document import LintDocument

ActionKind = Literal["step", "rollback", "check"]


@dataclass(frozen=True)
class ActionRef:
    """A command or HTTP request that a drill (or a person) runs, and where it is written."""

    label: str
    kind: ActionKind
    command: str | None
    command_key: PathKey
    http: HttpRequest | None
    http_key: PathKey
    manual: bool
    step: Step | None

    @property
    def changes_production(self) -> bool:
        return self.step is not None and self.step.changes_production


def actions(document: LintDocument) -> Iterator[ActionRef]:
    """Every step, rollback and check of a validated runbook or drill, in file order."""
    if document.runbook is not None:
        for index, step in enumerate(document.runbook.steps):
            yield from _step(document, ("steps", index), step)
        for index, check in enumerate(document.runbook.verification):
            yield _action(
                document,
                ("verification", index),
                check,
                "check",
                f"verification check {index + 1}",
                None,
            )
    if document.drill is not None:
        drill = document.drill
        groups: list[tuple[PathKey, list[Check], str]] = [
            (("steady_state",), drill.steady_state, "steady_state check"),
            (("verify", "checks"), drill.verify.checks, "verify check"),
            (("recover",), drill.recover, "recover check"),
        ]
        for base, checks, label in groups:
            for index, check in enumerate(checks):
                yield _action(
                    document, (*base, index), check, "check", f"{label} {index + 1}", None
                )


def _step(document: LintDocument, key: PathKey, step: Step) -> Iterator[ActionRef]:
    yield _action(document, key, step, "step", f"step {step.order}", step)
    rollback = step.rollback_procedure
    rollback_key = document.key(key, "rollback_procedure")
    label = f"step {step.order}'s rollback"
    if isinstance(rollback, str):
        yield ActionRef(
            label, "rollback", rollback, rollback_key, None, rollback_key, step.manual, step
        )
    elif rollback is not None:
        yield _action(document, rollback_key, rollback, "rollback", label, step)


def _action(
    document: LintDocument,
    key: PathKey,
    action: Action,
    kind: ActionKind,
    label: str,
    step: Step | None,
) -> ActionRef:
    return ActionRef(
        label=label,
        kind=kind,
        command=action.command,
        command_key=document.key(key, "command"),
        http=action.http,
        http_key=document.key(key, "http"),
        manual=action.manual,
        step=step,
    )
