"""Local stand-ins for SaaS APIs that speak their real wire formats.

Stripe (a subset), an OAuth/OIDC provider, PagerDuty Events API v2, Slack incoming
webhooks and a Statuspage. Each records what it receives (``GET /__drillbook/requests``),
shows what it holds (``GET /__drillbook/state``) and takes faults through the HTTP fault
admin API (``/__drillbook/faults``). ``create_app(name, **options)`` gives the ASGI app;
``python -m drillbook.fakes NAME --port N`` serves one.
"""

from drillbook.fakes.base import Fake, FakeServer
from drillbook.fakes.client import FakeClient
from drillbook.fakes.registry import FAKES, FakeConfigError, create_app, parse_options

__all__ = [
    "FAKES",
    "Fake",
    "FakeClient",
    "FakeConfigError",
    "FakeServer",
    "create_app",
    "parse_options",
]
