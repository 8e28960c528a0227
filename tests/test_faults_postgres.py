"""Each toxic's effect measured on PostgreSQL through psycopg, with drillbook's own fixtures:
``postgres`` (this worker's server behind the proxy named ``postgres``) and ``faults``.

Latency within 10 % of the asked figure; a disabled proxy refuses connections; ``timeout``
hangs then fails; ``reset_peer`` resets the connection; ``limit_data`` closes it after the
byte count; ``bandwidth`` makes a transfer take size over rate within 15 %. Then the fixtures
under ``pytest -n 2``: each worker has its own database and its own proxies.
"""

from __future__ import annotations

import json
import socket
import statistics
import struct
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg
import pytest
from drillbook.faults.session import FaultSession
from drillbook.faults.toxiproxy_client import ToxiproxyClient
from drillbook.services.postgres import PostgresInstance

SSL_REQUEST = struct.pack("!ii", 8, 80877103)  # the first message a PostgreSQL client sends
CLOSED = "server closed the connection unexpectedly"
ROW_BYTES = 1 + 4 + 2 + 4 + 1000  # a DataRow of one text column holding 1000 characters


@pytest.fixture
def conn(postgres: str) -> Iterator[psycopg.Connection[Any]]:
    """A connection through the proxy, opened before any fault goes in."""
    with psycopg.connect(postgres, autocommit=True, connect_timeout=5) as connection:
        yield connection


