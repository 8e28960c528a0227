"""The lint rules, one module per family. File rules see one document; tree rules see all."""

from __future__ import annotations

from drillbook.lint.rules import (
    completeness,
    contacts,
    expectations,
    interactive,
    path_commands,
    production,
    references,
    step_order,
    variables,
    yaml_comments,
)
from drillbook.lint.rules.base import FileRule, LintOptions, TreeRule

FILE_RULES: dict[str, FileRule] = {
    "step-order": step_order.check,
    "missing-*": completeness.check,
    "undeclared-var": variables.check,
    "interactive-command": interactive.check,
    "production-change": production.check,
    "placeholder-contact": contacts.check,
    "yaml-comment-value": yaml_comments.check,
    "not-machine-checkable": expectations.check,
    "command-not-found": path_commands.check,
}

TREE_RULES: dict[str, TreeRule] = {
    "duplicate-id": references.check_duplicate_ids,
    "unknown-runbook": references.check_runbook_references,
}

__all__ = ["FILE_RULES", "TREE_RULES", "FileRule", "LintOptions", "TreeRule"]
