"""The JSON Schema of the drill report, shipped next to this module as schema.json."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any


def report_schema() -> dict[str, Any]:
    """The report's JSON Schema (draft 2020-12) as a dict."""
    text = resources.files("drillbook.report").joinpath("schema.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema
