"""``undeclared-var``: a runbook's commands and requests read ``$NAME`` that its ``vars`` do
not declare, so a drill cannot know to provide it (or to mask it when it is a secret).

Names the command sets itself (``FOO=1; echo $FOO``, ``export``, ``read``, ``for``), the
shell's special parameters (``$1``, ``$?``, ``$@``, ``$$``) and the common environment
(``HOME``, ``PATH``, ...) are not reported. Drills are not checked: their vars may come from
the environment, which lint does not read yet.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from drillbook.formats.yaml_source import PathKey
from drillbook.lint.actions import ActionRef, actions
from drillbook.lint.document import LintDocument
from drillbook.lint.finding import Finding, Severity
from drillbook.lint.rules.base import LintOptions, also_at
from drillbook.lint.shell import parse_script, string_references

RULE = "undeclared-var"

COMMON_ENVIRONMENT = frozenset({
    "HOME", "PATH", "USER", "PWD", "OLDPWD", "SHELL", "TMPDIR", "LANG", "LC_ALL", "TERM",
    "HOSTNAME", "LOGNAME", "RANDOM", "SECONDS", "LINENO", "UID", "EUID", "PPID", "IFS",
    "REPLY", "BASH_SOURCE", "BASHPID", "PIPESTATUS", "FUNCNAME", "OSTYPE", "HOSTTYPE",
})  # fmt: skip
# Names that usually hold secrets (a database URL carries its password).
_SECRET_LIKE = re.compile(r"TOKEN|SECRET|PASSWORD|PASSWD|KEY|CREDENTIAL|DATABASE_URL|DSN", re.I)

Use = tuple[str, str, tuple[int, int]]  # name, as written, file position


def check(document: LintDocument, options: LintOptions) -> Iterator[Finding]:
    runbook = document.runbook
    if runbook is None:
        return
    declared = set(runbook.vars) | COMMON_ENVIRONMENT
    uses: dict[str, list[tuple[tuple[int, int], str]]] = {}
    for action in actions(document):
        for name, raw, position in _uses(document, action):
            if name not in declared:
                uses.setdefault(name, []).append((position, raw))
    for name, places in uses.items():
        places.sort()
        (position, raw), others = places[0], [place[0][0] for place in places[1:]]
        yield document.finding_at(position, RULE, Severity.WARNING, _message(name, raw, others))


def _message(name: str, raw: str, other_lines: list[int]) -> str:
    secret = _SECRET_LIKE.search(name) is not None
    shown = raw if raw.startswith("$" + name) or raw.endswith("}") else f"${{{name}}}"
    fields = "description: ..., secret: true" if secret else "description: ..."
    example = f"{name}: {{{fields}}}"
    return (
        f"`{shown}` is not declared in the runbook's `vars`{also_at(other_lines)}; declare it "
        f"under `vars:` (`{example}`) so drills know to provide it"
        + (" and mask it" if secret else "")
    )


def _uses(document: LintDocument, action: ActionRef) -> Iterator[Use]:
    if action.command is not None:
        script = parse_script(action.command)
        assigned = script.assigned()
        for ref in script.references():
            if ref.name not in assigned:
                position = document.position_in_value(
                    action.command_key, ref.line, ref.column, ref.raw
                )
                yield (ref.name, ref.raw, position)
    if action.http is not None:
        request = action.http
        strings: list[tuple[PathKey, str]] = [((*action.http_key, "url"), request.url)]
        strings += [((*action.http_key, "headers", k), v) for k, v in request.headers.items()]
        if request.body is not None:
            strings.append((document.key(action.http_key, "body"), request.body))
        strings += _json_strings((*action.http_key, "json"), request.json_body)
        for key, text in strings:
            yield from _string_uses(document, key, text)


def _string_uses(document: LintDocument, key: PathKey, text: str) -> Iterator[Use]:
    for name, raw, offset in string_references(text):
        line_index = text.count("\n", 0, offset)
        column = offset - (text.rfind("\n", 0, offset) + 1)
        yield (name, raw, document.position_in_value(key, line_index, column, raw))


def _json_strings(key: PathKey, value: Any) -> list[tuple[PathKey, str]]:
    if isinstance(value, str):
        return [(key, value)]
    if isinstance(value, dict):
        return [found for k, v in value.items() for found in _json_strings((*key, k), v)]
    if isinstance(value, list):
        return [found for i, v in enumerate(value) for found in _json_strings((*key, i), v)]
    return []
