"""What watches the system under test during a drill: the detector and synthetic traffic.

Both start once the system is up (before the steady state, so rate windows have a baseline)
and stop when the drill ends, however it ends.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from drillbook.detect import Detection, DetectionTimeout, Detector, load_rules
from drillbook.drill.clock import Clock
from drillbook.drill.traffic import TrafficGenerator, TrafficReport, TrafficSpec
from drillbook.errors import DrillbookError
from drillbook.steps.masking import Masker


class Observation:
    """The drill's detector (when the environment has rules) and traffic (when it asks)."""

    def __init__(
        self,
        *,
        rules_path: Path | None,
        traffic: TrafficSpec | None,
        variables: Mapping[str, str],
        clock: Clock,
        masker: Masker,
    ) -> None:
        self.detector: Detector | None = None
        self.traffic: TrafficGenerator | None = None
        self.traffic_report: TrafficReport | None = None
        self.detection: Detection | None = None
        if rules_path is not None:
            rules = load_rules(rules_path).model
            self.detector = Detector(rules, variables=variables, clock=clock, masker=masker)
        if traffic is not None:
            self.traffic = TrafficGenerator(traffic, variables, clock, masker=masker)

    def start(self) -> None:
        if self.traffic is not None:
            self.traffic.start()
            self.traffic.wait_warm()
        if self.detector is not None:
            self.detector.start()

    def already_firing(self, rule_id: str) -> Detection | None:
        """The rule's firing before anything was injected, if it fired."""
        if self.detector is None:
            return None
        fired = [d for d in self.detector.fired() if d.plan.rule_id == rule_id]
        return fired[-1] if fired else None

    def wait_for(self, rule_id: str, within: float, since: float) -> Detection:
        if self.detector is None:
            raise DrillbookError(
                f"the drill expects detection rule {rule_id!r}, but its environment names no "
                "detection rules file (`detection:` in the environment)"
            )
        if rule_id not in self.detector.rule_ids():
            known = ", ".join(self.detector.rule_ids())
            raise DrillbookError(f"no detection rule {rule_id!r}; the rules file has: {known}")
        try:
            self.detection = self.detector.wait_for(rule_id, within, since=since)
        except DetectionTimeout as exc:
            raise DetectionMissed(str(exc)) from None
        return self.detection

    def stop(self) -> None:
        if self.detector is not None:
            self.detector.close()
        if self.traffic is not None and self.traffic_report is None:
            self.traffic_report = self.traffic.stop()

    def detection_record(self) -> dict[str, Any] | None:
        if self.detector is None:
            return None
        return {
            "rules": [plan.to_dict() for plan in self.detector.plan()],
            "fired": self.detection.to_dict() if self.detection else None,
            "last_evaluations": [e.to_dict() for e in self.detector.last_evaluations()],
        }

    def traffic_record(self) -> dict[str, Any] | None:
        return self.traffic_report.to_dict() if self.traffic_report else None


class DetectionMissed(DrillbookError):
    """The expected rule did not fire in time; the message lists every rule's last value."""
