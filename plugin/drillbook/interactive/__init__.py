"""``drillbook run``: stepping through a runbook with a responder during a real incident.

Modules: ``command`` (the command line), ``flow`` (ask, run, roll back, verify), ``prompter``
(what is asked and shown, console or scripted), ``variables``, ``locate`` (file or id),
``timeline`` (the JSON record, written after every change) and ``render`` (the text shown).
"""

from drillbook.interactive.command import register

__all__ = ["register"]
