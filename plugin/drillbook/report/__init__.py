"""drillbook.report: JSON, Markdown and HTML drill reports, worker fragments, JUnit properties."""

from drillbook.report.fragments import clear_fragments, merge_fragments, write_fragment
from drillbook.report.html import render_html
from drillbook.report.json_report import STANDARD_METRICS, build_report
from drillbook.report.junit import junit_properties
from drillbook.report.markdown import render_markdown
from drillbook.report.model import (
    REPORT_SCHEMA_VERSION,
    Participant,
    ReportPaths,
    SessionInfo,
    parse_participant,
)
from drillbook.report.schema import report_schema
from drillbook.report.writer import write_reports

__all__ = [
    "REPORT_SCHEMA_VERSION",
    "STANDARD_METRICS",
    "Participant",
    "ReportPaths",
    "SessionInfo",
    "build_report",
    "clear_fragments",
    "junit_properties",
    "merge_fragments",
    "parse_participant",
    "render_html",
    "render_markdown",
    "report_schema",
    "write_fragment",
    "write_reports",
]