def seconds(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def failure(action: Callable[[], object]) -> tuple[float, str]:
    """How long ``action`` took to fail, and its error message."""
    started = time.perf_counter()
    with pytest.raises(psycopg.OperationalError) as raised:
        action()
    return time.perf_counter() - started, str(raised.value)


def round_trip(conn: psycopg.Connection[Any]) -> float:
    """The median time of a few ``SELECT 1`` round trips."""
    return statistics.median(seconds(lambda: conn.execute("SELECT 1").fetchone()) for _ in range(3))


def proxy_port(url: str) -> int:
    port = urlsplit(url).port
    assert port is not None
    return port


# -- each toxic -----------------------------------------------------------------------------
@pytest.mark.parametrize("latency_ms", [150, 400])
def test_latency_delays_each_answer_by_the_figure_asked(
    conn: psycopg.Connection[Any], faults: FaultSession, latency_ms: int
) -> None:
    baseline = round_trip(conn)
    with faults.toxic("postgres", "latency", latency=latency_ms):
        delayed = round_trip(conn)
    added = (delayed - baseline) * 1000
    assert added == pytest.approx(latency_ms, rel=0.10)
    assert round_trip(conn) < latency_ms / 1000 / 2, "lifted when the block ends"


def test_a_disabled_proxy_refuses_connections_and_drops_open_ones(
    postgres: str, conn: psycopg.Connection[Any], faults: FaultSession
) -> None:
    with faults.down("postgres"):
        _, message = failure(lambda: psycopg.connect(postgres, connect_timeout=5))
        assert "Connection refused" in message
        _, message = failure(lambda: conn.execute("SELECT 1"))
        assert CLOSED in message
    with psycopg.connect(postgres, connect_timeout=5) as again:
        assert again.execute("SELECT 1").fetchone() == (1,)


@pytest.mark.parametrize("timeout_ms", [300, 800])
def test_timeout_hangs_then_fails(postgres: str, faults: FaultSession, timeout_ms: int) -> None:
    with faults.toxic("postgres", "timeout", timeout=timeout_ms):
        took, message = failure(lambda: psycopg.connect(postgres, connect_timeout=10))
    assert CLOSED in message
    assert took * 1000 == pytest.approx(timeout_ms, rel=0.10)


def test_reset_peer_resets_the_connection(
    postgres: str, conn: psycopg.Connection[Any], faults: FaultSession
) -> None:
    with faults.toxic("postgres", "reset_peer", timeout=0):
        took, message = failure(lambda: conn.execute("SELECT 1"))
        assert CLOSED in message  # libpq words a reset like a close: the socket tells them apart
        assert took < 0.5
        with socket.create_connection(("127.0.0.1", proxy_port(postgres)), timeout=5) as raw:
            raw.sendall(SSL_REQUEST)
            with pytest.raises(ConnectionResetError):
                raw.recv(1)
    with socket.create_connection(("127.0.0.1", proxy_port(postgres)), timeout=5) as raw:
        raw.sendall(SSL_REQUEST)
        assert raw.recv(1) == b"N", "without the toxic the server answers: no SSL"


@pytest.mark.parametrize("limit", [20_000, 55_000])
def test_limit_data_closes_after_the_byte_count(
    conn: psycopg.Connection[Any], faults: FaultSession, limit: int
) -> None:
    rows: list[str] = []
    query = "SELECT repeat('x', 1000) FROM generate_series(1, 200)"
    with faults.toxic("postgres", "limit_data", bytes=limit):
        _, message = failure(lambda: rows.extend(r[0] for r in conn.cursor().stream(query)))
    assert CLOSED in message
    # whole rows that fit in the limit once the answer's ~50 bytes of headers are through
    assert (limit - 100) // ROW_BYTES <= len(rows) <= limit // ROW_BYTES


@pytest.mark.parametrize(("size", "rate_kb"), [(400_000, 1000), (150_000, 250)])
def test_bandwidth_makes_a_transfer_take_size_over_rate(
    conn: psycopg.Connection[Any], faults: FaultSession, size: int, rate_kb: int
) -> None:
    query = f"SELECT repeat('x', {size})"
    baseline = min(seconds(lambda: conn.execute(query).fetchone()) for _ in range(2))
    with faults.toxic("postgres", "bandwidth", rate=rate_kb):
        # noise on a busy machine only ever adds time: the quickest of two is the measurement
        limited = min(seconds(lambda: conn.execute(query).fetchone()) for _ in range(2))
    expected = size / (rate_kb * 1000)
    assert limited - baseline == pytest.approx(expected, rel=0.15)


def test_faults_are_on_this_workers_proxy_and_gone_after_the_block(
    toxiproxy: ToxiproxyClient, faults: FaultSession, postgres: str
) -> None:
    name = faults.proxies["postgres"]
    with faults.toxic("postgres", "latency", latency=10) as toxic:
        assert [t["name"] for t in toxiproxy.proxies()[name]["toxics"]] == [toxic]
        with faults.down("postgres"):
            assert toxiproxy.proxies()[name]["enabled"] is False
        assert toxiproxy.proxies()[name]["enabled"] is True
    assert toxiproxy.proxies()[name]["toxics"] == []
    assert toxiproxy.proxies()[name]["listen"].endswith(f":{proxy_port(postgres)}")


# -- the fixtures under pytest -n 2 ---------------------------------------------------------
WORKER_TEST = """\
import json, os
import psycopg

def record(postgres, postgres_server, toxiproxy, faults, name):
    with psycopg.connect(postgres, autocommit=True) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS mine (worker text)")
        conn.execute("INSERT INTO mine VALUES (%s)", (os.environ["PYTEST_XDIST_WORKER"],))
        workers = sorted({{r[0] for r in conn.execute("SELECT worker FROM mine")}})
        data_dir = conn.execute("SHOW data_directory").fetchone()[0]
        server_port = conn.execute("SELECT inet_server_port()").fetchone()[0]
        with faults.down("postgres"):
            try:
                psycopg.connect(postgres, connect_timeout=3).close()
                refused = False
            except psycopg.OperationalError:
                refused = True
    line = dict(
        worker=os.environ["PYTEST_XDIST_WORKER"],
        test=name,
        url=postgres,
        server_port=server_port,
        direct_port=postgres_server.port,
        data_dir=data_dir,
        toxiproxy=toxiproxy.url,
        proxies=sorted(toxiproxy.proxies()),
        proxy=faults.proxies["postgres"],
        workers_in_db=workers,
        refused=refused,
    )
    with open({out!r}, "a") as sink:
        sink.write(json.dumps(line) + "\\n")

def test_one(postgres, postgres_server, toxiproxy, faults):
    record(postgres, postgres_server, toxiproxy, faults, "one")

def test_two(postgres, postgres_server, toxiproxy, faults):
    record(postgres, postgres_server, toxiproxy, faults, "two")
"""


def test_each_xdist_worker_has_its_own_database_and_proxies(
    pytester: pytest.Pytester, postgres_server: PostgresInstance
) -> None:
    out = pytester.path / "workers.jsonl"
    pytester.makepyfile(test_workers=WORKER_TEST.format(out=str(out)))
    result = pytester.runpytest_subprocess("-n", "2", "--dist", "each", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=4)
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    by_worker: dict[str, list[dict[str, Any]]] = {}
    for line in lines:
        by_worker.setdefault(line["worker"], []).append(line)
    assert sorted(by_worker) == ["gw0", "gw1"]
    mine = {}
    for worker, records in by_worker.items():
        # within a worker: one server, one proxy, used by both tests
        assert len({(r["url"], r["data_dir"], r["proxy"]) for r in records}) == 1, records
        first = records[0]
        assert first["server_port"] == first["direct_port"] != urlsplit(first["url"]).port
        assert all(r["workers_in_db"] == [worker] for r in records), "no other worker's rows"
        assert all(r["refused"] for r in records)
        assert all(r["proxies"] == [r["proxy"]] for r in records), "no other worker's proxies"
        assert first["proxy"].endswith(f"-{worker}-1-postgres")
        mine[worker] = first
    gw0, gw1 = mine["gw0"], mine["gw1"]
    for key in ("url", "server_port", "data_dir", "toxiproxy", "proxy"):
        assert gw0[key] != gw1[key], key
    # the session's own server is not one of the workers' servers either
    assert postgres_server.port not in (gw0["server_port"], gw1["server_port"])
    # each worker stopped its server and removed its directory when it finished
    for record in (gw0, gw1):
        assert not Path(record["data_dir"]).exists()
