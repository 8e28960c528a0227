"""The values a runbook's commands see during an incident: ``--var``, the process
environment for the names the runbook declares, and what the responder types when asked."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from drillbook.drill.variables import parse_assignment, resolve_variables
from drillbook.errors import DrillbookError
from drillbook.formats.runbook import Runbook
from drillbook.interactive.prompter import Prompter
from drillbook.steps.masking import MASK, Masker, is_secret_name


@dataclass
class Variables:
    """The resolved values, where each came from, and the required ones still unknown."""

    values: dict[str, str]
    sources: dict[str, str]
    missing: list[str] = field(default_factory=list)

    def described(self, masker: Masker, secret_names: set[str]) -> dict[str, dict[str, str]]:
        """``name -> {source, value}`` with secrets masked: safe to show and to write down."""
        return {
            name: {
                "source": source,
                "value": MASK
                if name in secret_names or is_secret_name(name)
                else masker.mask(self.values[name]),
            }
            for name, source in sorted(self.sources.items())
        }


def parse_assignments(texts: Sequence[str]) -> dict[str, str]:
    """``--var NAME=VALUE`` options as a mapping (the last one of a name wins)."""
    values: dict[str, str] = {}
    for text in texts:
        try:
            name, value = parse_assignment(text)
        except DrillbookError:
            raise DrillbookError(f"--var takes NAME=VALUE, got {text!r}") from None
        values[name] = value
    return values


def gather_variables(
    runbook: Runbook,
    *,
    assignments: Mapping[str, str],
    environ: Mapping[str, str],
    prompter: Prompter,
    ask: bool = True,
) -> Variables:
    """Values from ``--var``, then ``environ`` (declared names only), then defaults.

    A required var still missing is asked for when ``ask`` and the prompter is interactive;
    otherwise, when ``ask``, it is an error naming it and its description. With ``ask`` off
    (dry runs) missing vars are only listed in the result.
    """
    exported = {name: environ[name] for name in runbook.vars if name in environ}
    known = {**_defaults(runbook), **exported, **assignments}
    missing = [name for name, var in runbook.vars.items() if var.required and name not in known]
    asked: dict[str, str] = {}
    if ask and missing:
        asked = _ask_for(runbook, missing, prompter)
        missing = []
    effective = runbook.model_copy(
        update={"vars": {n: v for n, v in runbook.vars.items() if n not in missing}}
    )
    values = resolve_variables(
        effective, exported=exported, drill_values={}, overrides={**assignments, **asked}
    )
    sources = {name: "default" for name in _defaults(runbook)}
    sources.update({name: "environment" for name in exported})
    sources.update({name: "--var" for name in assignments})
    sources.update({name: "asked" for name in asked})
    return Variables(values, sources, missing)


def _defaults(runbook: Runbook) -> dict[str, str]:
    return {name: var.default for name, var in runbook.vars.items() if var.default is not None}


def _ask_for(runbook: Runbook, missing: list[str], prompter: Prompter) -> dict[str, str]:
    if not prompter.interactive:
        raise DrillbookError(_missing_message(runbook, missing))
    asked: dict[str, str] = {}
    for name in missing:
        var = runbook.vars[name]
        value = prompter.ask_value(name, var.description, secret=var.secret)
        if not value:
            raise DrillbookError(_missing_message(runbook, [name]))
        asked[name] = value
    return asked


def _missing_message(runbook: Runbook, missing: list[str]) -> str:
    lines = [f"  {name}: {runbook.vars[name].description or 'no description'}" for name in missing]
    return (
        f"runbook {runbook.id!r} needs a value for {', '.join(missing)}:\n"
        + "\n".join(lines)
        + "\npass --var NAME=VALUE, export NAME in the environment, "
        "or run from a terminal to be asked"
    )
