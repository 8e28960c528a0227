"""Participants from --drill-participant, and the session record."""

from __future__ import annotations

import pytest
from drillbook.report import Participant, parse_participant
from test_report_builders import at, session


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Ada Lovelace:trainee", Participant("Ada Lovelace", "trainee")),
        ("  Grace Hopper : lead ", Participant("Grace Hopper", "lead")),
        ("Dr. Who: the Doctor:observer", Participant("Dr. Who: the Doctor", "observer")),
    ],
)
def test_parse_participant(text: str, expected: Participant) -> None:
    assert parse_participant(text) == expected


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("Ada Lovelace", "add ':' and the person's role"),
        (":trainee", "the name before ':' is empty"),
        ("Ada:", "the role after ':' is empty"),
        ("Ada\nEvil:lead", "control characters"),
    ],
)
def test_bad_participant_text_says_what_to_write(text: str, hint: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_participant(text)
    message = str(caught.value)
    assert hint in message
    assert "'Name:role'" in message
    assert repr(text) in message


def test_session_to_dict() -> None:
    info = session()
    info.ended_at = at(90.5)
    data = info.to_dict()
    assert data["duration"] == 90.5
    assert data["ended_at"] == "2026-05-01T12:01:30.500000+00:00"
    assert data["participants"][1] == {"name": "Grace Hopper", "role": "lead"}
