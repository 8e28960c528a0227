"""``step-order``: steps numbered 1, 2, 3, ... once each, and listed in that order."""

from __future__ import annotations

from collections.abc import Iterator

from drillbook.lint.document import LintDocument
from drillbook.lint.finding import Finding, Severity
from drillbook.lint.rules.base import LintOptions

RULE = "step-order"


def check(document: LintDocument, options: LintOptions) -> Iterator[Finding]:
    if document.runbook is None:
        return
    orders = [step.order for step in document.runbook.steps]
    yield from _duplicates(document, orders)
    yield from _gaps(document, orders)
    yield from _out_of_order(document, orders)


def _order_key(index: int) -> tuple[str, int, str]:
    return ("steps", index, "order")


def _duplicates(document: LintDocument, orders: list[int]) -> Iterator[Finding]:
    first: dict[int, int] = {}
    for index, order in enumerate(orders):
        if order not in first:
            first[order] = index
            continue
        line = document.source.line(_order_key(first[order]))
        yield document.finding(
            _order_key(index),
            RULE,
            Severity.ERROR,
            f"step order {order} is used twice (also at line {line}); give each step its own "
            "order, numbered 1, 2, 3, ...",
        )


def _gaps(document: LintDocument, orders: list[int]) -> Iterator[Finding]:
    present = set(orders)
    missing = [number for number in range(1, max(present) + 1) if number not in present]
    if not missing:
        return
    after_gap = min(order for order in present if order > missing[0])
    index = orders.index(after_gap)
    names = ", ".join(str(number) for number in missing[:10])
    names += ", ..." if len(missing) > 10 else ""
    verb = "is" if len(missing) == 1 else "are"
    yield document.finding(
        _order_key(index),
        RULE,
        Severity.ERROR,
        f"step orders must run 1, 2, 3, ... without gaps: {names} {verb} missing; renumber "
        f"the steps (this one, {after_gap}, would be {missing[0]})",
    )


def _out_of_order(document: LintDocument, orders: list[int]) -> Iterator[Finding]:
    highest = 0
    for index, order in enumerate(orders):
        if order < highest:
            yield document.finding(
                _order_key(index),
                RULE,
                Severity.WARNING,
                f"step {order} is listed after step {highest}; list the steps in the order "
                "they run",
            )
        highest = max(highest, order)
