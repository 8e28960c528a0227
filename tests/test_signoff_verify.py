"""``drillbook signoff`` and ``drillbook verify``: attestations beside the report, the digest
they hold, and whether the report changed after each of them."""

from __future__ import annotations

import hashlib
import json
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from drillbook import __version__
from drillbook.cli import main
from drillbook.report import Participant
from hypothesis import given, settings
from hypothesis import strategies as st
from test_postmortem_draft import write_report

PEOPLE = [Participant("Ada Lovelace", "trainee"), Participant("Grace Hopper", "lead")]


@pytest.fixture
def report(tmp_path: Path) -> Path:
    return write_report(tmp_path, people=PEOPLE)


def sign(report: Path, name: str, role: str, *extra: str) -> int:
    return main(["signoff", str(report), "--by", name, "--role", role, *extra])


def signoff_file(report: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(report.with_name(report.name + ".signoff.json").read_text())
    return data


def verify_lines(report: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    capsys.readouterr()
    code = main(["verify", str(report)])
    return code, capsys.readouterr().out.splitlines()


def test_signoff_records_who_when_and_the_digest_and_verify_agrees(
    report: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = datetime.now(UTC)
    assert sign(report, "Ada Lovelace", "trainee") == 0
    after = datetime.now(UTC)
    data = signoff_file(report)
    assert data["format"] == "drillbook-signoff/1"
    assert data["report"] == "drill-report.json"
    (entry,) = data["attestations"]
    assert entry["name"] == "Ada Lovelace"
    assert entry["role"] == "trainee"
    assert entry["sha256"] == hashlib.sha256(report.read_bytes()).hexdigest()
    assert entry["drillbook_version"] == __version__
    assert entry["signed_at"].endswith("Z")
    assert before <= datetime.fromisoformat(entry["signed_at"]) <= after
    code, lines = verify_lines(report, capsys)
    assert code == 0
    assert lines[0].startswith("✔ unchanged since signed by Ada Lovelace (trainee) at ")
    assert "unchanged since all 1 signature(s)" in lines[-1]
    assert not list(report.parent.glob(".*.tmp"))  # the atomic write left nothing behind


def test_several_signers_are_kept_in_order(
    report: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert sign(report, "Ada Lovelace", "trainee") == 0
    first = signoff_file(report)["attestations"][0]
    assert sign(report, "Grace Hopper", "lead") == 0
    entries = signoff_file(report)["attestations"]
    assert [(e["name"], e["role"]) for e in entries] == [
        ("Ada Lovelace", "trainee"),
        ("Grace Hopper", "lead"),
    ]
    assert entries[0] == first  # appending leaves earlier attestations as they were
    code, lines = verify_lines(report, capsys)
    assert code == 0
    assert [line.split(" at ")[0] for line in lines[:2]] == [
        "✔ unchanged since signed by Ada Lovelace (trainee)",
        "✔ unchanged since signed by Grace Hopper (lead)",
    ]


def test_changing_one_byte_is_detected(report: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert sign(report, "Ada Lovelace", "trainee") == 0
    assert sign(report, "Grace Hopper", "lead") == 0
    content = bytearray(report.read_bytes())
    middle = len(content) // 2
    content[middle] = content[middle] ^ 0x01
    report.write_bytes(bytes(content))
    code, lines = verify_lines(report, capsys)
    assert code == 1
    assert [line.split(" at ")[0] for line in lines[:2]] == [
        "✘ CHANGED since signed by Ada Lovelace (trainee)",
        "✘ CHANGED since signed by Grace Hopper (lead)",
    ]
    assert "changed after 2 of 2 signature(s)" in lines[-1]
    assert hashlib.sha256(bytes(content)).hexdigest() in lines[-1]


@settings(max_examples=25, deadline=None)
@given(position=st.integers(min_value=0), flip=st.integers(min_value=1, max_value=255))
def test_any_single_byte_change_fails_verification(
    tmp_path_factory: pytest.TempPathFactory, position: int, flip: int
) -> None:
    directory = tmp_path_factory.mktemp("signed")
    report = directory / "report.md"
    report.write_bytes(b"# Drill report\n\nAll drills passed.\n")
    assert sign(report, "Ada", "lead") == 0
    assert main(["verify", str(report)]) == 0
    content = bytearray(report.read_bytes())
    content[position % len(content)] ^= flip
    report.write_bytes(bytes(content))
    assert main(["verify", str(report)]) == 1


def test_signing_a_changed_report_needs_force(
    report: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert sign(report, "Ada Lovelace", "trainee") == 0
    report.write_text(report.read_text() + "\n")
    capsys.readouterr()
    assert sign(report, "Grace Hopper", "lead") == 2
    err = capsys.readouterr().err
    assert "changed after it was signed by Ada Lovelace (trainee)" in err
    assert "--force" in err
    assert len(signoff_file(report)["attestations"]) == 1
    assert sign(report, "Grace Hopper", "lead", "--force") == 0
    code, lines = verify_lines(report, capsys)
    assert code == 1
    assert lines[0].startswith("✘ CHANGED since signed by Ada Lovelace")
    assert lines[1].startswith("✔ unchanged since signed by Grace Hopper")
    assert "changed after 1 of 2 signature(s)" in lines[-1]


def test_signing_the_same_version_twice_adds_nothing(
    report: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert sign(report, "Ada Lovelace", "trainee") == 0
    assert sign(report, "Ada Lovelace", "trainee") == 0
    assert "already signed this version" in capsys.readouterr().out
    assert len(signoff_file(report)["attestations"]) == 1


def test_a_signer_who_is_not_a_participant_gets_a_note(
    report: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert sign(report, "Linus", "observer") == 0
    err = capsys.readouterr().err
    assert "note: Linus is not among the report's participants (Ada Lovelace, Grace Hopper)" in err
    assert sign(report, "Grace Hopper", "lead") == 0
    assert "note:" not in capsys.readouterr().err


def test_people_signing_at_once_all_land(report: Path) -> None:
    names = [f"Signer {n}" for n in range(8)]
    codes: list[int] = []
    threads = [
        threading.Thread(target=lambda n=name: codes.append(sign(report, n, "observer")))
        for name in names
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert codes == [0] * len(names)
    signed = [entry["name"] for entry in signoff_file(report)["attestations"]]
    assert sorted(signed) == names


@pytest.mark.parametrize(
    ("name", "role", "message"),
    [
        ("Ada\nLovelace", "trainee", "holds control characters"),
        ("Ada\x1b[31m", "trainee", "holds control characters"),
        ("Ada", "   ", "the role is empty"),
        ("x" * 201, "lead", "longer than 200 characters"),
    ],
)
def test_bad_names_and_roles_are_refused(
    report: Path, capsys: pytest.CaptureFixture[str], name: str, role: str, message: str
) -> None:
    assert sign(report, name, role) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err
    assert not report.with_name(report.name + ".signoff.json").exists()


def test_missing_report_or_signoff_exit_2_without_a_traceback(
    tmp_path: Path, report: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nope.json"
    assert sign(missing, "Ada", "lead") == 2
    assert f"{missing}: no such file" in capsys.readouterr().err
    assert main(["verify", str(missing)]) == 2
    assert f"{missing}: no such file" in capsys.readouterr().err
    assert main(["verify", str(report)]) == 2
    err = capsys.readouterr().err
    assert f"{report}: not signed (there is no {report}.signoff.json)" in err
    assert "Traceback" not in err


def test_a_damaged_signoff_file_is_named_at_its_line(
    report: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert sign(report, "Ada Lovelace", "trainee") == 0
    path = report.with_name(report.name + ".signoff.json")
    good = path.read_text()
    path.write_text(good.replace('"sha256": "', '"sha256": "zz'))
    line = next(n for n, text in enumerate(good.split("\n"), 1) if '"sha256"' in text)
    assert main(["verify", str(report)]) == 2
    err = capsys.readouterr().err
    assert f"{path}:{line}:" in err
    assert "attestation 1: 'sha256' must be 64 lower-case hex digits" in err
    path.write_text(good[:-10])
    assert main(["verify", str(report)]) == 2
    err = capsys.readouterr().err
    assert f"{path}:" in err
    assert "not valid JSON" in err
