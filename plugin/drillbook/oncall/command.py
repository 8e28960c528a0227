"""``drillbook oncall now|at|render|export|path``: answers from an ``oncall.yaml``.

drillbook oncall now [--schedule S] [--file oncall.yaml]
drillbook oncall at 2024-04-07T09:00+10:00
drillbook oncall render '2024-04-01 Australia/Sydney' 2024-05-01T00:00Z --schedule primary
drillbook oncall export --ics --schedule primary --out primary.ics
drillbook oncall path holiday-api --at '2024-04-07T03:00 Australia/Sydney'
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from drillbook.errors import DrillbookError
from drillbook.oncall.ical import export_ics
from drillbook.oncall.roster import Roster
from drillbook.oncall.timeline import Entry
from drillbook.oncall.zones import parse_instant

DEFAULT_FILE = Path("oncall.yaml")
EXPORT_DAYS_BEFORE, EXPORT_DAYS_AFTER = 7, 365
_TIME_HELP = "ISO 8601 with an offset (2024-04-07T09:00+10:00) or a zone ('... Australia/Sydney')"


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "oncall",
        help="who is on call, schedules, escalation paths and calendar feeds (oncall.yaml)",
        description="Answers from an on-call file: who is on call now or at a time, a "
        "schedule's entries, a service's escalation path, an iCalendar feed.",
    )
    actions = parser.add_subparsers(dest="oncall_action", metavar="ACTION", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--file", type=Path, default=DEFAULT_FILE, help="the on-call file (default: oncall.yaml)"
    )

    now = actions.add_parser("now", parents=[common], help="who is on call now")
    now.add_argument("--schedule", help="only this schedule")
    now.set_defaults(func=run_now)

    at = actions.add_parser("at", parents=[common], help="who is on call at TIME")
    at.add_argument("time", metavar="TIME", help=_TIME_HELP)
    at.add_argument("--schedule", help="only this schedule")
    at.set_defaults(func=run_at)

    render = actions.add_parser("render", parents=[common], help="entries from FROM to TO")
    render.add_argument("start", metavar="FROM", help=_TIME_HELP)
    render.add_argument("end", metavar="TO", help=_TIME_HELP)
    render.add_argument("--schedule", help="only this schedule")
    render.set_defaults(func=run_render)

    export = actions.add_parser("export", parents=[common], help="a schedule as a feed")
    export.add_argument("--ics", action="store_true", required=True, help="as iCalendar")
    export.add_argument("--schedule", help="the schedule (needed when there are several)")
    export.add_argument("--out", type=Path, help="write to this file (default: stdout)")
    export.add_argument(
        "--from", dest="start", metavar="TIME", help=f"{_TIME_HELP}; default: a week ago"
    )
    export.add_argument(
        "--to", dest="end", metavar="TIME", help=f"{_TIME_HELP}; default: a year after --from"
    )
    export.set_defaults(func=run_export)

    path = actions.add_parser("path", parents=[common], help="a service's escalation path")
    path.add_argument("service", metavar="SERVICE")
    path.add_argument("--at", dest="time", metavar="TIME", help=f"{_TIME_HELP}; default: now")
    path.set_defaults(func=run_path)


def _roster(args: argparse.Namespace) -> Roster:
    if not args.file.exists():
        raise DrillbookError(f"{args.file}: no such on-call file; pass --file PATH")
    return Roster.load(args.file)


def _schedules(roster: Roster, chosen: str | None) -> list[str]:
    if chosen is not None:
        roster.timeline(chosen)  # an unknown schedule raises, naming the known ones
        return [chosen]
    return list(roster.model.schedules)


# -- now / at ---------------------------------------------------------------------------------


def run_now(args: argparse.Namespace) -> int:
    return _print_on_call(_roster(args), args.schedule, datetime.now(UTC))


def run_at(args: argparse.Namespace) -> int:
    return _print_on_call(_roster(args), args.schedule, parse_instant(args.time))


def _print_on_call(roster: Roster, chosen: str | None, at: datetime) -> int:
    schedules = _schedules(roster, chosen)
    print(f"on call at {_utc(at)}:")
    for schedule_id in schedules:
        shift = roster.on_call(schedule_id, at)
        zone = roster.timeline(schedule_id).zone
        who = _who(roster, shift.person) if shift.person else "nobody"
        until = f"until {_both(shift.until, zone)}" if shift.until else "until further notice"
        print(f"  {schedule_id}: {who}; {until}")
    return 0


# -- render -------------------------------------------------------------------------------------


def run_render(args: argparse.Namespace) -> int:
    roster = _roster(args)
    start, end = parse_instant(args.start), parse_instant(args.end)
    if end <= start:
        raise DrillbookError("TO must come after FROM")
    for number, schedule_id in enumerate(_schedules(roster, args.schedule)):
        timeline = roster.timeline(schedule_id)
        if number:
            print()
        print(f"{schedule_id} ({timeline.schedule.timezone}), {_utc(start)} to {_utc(end)}")
        rows = _rows(roster, timeline.render(start, end), start, end, timeline.zone)
        print(_table(("START", "END", "ON CALL", "CONTACT"), rows))
    return 0


def _rows(
    roster: Roster, entries: list[Entry], start: datetime, end: datetime, zone: ZoneInfo
) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    cursor = start
    for entry in [*entries, Entry(end, end, "")]:
        if entry.start > cursor:
            rows.append((_local(cursor, zone), _local(entry.start, zone), "(nobody)", ""))
        if entry.person:
            person = roster.person(entry.person)
            contact = ", ".join(person.contacts())
            label = f"{person.name} ({entry.person})"
            rows.append((_local(entry.start, zone), _local(entry.end, zone), label, contact))
        cursor = max(cursor, entry.end)
    return rows


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [header, *rows]
    )


# -- export -------------------------------------------------------------------------------------


def run_export(args: argparse.Namespace) -> int:
    roster = _roster(args)
    schedules = _schedules(roster, args.schedule)
    if len(schedules) != 1:
        raise DrillbookError(f"choose a schedule with --schedule: {', '.join(schedules)}")
    start = parse_instant(args.start) if args.start else _midnight_days_ago(EXPORT_DAYS_BEFORE)
    end = parse_instant(args.end) if args.end else start + timedelta(days=EXPORT_DAYS_AFTER)
    if end <= start:
        raise DrillbookError("--to must come after --from")
    feed = export_ics(roster, schedules[0], start, end)
    if args.out is None:
        sys.stdout.write(feed.decode("utf-8"))
        return 0
    try:
        args.out.write_bytes(feed)
    except OSError as exc:
        raise DrillbookError(f"{args.out}: cannot write the feed: {exc.strerror or exc}") from None
    print(f"wrote {args.out} ({schedules[0]}, {_utc(start)} to {_utc(end)})", file=sys.stderr)
    return 0


def _midnight_days_ago(days: int) -> datetime:
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return today - timedelta(days=days)


# -- path ---------------------------------------------------------------------------------------


def run_path(args: argparse.Namespace) -> int:
    roster = _roster(args)
    at = parse_instant(args.time) if args.time else datetime.now(UTC)
    steps = roster.path(args.service, at)
    policy = roster.model.services[args.service].escalation_policy
    print(f"escalation of {args.service} (policy {policy}) for an incident at {_utc(at)}:")
    for step in steps:
        people = "; ".join(_who(roster, person) for person in step.people) or "NOBODY"
        print(
            f"  {step.level}. +{step.after_minutes} min: {people} (via {', '.join(step.targets)})"
        )
    if not steps:
        print("  the policy has no rules: nobody is notified")
    return 0


# -- formatting ---------------------------------------------------------------------------------


def _who(roster: Roster, person_id: str) -> str:
    person = roster.person(person_id)
    contacts = ", ".join(person.contacts()) or "no contact details"
    return f"{person.name} ({person_id}) {contacts}"


def _local(at: datetime, zone: ZoneInfo) -> str:
    return f"{at.astimezone(zone):%a %Y-%m-%d %H:%M %Z}"


def _utc(at: datetime) -> str:
    return f"{at.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def _both(at: datetime, zone: ZoneInfo) -> str:
    return f"{_local(at, zone)} ({_utc(at)})"
