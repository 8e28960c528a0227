"""Fixtures for drills written in Python: ``toxiproxy``, ``postgres`` and ``faults``.

Under ``pytest -n N`` every worker is its own process with its own resources, so each has
its own toxiproxy proxies and its own database.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import pytest

from drillbook.faults.session import FaultSession
from drillbook.faults.toxiproxy_client import ToxiproxyClient
from drillbook.services.postgres import PostgresInstance
from drillbook.services.resources import SessionResources


@pytest.fixture(scope="session")
def drillbook_resources(pytestconfig: pytest.Config) -> SessionResources:
    """The session's fault ledger, toxiproxy server and PostgreSQL provider."""
    from drillbook.collect import drill_session

    return drill_session(pytestconfig).resources


@pytest.fixture(scope="session")
def toxiproxy(drillbook_resources: SessionResources) -> Iterator[ToxiproxyClient]:
    """A client to the session's toxiproxy server (given, binary, container or embedded)."""
    with ToxiproxyClient(drillbook_resources.toxiproxy().url) as client:
        yield client


@pytest.fixture(scope="session")
def postgres_server(drillbook_resources: SessionResources) -> Iterator[PostgresInstance]:
    """This worker's own PostgreSQL server, reached directly."""
    instance = drillbook_resources.postgres()
    try:
        yield instance
    finally:
        drillbook_resources.release_postgres(instance)


@pytest.fixture(scope="session")
def postgres(drillbook_resources: SessionResources, postgres_server: PostgresInstance) -> str:
    """A URL of this worker's PostgreSQL reached through the proxy named ``postgres``, so
    ``faults.toxic("postgres", ...)`` acts on it."""
    upstream = f"{postgres_server.host}:{postgres_server.port}"
    real, port, _ = drillbook_resources.create_proxy("postgres", upstream)
    drillbook_resources.fixture_proxies["postgres"] = real
    parts = urlsplit(postgres_server.url)
    netloc = parts.netloc.rsplit("@", 1)
    auth = f"{netloc[0]}@" if len(netloc) == 2 else ""
    return urlunsplit(parts._replace(netloc=f"{auth}127.0.0.1:{port}"))


@pytest.fixture
def faults(drillbook_resources: SessionResources) -> Iterator[FaultSession]:
    """Inject a fault for a block: ``with faults.toxic("postgres", "latency", latency=500):``"""
    session = FaultSession(
        drillbook_resources.ledger,
        drillbook_resources.toxiproxy().url,
        drillbook_resources.fixture_proxies,
    )
    try:
        yield session
    finally:
        session.lift_all()
