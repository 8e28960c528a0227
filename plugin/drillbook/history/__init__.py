"""The drill history: every drill run and incident, appended to one SQLite store.

``records`` holds what is stored, ``store`` the store itself; ``from_report`` turns JSON
reports and incident timelines into records, ``recording`` appends them when a pytest session
or ``drillbook run`` ends, and ``command`` is ``drillbook history``.
"""

from __future__ import annotations

from drillbook.history.records import DrillRun, IncidentRecord, TimelineEntry
from drillbook.history.store import HistoryError, HistoryStore

__all__ = ["DrillRun", "HistoryError", "HistoryStore", "IncidentRecord", "TimelineEntry"]
