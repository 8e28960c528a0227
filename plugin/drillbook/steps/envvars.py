"""``$VAR`` and ``${VAR}`` in HTTP requests, filled from the runbook's vars and the environment.

Only HTTP requests are expanded here: shell commands read their values from the environment
themselves, and nothing is ever spliced into shell text.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

from drillbook.errors import DrillbookError

_REFERENCE = re.compile(
    r"\$(?:\$|\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)\}|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))"
)


class UndefinedVariable(DrillbookError):
    """A ``$VAR`` that neither the drill's vars nor the environment define."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(
            f"variable ${name} is not set; set it in the drill's vars or the environment"
        )


def merged_environment(env: Mapping[str, str]) -> dict[str, str]:
    """The process environment with the runbook's vars on top: what commands see."""
    return {**os.environ, **env}


def expand(text: str, env: Mapping[str, str]) -> str:
    """``text`` with each ``$NAME`` / ``${NAME}`` replaced by its value; ``$$`` is a ``$``.

    A ``$`` not followed by a name (``$5``, a lone ``$``) stays as written.
    """

    def replace(match: re.Match[str]) -> str:
        name = match.group("braced") or match.group("bare")
        if name is None:
            return "$"
        if name not in env:
            raise UndefinedVariable(name)
        return env[name]

    return _REFERENCE.sub(replace, text)


def expand_json(value: Any, env: Mapping[str, str]) -> Any:
    """A JSON body with every string value expanded (keys, numbers and booleans untouched)."""
    if isinstance(value, str):
        return expand(value, env)
    if isinstance(value, list):
        return [expand_json(item, env) for item in value]
    if isinstance(value, dict):
        return {key: expand_json(item, env) for key, item in value.items()}
    return value
