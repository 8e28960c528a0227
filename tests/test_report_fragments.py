"""Worker fragments: each xdist worker writes its own, the controller merges them in order."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from drillbook.errors import DrillbookError
from drillbook.report import clear_fragments, merge_fragments, write_fragment
from test_report_builders import error_drill, failed_drill, passed_drill

TESTS = Path(__file__).parent

# A worker process: writes its fragment holding drills started at the given offsets.
WORKER = """
import sys
from pathlib import Path
from test_report_builders import passed_drill
from drillbook.report import write_fragment
directory, worker = Path(sys.argv[1]), sys.argv[2]
drills = [passed_drill(f"{worker}-{start}", float(start)) for start in sys.argv[3:]]
write_fragment(directory, worker, drills)
"""


def run_workers(directory: Path, plan: dict[str, list[int]]) -> None:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")]),
    }
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(directory), worker, *map(str, starts)], env=env
        )
        for worker, starts in plan.items()
    ]
    assert [w.wait(timeout=60) for w in workers] == [0] * len(workers)


def test_three_workers_are_merged_by_start_time_then_id(tmp_path: Path) -> None:
    run_workers(tmp_path, {"gw0": [30, 0], "gw1": [10, 40], "gw2": [20, 10]})
    merged = merge_fragments(tmp_path)
    order = [d["drill_id"] for d in merged]
    assert order == ["gw0-0", "gw1-10", "gw2-10", "gw2-20", "gw0-30", "gw1-40"]
    assert sorted(p.name for p in (tmp_path / "fragments").iterdir()) == [
        "gw0.json",
        "gw1.json",
        "gw2.json",
    ]


def test_merged_drills_are_the_results_as_dicts(tmp_path: Path) -> None:
    results = [failed_drill(), error_drill()]
    write_fragment(tmp_path, "gw0", results)
    write_fragment(tmp_path, "gw1", [passed_drill(start=7.0)])
    merged = merge_fragments(tmp_path)
    expected = sorted(
        [r.to_dict() for r in [*results, passed_drill(start=7.0)]], key=lambda d: d["started_at"]
    )
    assert merged == expected


def test_writing_again_replaces_the_workers_fragment(tmp_path: Path) -> None:
    write_fragment(tmp_path, "gw0", [passed_drill("first")])
    path = write_fragment(tmp_path, "gw0", [passed_drill("second")])
    assert path == tmp_path / "fragments" / "gw0.json"
    assert [d["drill_id"] for d in merge_fragments(tmp_path)] == ["second"]
    assert [p.name for p in path.parent.iterdir()] == ["gw0.json"]  # no temporary left


def test_no_fragments_means_no_drills(tmp_path: Path) -> None:
    assert merge_fragments(tmp_path) == []
    (tmp_path / "fragments").mkdir()
    assert merge_fragments(tmp_path) == []


def test_leftover_temporary_files_are_not_merged(tmp_path: Path) -> None:
    write_fragment(tmp_path, "gw0", [passed_drill()])
    (tmp_path / "fragments" / ".gw1.json.0123abcd.tmp").write_text("{half a fragm")
    assert len(merge_fragments(tmp_path)) == 1


def test_clear_fragments_removes_an_earlier_sessions_files(tmp_path: Path) -> None:
    write_fragment(tmp_path, "gw0", [passed_drill()])
    write_fragment(tmp_path, "gw1", [failed_drill()])
    clear_fragments(tmp_path)
    assert merge_fragments(tmp_path) == []


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ('{"schema_version": "1.0", "drills": [', "not JSON at line 1"),
        ("[1, 2]", "expected an object with a 'drills' list"),
        ('{"schema_version": "0.1", "drills": []}', "schema_version '0.1'"),
        ('{"schema_version": "1.0", "drills": [7]}', "drill #1 is not an object"),
        (
            '{"schema_version": "1.0", "drills": [{"drill_id": "x"}]}',
            "drill #1 has no text 'title'",
        ),
    ],
)
def test_a_corrupt_fragment_is_an_error_naming_the_file(
    tmp_path: Path, content: str, reason: str
) -> None:
    write_fragment(tmp_path, "gw0", [passed_drill()])
    bad = tmp_path / "fragments" / "gw1.json"
    bad.write_text(content)
    with pytest.raises(DrillbookError) as caught:
        merge_fragments(tmp_path)
    message = str(caught.value)
    assert message.startswith(f"{bad}: corrupt drill report fragment")
    assert reason in message


def test_bad_fields_in_a_drill_are_reported(tmp_path: Path) -> None:
    path = write_fragment(tmp_path, "gw3", [passed_drill("x")])
    document = json.loads(path.read_text())
    document["drills"][0]["started_at"] = "yesterday"
    path.write_text(json.dumps(document))
    with pytest.raises(DrillbookError, match=r"gw3\.json: .*drill 'x' has a bad started_at"):
        merge_fragments(tmp_path)
    document["drills"][0]["started_at"] = passed_drill().to_dict()["started_at"]
    document["drills"][0]["outcome"] = "meh"
    path.write_text(json.dumps(document))
    with pytest.raises(DrillbookError, match=r"gw3\.json: .*unknown outcome 'meh'"):
        merge_fragments(tmp_path)


@pytest.mark.parametrize("worker_id", ["", "../gw0", "gw/0", ".hidden", "gw 0"])
def test_worker_ids_that_cannot_name_a_file_are_refused(tmp_path: Path, worker_id: str) -> None:
    with pytest.raises(ValueError, match="cannot name a fragment file"):
        write_fragment(tmp_path, worker_id, [])
    assert not (tmp_path / "fragments").exists()
