"""PostgreSQL through the embedded toxiproxy server on two relay loops, with psycopg.

Four connections land two on each loop; every one gets correct answers (a large one too), the
toxics act on all of them, and disabling the proxy ends them all.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from drillbook.faults.server import ToxiproxyServer
from drillbook.services.postgres import PostgresInstance, obtain_postgres

LATENCY_MS = 200


@pytest.fixture(scope="module")
def instance() -> Iterator[PostgresInstance]:
    provided = obtain_postgres()
    try:
        yield provided.value
    finally:
        provided.value.stop()


@pytest.fixture(scope="module")
def server() -> Iterator[ToxiproxyServer]:
    with ToxiproxyServer(relay_loops=2) as running:
        yield running


@pytest.fixture
def proxied_url(server: ToxiproxyServer, instance: PostgresInstance) -> Iterator[str]:
    proxy = server.create_proxy("postgres", f"{instance.host}:{instance.port}")
    port = int(str(proxy["listen"]).rpartition(":")[2])
    parts = urlsplit(instance.url)
    netloc = f"{parts.netloc.rpartition('@')[0]}@127.0.0.1:{port}".lstrip("@")
    yield urlunsplit(parts._replace(netloc=netloc))
    server.delete_proxy("postgres")


@pytest.fixture
def conns(proxied_url: str) -> Iterator[list[psycopg.Connection[Any]]]:
    opened = [psycopg.connect(proxied_url, autocommit=True, connect_timeout=5) for _ in range(4)]
    try:
        yield opened
    finally:
        for conn in opened:
            conn.close()


def select(conn: psycopg.Connection[Any], query: str) -> Any:
    row = conn.execute(query).fetchone()
    assert row is not None
    return row[0]


def seconds(conn: psycopg.Connection[Any]) -> float:
    started = time.perf_counter()
    assert select(conn, "SELECT 41 + 1") == 42
    return time.perf_counter() - started


def test_queries_on_both_loops_get_their_own_answers(
    server: ToxiproxyServer, conns: list[psycopg.Connection[Any]]
) -> None:
    assert server.connections("postgres") == [2, 2]
    pids = [select(conn, "SELECT pg_backend_pid()") for conn in conns]
    assert len(set(pids)) == 4
    for number, conn in enumerate(conns):
        text = select(conn, f"SELECT repeat('{number}', 2000000)")
        assert text == str(number) * 2_000_000
        assert select(conn, "SELECT pg_backend_pid()") == pids[number]


def test_latency_acts_on_every_loop_and_goes_with_its_removal(
    server: ToxiproxyServer, conns: list[psycopg.Connection[Any]]
) -> None:
    server.add_toxic("postgres", "latency", attributes={"latency": LATENCY_MS})
    assert all(seconds(conn) >= LATENCY_MS / 1000 for conn in conns)
    server.remove_toxic("postgres", "latency_downstream")
    assert [select(conn, "SELECT 7") for conn in conns] == [7] * 4


def test_disabling_ends_the_connections_on_every_loop(
    server: ToxiproxyServer, conns: list[psycopg.Connection[Any]]
) -> None:
    assert [select(conn, "SELECT 1") for conn in conns] == [1] * 4
    server.update_proxy("postgres", enabled=False)
    assert server.connections("postgres") == [0, 0]
    for conn in conns:
        with pytest.raises(psycopg.OperationalError):
            conn.execute("SELECT 1")
