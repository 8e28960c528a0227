"""``yaml-comment-value``: ``slack: #database-oncall`` is a key with no value, because YAML
reads `` #...`` as a comment. A null value whose line goes on with ``#`` and a word right
after it (``#channel``, not ``# a note``) was almost certainly meant as the value."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

from drillbook.lint.document import LintDocument
from drillbook.lint.finding import Finding, Severity
from drillbook.lint.rules.base import LintOptions

RULE = "yaml-comment-value"

# from the key: the key itself (plain or quoted), the colon, blanks, then `#word...`.
_KEY_THEN_COMMENT = re.compile(
    r"""^(?:"(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^'"#]*?)[ \t]*:[ \t]+(#[^\s#].*?)[ \t]*$"""
)


def check(document: LintDocument, options: LintOptions) -> Iterator[Finding]:
    for key, (line, column) in sorted(document.source.keys.items(), key=lambda item: item[1]):
        if document.value(key) is not None:
            continue
        text = document.raw_line(line)[column - 1 :]
        match = _KEY_THEN_COMMENT.match(text)
        if not match:
            continue
        name, value = str(key[-1]), match.group(1)
        yield document.finding_at(
            (line, column + match.start(1)),
            RULE,
            Severity.ERROR,
            f"`{name}` is empty: YAML reads `{value}` as a comment, not as the value; quote "
            f"it: {name}: {json.dumps(value, ensure_ascii=False)}",
        )
