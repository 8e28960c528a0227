"""Python rules: ``package.module:function`` called with the drill's variables on every poll.

The function returns a bool (the rule's condition), ``(bool, detail)``, or a number that the
rule's ``above`` / ``below`` threshold judges.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import cast

from drillbook.detect.evaluation import Reading
from drillbook.errors import DrillbookError
from drillbook.formats.detection import PythonSource
from drillbook.steps.expectations import is_number

RuleFunction = Callable[[Mapping[str, str]], object]


def resolve_callable(reference: str) -> RuleFunction:
    """The function ``package.module:attribute.path`` names; DrillbookError if there is none."""
    module_name, _, attribute = reference.partition(":")
    try:
        found: object = importlib.import_module(module_name)
        for part in attribute.split("."):
            found = getattr(found, part)
    except Exception as error:  # an import runs arbitrary code: any failure is the user's
        raise DrillbookError(
            f"cannot load the python rule {reference!r}: {type(error).__name__}: {error}; "
            "check the module is importable (on sys.path) and defines the function"
        ) from None
    if not callable(found):
        raise DrillbookError(f"the python rule {reference!r} names something not callable")
    return found


class PythonRule:
    """A resolved python rule and the variables it is called with."""

    def __init__(self, source: PythonSource, variables: Mapping[str, str]) -> None:
        self.source = source
        self.function = resolve_callable(source.call)
        self.variables = MappingProxyType(dict(variables))

    @property
    def shown(self) -> str:
        return self.source.call

    def read(self) -> Reading:
        try:
            result = self.function(self.variables)
        except Exception as error:  # the rule's own code failed: report it, keep polling
            return Reading(None, False, error=f"{self.source.call} raised {_describe(error)}")
        return self._judge(result)

    def _judge(self, result: object) -> Reading:
        if isinstance(result, bool):
            return Reading(None, result, detail=f"returned {result}")
        if _is_pair(result):
            holds, detail = cast(tuple[bool, str], result)
            return Reading(None, holds, detail=detail or f"returned {holds}")
        if is_number(result):
            value = float(result)  # type: ignore[arg-type]  # checked by is_number
            if self.source.above is None and self.source.below is None:
                return Reading(
                    value, False, error="returned a number, but the rule has no above or below"
                )
            return Reading(value, self.source.crosses(value))
        return Reading(
            None,
            False,
            error=f"returned {type(result).__name__}; return a bool, (bool, detail) or a number",
        )


def _is_pair(result: object) -> bool:
    return (
        isinstance(result, tuple)
        and len(result) == 2
        and isinstance(result[0], bool)
        and isinstance(result[1], str)
    )


def _describe(error: Exception) -> str:
    text = str(error)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__
