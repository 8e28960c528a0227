"""drillbook.postmortem: post-mortem drafts filled from what drills and incidents recorded,
and the check that tells people which parts they still have to write."""

from drillbook.postmortem.check import check_postmortem
from drillbook.postmortem.facts import PostmortemFacts
from drillbook.postmortem.finding import Finding
from drillbook.postmortem.render import blank_postmortem, render_postmortem
from drillbook.postmortem.source import Draft, load_drafts

__all__ = [
    "Draft",
    "Finding",
    "PostmortemFacts",
    "blank_postmortem",
    "check_postmortem",
    "load_drafts",
    "render_postmortem",
]
