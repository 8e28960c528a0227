"""``placeholder-contact``: a contact's name, phone, email or Slack channel still holds a
placeholder (``+61-xxx-xxx-xxx``, ``TBD``, ``changeme``, ``someone@example.com``)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from drillbook.lint.document import LintDocument
from drillbook.lint.finding import Finding, Severity
from drillbook.lint.rules.base import LintOptions

RULE = "placeholder-contact"

PLACEHOLDER = re.compile(
    r"(?<![a-z])x{3,}(?![a-z])"  # +61-xxx-xxx-xxx
    r"|\b(?:tbd|tba|todo|fixme|changeme|change-me|placeholder)\b"
    r"|\bexample\.(?:com|org|net)\b"
    r"|<[^<>]+>",  # <name>
    re.I,
)
_WHAT = {"name": "person or team", "phone": "number", "email": "address", "slack": "channel"}


def check(document: LintDocument, options: LintOptions) -> Iterator[Finding]:
    if document.runbook is None:
        return
    for index, contact in enumerate(document.runbook.contacts):
        for field, what in _WHAT.items():
            value = getattr(contact, field)
            if isinstance(value, str) and PLACEHOLDER.search(value):
                yield document.finding(
                    ("contacts", index, field),
                    RULE,
                    Severity.WARNING,
                    f"the {field} of contact `{contact.role}` is a placeholder ({value!r}); put "
                    f"in the real {what} before an incident needs it",
                )
