"""Incident detection: rules (probe, metric over a window, python callable) and the detector.

The rules file format is :mod:`drillbook.formats.detection`; load it with ``load_rules``.
"""

from drillbook.detect.detector import Detector, effective_for, effective_window
from drillbook.detect.evaluation import (
    Detection,
    DetectionTimeout,
    Evaluation,
    RulePlan,
    format_seconds,
)
from drillbook.formats.detection import RulesFile, load_rules, load_rules_text

__all__ = [
    "Detection",
    "DetectionTimeout",
    "Detector",
    "Evaluation",
    "RulePlan",
    "RulesFile",
    "effective_for",
    "effective_window",
    "format_seconds",
    "load_rules",
    "load_rules_text",
]
