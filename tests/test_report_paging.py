"""The Incident section's Escalation and Notifications tables, in Markdown and HTML: who was
paged when (virtual time), who acknowledged, which messages went out; never their payloads."""

from __future__ import annotations

import re
from typing import Any

from drillbook.report import build_report, render_html, render_markdown
from drillbook.report.view_paging import escalation_view, notification_views
from test_report_builders import (
    PAYLOAD_TEXT,
    all_drills,
    at,
    failed_drill,
    passed_drill,
    poison_observations,
    session,
)
from test_report_html import drill_html, parse, table
from test_report_markdown import drill_section, rows_after

ESCALATION_HEADER = ["Level", "Person", "Through", "Paged after", "Acknowledged?"]
NOTIFICATION_HEADER = ["Time", "Since detection", "Channel", "Event", "Route", "Result"]


def report(drills: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    data = drills if drills is not None else [d.to_dict() for d in all_drills()]
    return build_report(session(), data)


def test_html_escalation_table_marks_who_acknowledged() -> None:
    first = drill_html(render_html(report()), 1)
    assert table(first, "Escalation (virtual time)") == [
        ESCALATION_HEADER,
        ["1", "Lachlan Brooks (engineer-2)", "schedule level-1", "0 min", "no"],
        ["2", "Grace Okafor (senior-2)", "schedule level-2", "15 min", "yes"],
    ]
    note = first[first.index("</table>", first.index("Escalation (virtual time)")) :]
    assert note.split("</p>")[0].endswith(
        '<p class="note">Acknowledged by Grace Okafor (senior-2). The escalation path runs in '
        "virtual time: paged after counts minutes from the incident's opening, not waited for."
    )


def test_html_escalation_that_nobody_answered_flags_the_failed_page() -> None:
    second = drill_html(render_html(report()), 2)
    found = table(second, "Escalation (virtual time)")
    assert found[2] == [
        "2",
        "Grace Okafor (senior-2)",
        "schedule level-2",
        "15 min",
        "no; the page failed: PagerDuty answered HTTP 500",
    ]
    assert '<td class="text flag">no; the page failed: PagerDuty answered HTTP 500</td>' in second
    assert "Every level was paged and nobody acknowledged. Levels with nobody on call: 3." in second


def test_html_notifications_table_says_sent_or_failed_and_never_the_payload() -> None:
    page_text = render_html(report())
    first, second = drill_html(page_text, 1), drill_html(page_text, 2)
    assert table(first, "Notifications") == [
        NOTIFICATION_HEADER,
        ["2026-05-01 12:00:05.220 UTC", "+20 ms", "slack", "opened", "incidents channel",
         "sent (HTTP 200)"],
        ["2026-05-01 12:00:05.250 UTC", "+50 ms", "statuspage", "opened", "public status page",
         "sent (HTTP 201)"],
        ["2026-05-01 12:00:05.700 UTC", "+500 ms", "slack", "acknowledged", "incidents channel",
         "sent (HTTP 200)"],
        ["2026-05-01 12:00:29.100 UTC", "+23.9 s", "slack", "resolved", "incidents channel",
         "sent (HTTP 200)"],
        ["2026-05-01 12:00:29.200 UTC", "+24.0 s", "statuspage", "resolved", "public status page",
         "sent (HTTP 200)"],
    ]  # fmt: skip
    failed = table(second, "Notifications")[2]
    assert failed[2:] == [
        "statuspage",
        "opened",
        "public status page",
        "FAILED (HTTP 503: unavailable (after 3 attempts))",
    ]
    assert second.count('<td class="text flag">FAILED') == 1
    assert PAYLOAD_TEXT not in page_text


def test_markdown_escalation_and_notifications_tables() -> None:
    text = render_markdown(report())
    first, second = drill_section(text, 1), drill_section(text, 2)
    assert rows_after(first, "#### Escalation (virtual time)") == [
        ["1", "Lachlan Brooks (engineer-2)", "schedule level-1", "0 min", "no"],
        ["2", "Grace Okafor (senior-2)", "schedule level-2", "15 min", "yes"],
    ]
    assert "\nAcknowledged by Grace Okafor (senior-2). The escalation path" in first
    assert rows_after(second, "#### Escalation (virtual time)")[1][4] == (
        "**no; the page failed: PagerDuty answered HTTP 500**"
    )
    notifications = rows_after(second, "#### Notifications")
    assert [row[2:4] for row in notifications] == [
        ["slack", "opened"],
        ["statuspage", "opened"],
        ["slack", "acknowledged"],
    ]
    assert notifications[1][5] == "**FAILED (HTTP 503: unavailable (after 3 attempts))**"
    assert len(rows_after(first, "#### Notifications")) == 5
    assert PAYLOAD_TEXT not in text


def test_sections_come_after_the_lifecycle_and_only_when_recorded() -> None:
    text = render_markdown(report())
    first = drill_section(text, 1)
    order = [first.index(h) for h in ("#### Lifecycle", "#### Escalation", "#### Notifications")]
    assert order == sorted(order) and order[-1] < first.index("#### Incident timeline")
    old = passed_drill().to_dict()
    del old["incident"]["escalation"], old["incident"]["notifications"]
    for rendered in (render_markdown(report([old])), render_html(report([old]))):
        assert "Escalation" not in rendered and "Notifications" not in rendered
        assert "Lifecycle" in rendered


def test_hostile_text_in_pages_and_notifications_stays_text() -> None:
    attack = "<img src=x onerror=alert(1)> | **bold** {who} {0}"
    drill = poison_observations(passed_drill(), attack).to_dict()
    page_text = render_html(report([drill]))
    page = parse(page_text)
    assert "img" not in page.names
    escalation = table(drill_html(page_text, 1), "Escalation (virtual time)")
    assert escalation[1][1:3] == [attack, attack]  # name and id alike: shown once
    text = render_markdown(report([drill]))
    assert re.search(r"(?<!\\)<img", text) is None  # only as the escaped \<img
    assert all(len(row) == 6 for row in rows_after(text, "#### Notifications"))


def test_escalation_view_reads_loops_odd_outcomes_and_missing_parts() -> None:
    looped = {
        "pages": [
            {"level": 1, "person": "ada", "name": "Ada", "after_minutes": 0},
            {"level": 2, "person": "bob", "name": "", "after_minutes": 15},
            {"level": 1, "person": "ada", "name": "Ada", "after_minutes": 30},
        ],
        "outcome": "acknowledged",
        "acknowledged_by": "ada",
    }
    view = escalation_view(looped)
    assert view is not None
    assert [(p.level, p.person, p.after, p.acknowledged) for p in view.pages] == [
        ("1", "Ada (ada)", "0 min", "no"),
        ("2", "bob", "15 min", "no"),
        ("1", "Ada (ada)", "30 min", "yes"),  # the page that was answered: the last to ada
    ]
    assert view.outcome == "Acknowledged by Ada (ada)."
    odd = escalation_view({"outcome": "{who} {0}", "pages": "none", "unreached_levels": [3, 4]})
    assert odd is not None
    assert (odd.outcome, odd.pages, odd.unreached) == ("Ended: {who} {0}.", [], "3, 4")
    assert escalation_view(None) is None and escalation_view("paged") is None


def test_notification_views_count_from_detection_and_skip_junk() -> None:
    detected = at(10).isoformat()
    found = notification_views(
        [{"channel": "slack", "event": "opened", "at": at(10.25).isoformat(), "ok": True}, "x"],
        detected,
    )
    assert [(n.since_detection, n.result, n.ok) for n in found] == [("+250 ms", "sent", True)]
    assert notification_views(None, detected) == []
    failed = notification_views([{"ok": "yes", "detail": "HTTP 500"}], detected)[0]
    assert (failed.result, failed.ok, failed.time) == ("FAILED (HTTP 500)", False, "—")


def test_the_failed_drill_builder_has_an_unanswered_escalation() -> None:
    incident = failed_drill().to_dict()["incident"]
    assert incident["escalation"]["outcome"] == "exhausted"
    assert [n["ok"] for n in incident["notifications"]] == [True, False, True]
