"""``production-change``: a command that changes production in a step that does not say so.

A step acknowledges it with ``changesProduction: true`` (a rollback shares its step's flag).
Verification checks must not change production at all. Drills' own checks are not read:
recovering a system is their job.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from drillbook.lint.actions import ActionRef, actions
from drillbook.lint.document import LintDocument
from drillbook.lint.finding import Finding, Severity
from drillbook.lint.rules.base import LintOptions
from drillbook.lint.rules.commands import (
    CommandUse,
    command_uses,
    short_flags,
    shown,
    subcommands,
    word_position,
)
from drillbook.lint.shell import parse_script

RULE = "production-change"

_SQL = re.compile(r"\bDROP\s+(?:TABLE|DATABASE|SCHEMA)\b|\bTRUNCATE\b", re.I)
_PROD_FLAGS = frozenset({"--prod", "--production"})
_KUBECTL_CHANGES = frozenset({"delete", "scale", "apply", "patch", "drain", "edit", "replace"})
_HELM_CHANGES = frozenset({"install", "upgrade", "uninstall", "delete", "rollback"})
_OWN_VERBS = frozenset({"kubectl", "helm", "terraform"})


def check(document: LintDocument, options: LintOptions) -> Iterator[Finding]:
    if document.runbook is None:
        return
    for use in command_uses(document, include_manual=True):
        if use.action.changes_production:
            continue
        if _changes_production(use):
            position = word_position(document, use.action, use.invocation.name)
            yield document.finding_at(
                position, RULE, Severity.ERROR, _message(use.action, f"`{shown(use)}`")
            )
    for action in actions(document):
        if action.command is not None and not action.changes_production:
            yield from _sql(document, action, action.command)


def _sql(document: LintDocument, action: ActionRef, command: str) -> Iterator[Finding]:
    for piece in parse_script(command).searchable():
        for match in _SQL.finditer(piece.text):
            line, column = piece.position(match.start())
            position = document.position_in_value(action.command_key, line, column, match.group(0))
            what = f"`{' '.join(match.group(0).split())}`"
            yield document.finding_at(position, RULE, Severity.ERROR, _message(action, what))


def _message(action: ActionRef, what: str) -> str:
    if action.step is None:
        return (
            f"{what} changes production, and a verification check must not; move it into a "
            "step with `changesProduction: true`"
        )
    where = "" if action.kind == "step" else " (in its rollback)"
    return (
        f"{what} changes production{where}, but step {action.step.order} does not say so; add "
        f"`changesProduction: true` to step {action.step.order} to acknowledge it"
    )


def _changes_production(use: CommandUse) -> bool:
    args = use.args
    if _PROD_FLAGS & set(args) or any(arg.startswith("--prod=") for arg in args):
        return True
    # `kubectl get deploy` names a resource: programs with their own verbs skip this test.
    if use.program not in _OWN_VERBS and (use.program == "deploy" or "deploy" in args):
        return True
    special = _PROGRAMS.get(use.program)
    return special is not None and special(args)


def _rm(args: list[str]) -> bool:
    flags = short_flags(args)
    recursive = bool(flags & {"r", "R"}) or "--recursive" in args
    return recursive and ("f" in flags or "--force" in args)


def _kubectl(args: list[str]) -> bool:
    verbs = [arg for arg in args if arg in _KUBECTL_CHANGES or arg == "rollout"]
    if not verbs:
        return False
    if verbs[0] != "rollout":
        return True
    after = args[args.index("rollout") + 1 :]
    return subcommands(after, 1) not in (["status"], ["history"])


def _terraform(args: list[str]) -> bool:
    return subcommands(args, 1) in (["apply"], ["destroy"])


def _vercel(args: list[str]) -> bool:
    words = subcommands(args)
    return words[:1] in (["rollback"], ["promote"]) or (
        words[:1] == ["env"] and words[1:2] in (["add"], ["rm"], ["remove"])
    )


def _helm(args: list[str]) -> bool:
    return bool(set(subcommands(args, 1)) & _HELM_CHANGES)


_PROGRAMS: dict[str, Callable[[list[str]], bool]] = {
    "rm": _rm,
    "kubectl": _kubectl,
    "terraform": _terraform,
    "vercel": _vercel,
    "helm": _helm,
}
