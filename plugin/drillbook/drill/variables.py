"""The variables a drill's commands see: what the environment exports, the drill's own
values, and what the user passes with ``--drill-var``; checked against the runbook's needs."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

import jmespath

from drillbook.errors import DrillbookError
from drillbook.formats.runbook import Runbook

_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)")


def expand(text: str, values: Mapping[str, str]) -> str:
    """``$NAME`` and ``${NAME}`` in ``text`` replaced from ``values``; unknown names stay."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        return values.get(name, match.group(0))

    return _REFERENCE.sub(replace, text)


def parse_assignment(text: str) -> tuple[str, str]:
    """``NAME=value`` from the command line."""
    name, sep, value = text.partition("=")
    if not sep or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise DrillbookError(f"--drill-var takes NAME=value, got {text!r}")
    return name, value


def resolve_variables(
    runbook: Runbook,
    *,
    exported: Mapping[str, str],
    drill_values: Mapping[str, str],
    overrides: Mapping[str, str],
) -> dict[str, str]:
    """The environment for the runbook's commands. Drill values may refer to exported ones
    (``APP_URL: "$APP_URL/v2"``). Raises DrillbookError naming every required var missing."""
    values: dict[str, str] = {
        name: var.default for name, var in runbook.vars.items() if var.default is not None
    }
    values.update(exported)
    values.update({name: expand(value, values) for name, value in drill_values.items()})
    values.update(overrides)
    missing = [name for name, var in runbook.vars.items() if var.required and name not in values]
    if missing:
        lines = [
            f"  {name}: {runbook.vars[name].description or 'no description'}" for name in missing
        ]
        raise DrillbookError(
            f"runbook {runbook.id!r} needs values for {', '.join(missing)}:\n"
            + "\n".join(lines)
            + "\nset them in the drill's `vars`, in the environment's `exports`, "
            "or with --drill-var NAME=value"
        )
    return values


def captured_values(capture: Mapping[str, str], answer: str) -> dict[str, str]:
    """``{NAME: jmespath}`` applied to a JSON answer; every name must find a value."""
    try:
        document = json.loads(answer)
    except ValueError:
        raise DrillbookError("capture needs a JSON answer, and this one is not JSON") from None
    values: dict[str, str] = {}
    for name, path in capture.items():
        found = jmespath.search(path, document)
        if found is None:
            raise DrillbookError(f"capture {name}: `{path}` found nothing in the answer")
        values[name] = found if isinstance(found, str) else json.dumps(found)
    return values
