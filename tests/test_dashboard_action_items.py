"""Post-mortem action items: open, done (Status column or struck through) and overdue."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from drillbook.dashboard.action_items import parse_action_items, read_action_items
from drillbook.postmortem.render import blank_postmortem
from test_dashboard_support import POSTMORTEM

TODAY = date(2026, 11, 30)


def items_of(text: str) -> list[tuple[str, str | None, bool]]:
    return [(i.action, i.owner, i.done) for i in parse_action_items(text, Path("pm.md"))]


def test_open_done_and_overdue_items_of_a_post_mortem(tmp_path: Path) -> None:
    path = tmp_path / "pm.md"
    path.write_text(POSTMORTEM.format(title="API errors", owner="Alice"), encoding="utf-8")
    found = read_action_items([path])
    assert found.files_read == 1 and found.problems == ()
    by_action = {item.action: item for item in found.items}
    assert set(by_action) == {
        "Add an alert on the error ratio",
        "Document the failover",
        "Remove the old pool",
        "Rotate the keys",
        "Write the load test",
    }  # the template's "[Action] | [Person]" row is no item
    assert by_action["Remove the old pool"].done  # Status: done
    assert by_action["Rotate the keys"].done  # struck through
    alert = by_action["Add an alert on the error ratio"]
    assert (alert.owner, alert.due, alert.priority, alert.line) == (
        "Alice",
        date(2026, 11, 1),
        "P1",
        9,
    )
    assert alert.postmortem == "API errors" and alert.path == path
    load_test = by_action["Write the load test"]
    assert load_test.due is None and load_test.due_text is None  # "TBD" is no date
    ordered = [item.action for item in found.open_items(TODAY)]
    assert ordered == [
        "Add an alert on the error ratio",
        "Document the failover",
        "Write the load test",
    ]
    assert [item.overdue(TODAY) for item in found.open_items(TODAY)] == [True, False, False]


def test_without_a_status_column_only_struck_items_are_done() -> None:
    text = (
        "# Incident Post-Mortem: x\n\n## Action Items\n"
        "| Action | Owner | Due Date | Priority |\n|---|---|---|---|\n"
        "| ~~Fix the retry~~ | Ann | 2026-01-01 | P1 |\n"
        "| Add a dashboard | Ben | 2026-13-45 | p2 |\n"
    )
    assert items_of(text) == [("Fix the retry", "Ann", True), ("Add a dashboard", "Ben", False)]
    [_, dashboard] = parse_action_items(text, Path("x.md"))
    assert dashboard.due is None and dashboard.due_text == "2026-13-45"
    assert dashboard.priority == "P2"


def test_status_words_columns_in_any_order_and_escaped_pipes() -> None:
    text = (
        "## Action Items\n\n"
        "| Status | Priority | Owner | Action | Due Date |\n|:-:|---|---|---|---|\n"
        "| Closed | P1 | Ann | Drop a | 2026-01-01 |\n"
        "| **open** | P2 | Ben | Split a \\| b | 2026-02-01 |\n"
        "| completed | P2 | Cy | Ship | 2026-02-01 |\n"
    )
    assert items_of(text) == [
        ("Drop a", "Ann", True),
        ("Split a | b", "Ben", False),
        ("Ship", "Cy", True),
    ]


def test_only_the_action_items_section_counts_and_fenced_tables_are_ignored() -> None:
    text = (
        "## Timeline\n| Action | Owner |\n|---|---|\n| not an item | x |\n\n"
        "## Action Items\n```\n| Action | Owner |\n| fenced | y |\n```\n"
        "| Action | Owner | Due Date |\n|---|---|---|\n| Real one | Zoe | 2026-01-02 |\n\n"
        "## Lessons Learned\n| Action | Owner |\n|---|---|\n| after | z |\n"
    )
    assert items_of(text) == [("Real one", "Zoe", False)]


def test_no_section_no_table_or_no_action_column_means_no_items() -> None:
    assert items_of("# Post-mortem\n\nNothing to do.\n") == []
    assert items_of("## Action Items\n\nNone yet.\n") == []
    assert items_of("## Action Items\n| What | Who |\n|---|---|\n| a | b |\n") == []


def test_an_unreadable_post_mortem_is_named_and_the_others_still_read(tmp_path: Path) -> None:
    broken = tmp_path / "broken.md"
    broken.write_bytes(b"\xff\xfe## Action Items\n")
    good = tmp_path / "good.md"
    good.write_text(
        "## Action Items\n| Action | Owner |\n|---|---|\n| Do it | Al |\n", encoding="utf-8"
    )
    found = read_action_items([broken, tmp_path / "gone.md", good])
    assert [item.action for item in found.items] == ["Do it"]
    assert len(found.problems) == 2 and str(broken) in found.problems[0]
    assert found.files_read == 1


def test_the_blank_post_mortem_template_has_no_items_until_filled() -> None:
    template = blank_postmortem()
    assert "## Action Items" in template
    assert items_of(template) == []
    filled = template.replace("_[to fill: action description]_", "Page the DBA", 1)
    assert items_of(filled) == [("Page the DBA", None, False)]
