"""Probe rules: an HTTP request whose answer, when it meets ``fires_when``, fires the rule."""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from drillbook.detect.evaluation import Reading
from drillbook.formats.detection import ProbeSource
from drillbook.steps.expectations import check
from drillbook.steps.http import PreparedRequest, RequestNotSent, prepare, send

PROBE_BODY_LIMIT = 1024 * 1024
"""How much of a probe's answer is kept to check (the tail, as for runbook steps)."""


class ProbeRule:
    """A probe with its ``$VAR`` references filled in, ready to send on every poll."""

    def __init__(self, source: ProbeSource, variables: Mapping[str, str]) -> None:
        self.source = source
        self.request: PreparedRequest = prepare(source.http, variables)

    @property
    def shown(self) -> str:
        return self.request.shown

    def read(self, client: httpx.Client) -> Reading:
        """Send the request; a refused or timed-out request is a reading with an error."""
        try:
            exchange = send(
                client, self.request, timeout=self.source.timeout, limit=PROBE_BODY_LIMIT
            )
        except RequestNotSent as not_sent:
            return Reading(None, False, error=str(not_sent))
        if exchange.status_code is None:
            failure = exchange.failure or f"no answer within {self.source.timeout:g} s"
            fires = self.source.fires_on_error
            detail = "fires_on_error: an unanswered probe counts as firing" if fires else ""
            return Reading(None, fires, detail=detail, error=failure)
        mismatches = check(
            self.source.fires_when,
            exit_code=None,
            status_code=exchange.status_code,
            stdout=exchange.body,
            stderr="",
        )
        status = f"HTTP {exchange.status_code}"
        if not mismatches:
            return Reading(1.0, True, detail=f"{status}, fires_when holds")
        reasons = "; ".join(str(mismatch) for mismatch in mismatches)
        return Reading(0.0, False, detail=f"{status}, fires_when does not hold: {reasons}")
