"""Collection speed: 1,000 runbooks and 1,000 drills against 2,000 trivial Python test modules.

    python bench/collect.py [--count 1000] [--repeat 3]

Both trees are generated in a temporary directory and collected with ``pytest --collect-only
-q`` in fresh processes, alternating, in the same run; the best time of each is kept and the
ratio drillbook / pytest printed. Target: at most 1.5.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUNBOOK = """\
id: runbook-{n}
title: Runbook {n}
scenario: Generated scenario {n}
severity: P{severity}
escalation: platform-primary
tags: [generated, group-{group}]
vars:
  APP_URL:
    description: Base URL
steps:
  - order: 1
    description: Check health
    readOnly: true
    http:
      url: $APP_URL/api/health/ready
    expectedOutcome: checks.database.status = "healthy"
  - order: 2
    description: Enable read-only mode
    command: echo enable
    expectedOutcome: exit code 0
verification:
  - description: Health
    http:
      url: $APP_URL/api/health/ready
    expected: HTTP 200 response
contacts:
  - role: Owner
    name: Team {group}
    email: team-{group}@holiday-aggregator.com
"""

DRILL = """\
id: drill-{n}
title: Drill {n}
tags: [generated, group-{group}]
runbook: runbook-{n}
vars:
  APP_URL: http://127.0.0.1:9
respond:
  steps: read-only
"""

PYTHON_TEST = """\
def test_{n}():
    assert {n} == {n}
"""


def make_drill_tree(root: Path, count: int) -> None:
    (root / "runbooks").mkdir(parents=True)
    (root / "drills").mkdir()
    for n in range(count):
        values = {"n": n, "severity": n % 4 + 1, "group": n % 10}
        (root / "runbooks" / f"runbook-{n}.yaml").write_text(RUNBOOK.format(**values))
        (root / "drills" / f"drill-{n}.yaml").write_text(DRILL.format(**values))
    (root / "pytest.ini").write_text("[pytest]\n")


def make_python_tree(root: Path, count: int) -> None:
    (root / "tests").mkdir(parents=True)
    for n in range(count):
        (root / "tests" / f"test_{n}.py").write_text(PYTHON_TEST.format(n=n))
    (root / "pytest.ini").write_text("[pytest]\n")


def collect_seconds(root: Path, expected: int) -> float:
    started = time.perf_counter()
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    collected = sum(1 for line in completed.stdout.splitlines() if "::" in line)
    if completed.returncode != 0 or collected != expected:
        raise SystemExit(
            f"collection in {root} failed ({completed.returncode}, {collected} items):\n"
            + completed.stdout[-2000:]
            + completed.stderr[-2000:]
        )
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="drillbook-bench-") as tmp:
        drills, python = Path(tmp) / "drills-tree", Path(tmp) / "python-tree"
        make_drill_tree(drills, args.count)
        make_python_tree(python, 2 * args.count)
        drill_times, python_times = [], []
        for _ in range(args.repeat):
            python_times.append(collect_seconds(python, 2 * args.count))
            drill_times.append(collect_seconds(drills, 2 * args.count))
    best_drill, best_python = min(drill_times), min(python_times)
    print(
        f"pytest, {2 * args.count} trivial Python modules: best {best_python:.2f} s "
        f"of {args.repeat}"
    )
    print(
        f"drillbook, {args.count} runbooks + {args.count} drills:   best {best_drill:.2f} s "
        f"of {args.repeat}"
    )
    print(f"ratio drillbook / pytest: {best_drill / best_python:.2f} (target <= 1.5)")


if __name__ == "__main__":
    main()
