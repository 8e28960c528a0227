"""``command-not-found``: a program a step runs is not on this machine's PATH.

Each simple command of each line is read (``a | b && c`` gives three), after assignments and
wrappers (``sudo``, ``exec``, ``time``, ``env``, ``timeout``, ...). Shell builtins and
keywords, functions the command defines, names built from ``$VARS``, relative paths and
manual steps are not checked. Turned off with ``--no-path-check`` where the tools live
elsewhere than the linting machine.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator

from drillbook.lint.document import LintDocument
from drillbook.lint.finding import Finding, Severity
from drillbook.lint.rules.base import LintOptions, also_at
from drillbook.lint.rules.commands import command_uses, word_position
from drillbook.lint.shell import SHELL_BUILTINS, SHELL_KEYWORDS

RULE = "command-not-found"

_PLAIN_NAME = re.compile(r"^(?:/[\w.+@-]+)+$|^[\w][\w.+@-]*$")


def check(document: LintDocument, options: LintOptions) -> Iterator[Finding]:
    if not options.check_path_commands:
        return
    found: dict[str, bool] = {}
    missing: dict[str, list[tuple[int, int]]] = {}
    for use in command_uses(document, include_manual=False):
        name = use.invocation.name.text
        if not _checkable(name) or name in use.script.functions:
            continue
        if name not in found:
            found[name] = shutil.which(name) is not None
        if not found[name]:
            position = word_position(document, use.action, use.invocation.name)
            missing.setdefault(name, []).append(position)
    for name, positions in missing.items():
        positions.sort()
        others = [line for line, _ in positions[1:]]
        yield document.finding_at(
            positions[0],
            RULE,
            Severity.WARNING,
            f"`{name}` is not on PATH here{also_at(others)}; install it where drills run or "
            "fix the name (lint with --no-path-check on machines without the tools)",
        )


def _checkable(name: str) -> bool:
    if name in SHELL_BUILTINS or name in SHELL_KEYWORDS:
        return False
    return _PLAIN_NAME.match(name) is not None
