"""Where the time of `pytest drills/` goes: serially and with -n 2.

    python bench/drills.py [--path drills/] [--workers 2]

Runs the drills twice in one go (serially, then with ``-n WORKERS``), each into its own
report directory, and breaks the serial run's time down from its JSON report:

- service start: bringing up the system under test (``timings.setup``) and taking it down;
- declared waits: time spent in ``until`` loops and detection windows (actions that needed
  more than one attempt, and the detect phase);
- runbook commands: every other step and check as it ran;
- drillbook overhead: wall time minus all of the above (collection, reports, the runner).

Targets: the drills under 60 s with -n 2, and overhead under 10 % of wall time.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def run_pytest(path: str, report_dir: Path, workers: int | None) -> float:
    command = [
        sys.executable,
        "-m",
        "pytest",
        path,
        "-q",
        "-p",
        "no:cacheprovider",
        f"--drill-report-dir={report_dir}",
    ]
    if workers:
        command += ["-n", str(workers)]
    started = time.perf_counter()
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if completed.returncode != 0:
        print(completed.stdout[-3000:], file=sys.stderr)
        raise SystemExit(f"pytest {' '.join(command[3:])} failed ({completed.returncode})")
    return elapsed


def breakdown(report: dict[str, Any]) -> dict[str, float]:
    parts = {"service start": 0.0, "declared waits": 0.0, "runbook commands": 0.0}
    for drill in report["drills"]:
        timings = drill.get("timings", {})
        parts["service start"] += timings.get("setup", 0.0) + timings.get("teardown", 0.0)
        for phase in drill["phases"]:
            if phase["name"] == "detect":
                parts["declared waits"] += phase["duration"]
                continue
            for action in phase["actions"]:
                key = "declared waits" if action.get("attempts", 1) > 1 else "runbook commands"
                parts[key] += action["duration"]
    return parts


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--path", default="drills/")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="drillbook-bench-drills-") as tmp:
        serial_dir, parallel_dir = Path(tmp) / "serial", Path(tmp) / "parallel"
        serial = run_pytest(args.path, serial_dir, None)
        parallel = run_pytest(args.path, parallel_dir, args.workers)
        report = json.loads((serial_dir / "drill-report.json").read_text())
    parts = breakdown(report)
    overhead = max(serial - sum(parts.values()), 0.0)
    print(f"{len(report['drills'])} drills in {args.path}")
    print(f"wall time, serial:           {serial:7.2f} s")
    print(f"wall time, -n {args.workers}:             {parallel:7.2f} s   (target < 60 s)")
    print("serial run, where the time went:")
    for name, seconds in [*parts.items(), ("drillbook overhead", overhead)]:
        print(f"  {name:<20} {seconds:7.2f} s  {100 * seconds / serial:5.1f} %")
    print(f"overhead share: {100 * overhead / serial:.1f} % (target < 10 %)")


if __name__ == "__main__":
    main()
