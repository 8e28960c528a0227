"""The headings every post-mortem has, in order: the seed template's, plus "Where We Got Lucky".

The template writes them and ``check`` looks for them; a test keeps the two in step.
"""

from __future__ import annotations

TITLE_PREFIX = "# Incident Post-Mortem:"
ACTION_ITEMS = "## Action Items"
HEADINGS: tuple[str, ...] = (
    "## Incident Summary",
    "## Timeline",
    "## Root Cause Analysis",
    "### What Happened?",
    "### Why Did It Happen?",
    "### How Was It Detected?",
    "### How Was It Resolved?",
    "## Impact Analysis",
    "## What Went Well?",
    "## What Could Be Improved?",
    "## Where We Got Lucky",
    ACTION_ITEMS,
    "## Lessons Learned",
)
ACTION_COLUMNS: tuple[str, ...] = ("Action", "Owner", "Due Date", "Priority")
