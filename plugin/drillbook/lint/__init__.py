"""Lint runbooks and drills: mistakes that would hang a drill, change production unasked,
page a placeholder, or leave a check that checks nothing, each at its ``file:line:col``.

Rules (ids as shown in findings): ``schema``, ``duplicate-id``, ``step-order``,
``missing-verification``, ``missing-contacts``, ``missing-escalation``, ``undeclared-var``,
``interactive-command``, ``production-change``, ``placeholder-contact``,
``yaml-comment-value``, ``not-machine-checkable``, ``command-not-found``, ``unknown-runbook``.

Suppression: a YAML comment ``# drillbook: ignore[rule-id]`` (or
``# drillbook: ignore[rule-a,rule-b]``) on a finding's line or on the line before it drops
that finding. Inside a command block the same comment is a shell comment and works too::

    contacts:
      - role: DBA
        # drillbook: ignore[placeholder-contact]
        phone: +61-xxx-xxx-xxx
"""

from drillbook.lint.engine import lint_paths
from drillbook.lint.finding import Finding, Severity
from drillbook.lint.formatters import format_findings

__all__ = ["Finding", "Severity", "format_findings", "lint_paths"]
