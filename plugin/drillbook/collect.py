"""The pytest nodes: a drill file holds one drill item, a runbook file one lint item, and a
file that cannot be read holds one item that fails with the reason."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _pytest._code.code import TerminalRepr
from _pytest._io import TerminalWriter

from drillbook.drill.plan import DrillPlan, plan_drill
from drillbook.drill.result import DrillOutcome, DrillResult
from drillbook.drill.runner import DrillRun, RunOptions
from drillbook.errors import DrillbookError
from drillbook.explain import explain_failure
from drillbook.formats.drill import Drill
from drillbook.formats.loader import Loaded, load_drill
from drillbook.interactive.prompter import ConsolePrompter, Prompter
from drillbook.report import junit_properties
from drillbook.session import DrillSession

SESSION_KEY = pytest.StashKey[DrillSession]()


def drill_session(config: pytest.Config) -> DrillSession:
    return config.stash[SESSION_KEY]


class DrillbookFailure(Exception):
    """A drill, lint or load failure whose message is the whole explanation."""


class _MessageRepr(TerminalRepr):
    def __init__(self, text: str) -> None:
        self.text = text

    def toterminal(self, tw: TerminalWriter) -> None:
        for line in self.text.splitlines():
            tw.line(line, red=line.startswith(("drill ", "lint")))


class _ExplainedItem(pytest.Item):
    """An item whose failures are messages, never tracebacks."""

    def repr_failure(
        self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None
    ) -> str | TerminalRepr:
        if isinstance(excinfo.value, DrillbookFailure | DrillbookError):
            return _MessageRepr(str(excinfo.value))
        return super().repr_failure(excinfo)


class BrokenFileItem(_ExplainedItem):
    """Stands for a file that could not be loaded; fails with the load error."""

    def __init__(self, *, error: DrillbookError, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.error = error

    def runtest(self) -> None:
        raise DrillbookFailure(str(self.error))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        line = getattr(self.error, "line", 1)
        return self.path, line - 1, f"{self.path.name}: cannot be loaded"


class DrillFile(pytest.File):
    def collect(self) -> Iterator[pytest.Item]:
        session = drill_session(self.config)
        try:
            drill = load_drill(self.path)
            plan = plan_drill(drill, session.runbook_index(self.path))
        except DrillbookError as error:
            yield BrokenFileItem.from_parent(self, name="load", error=error)
            return
        yield DrillItem.from_parent(self, name=drill.model.id, plan=plan)


def _marker_name(text: str) -> str:
    return re.sub(r"\W", "_", text.lower()).strip("_") or "untagged"


class DrillItem(_ExplainedItem):
    """One drill, run through the lifecycle runner."""

    def __init__(self, *, plan: DrillPlan, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.plan = plan
        drill: Loaded[Drill] = plan.drill
        self.extra_keyword_matches.update({drill.model.title, *drill.model.tags})
        for name in ("drill", plan.runbook.model.severity, *drill.model.tags):
            marker = _marker_name(name)
            drill_session(self.config).register_marker(self.config, marker)
            self.add_marker(marker)

    def runtest(self) -> None:
        session = drill_session(self.config)
        options = RunOptions(
            output_dir=session.report_dir,
            dry_run=session.dry_run,
            overrides=session.overrides,
            resources=session.resources,
            prompter=_prompter(self.config),
            training=session.training,
            performer=session.performer(),
        )
        result = DrillRun(self.plan, options).execute()
        session.results.append(result)
        self.user_properties.extend(junit_properties(result))
        if session.dry_run:
            pytest.skip(_dry_run_text(result))
        if result.outcome is not DrillOutcome.PASSED:
            raise DrillbookFailure(explain_failure(result))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, 0, f"drill {self.name}"


def _prompter(config: pytest.Config) -> Prompter | None:
    """A person can answer only when pytest does not capture output (``-s``)."""
    if config.getoption("capture") != "no":
        return None
    return ConsolePrompter()


def _dry_run_text(result: DrillResult) -> str:
    lines = [f"dry run of drill {result.drill_id}; nothing was run. It would:"]
    for phase in result.phases:
        for action in phase.actions:
            lines.append(f"  [{phase.name}] {action.label}: {action.shown}")
    return "\n".join(lines)


class RunbookFile(pytest.File):
    def collect(self) -> Iterator[pytest.Item]:
        drill_session(self.config).add_lint_root(self.path)
        yield LintItem.from_parent(self, name="lint")


class LintItem(_ExplainedItem):
    """The lint of one runbook file: fails on errors, shows warnings in the report."""

    def runtest(self) -> None:
        findings = drill_session(self.config).findings_for(self.path)
        errors = [f for f in findings if f.severity == "error"]
        others = [f for f in findings if f.severity != "error"]
        if others:
            self.add_report_section("call", "drillbook lint", _listing(others))
        if errors:
            raise DrillbookFailure(f"lint: {len(errors)} error(s)\n" + _listing(findings))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, 0, f"lint {self.path.name}"


def _listing(findings: list[Any]) -> str:
    return "\n".join(str(finding) for finding in findings)
