"""What one drillbook process shares across its drills: the fault ledger, the toxiproxy
server (obtained once, on first need), the way to PostgreSQL, and the provider report."""

from __future__ import annotations

import itertools
import os
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from drillbook.faults.ledger import FaultLedger, LedgerEntry, process_identity, sweep_orphans
from drillbook.faults.toxiproxy_client import ToxiproxyClient
from drillbook.services.chain import Provided
from drillbook.services.ports import reserve_port
from drillbook.services.postgres import PostgresInstance, obtain_postgres
from drillbook.services.toxiproxy import ToxiproxyInstance, obtain_toxiproxy


def postmaster_pid(data_dir: Path) -> int:
    """The server's pid from the first line of ``postmaster.pid`` in its data directory."""
    try:
        first = (data_dir / "postmaster.pid").read_text().split("\n", 1)[0].strip()
    except OSError:
        return 0
    return int(first) if first.isdigit() else 0


_ADDRESS = re.compile(r" at \S+")


@dataclass
class SessionResources:
    """Lazily obtained real parts, and everything that must be undone at the end."""

    state_dir: Path
    run_id: str
    toxiproxy_url: str | None = None
    postgres_url: str | None = None
    report: Callable[[str], None] = lambda line: None
    _ledger: FaultLedger | None = field(default=None, init=False)
    _toxiproxy: Provided[ToxiproxyInstance] | None = field(default=None, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)
    provider_lines: list[str] = field(default_factory=list, init=False)
    fixture_proxies: dict[str, str] = field(default_factory=dict, init=False)
    _sequence: Iterator[int] = field(default_factory=lambda: itertools.count(1), init=False)
    _postgres_entries: dict[PostgresInstance, LedgerEntry] = field(default_factory=dict, init=False)

    @property
    def ledger_dir(self) -> Path:
        return self.state_dir / "ledgers"

    @property
    def ledger(self) -> FaultLedger:
        with self._lock:
            return self._ledger_locked()

    def _ledger_locked(self) -> FaultLedger:
        """The ledger, made on first use; the caller holds ``_lock``."""
        if self._ledger is None:
            self._ledger = FaultLedger(self.ledger_dir, self.run_id)
        return self._ledger

    def sweep(self) -> list[str]:
        """Lift what killed runs left behind (call once at session start)."""
        lines = sweep_orphans(self.ledger_dir)
        for line in lines:
            self.report(line)
        return lines

    def toxiproxy(self) -> ToxiproxyInstance:
        with self._lock:
            if self._toxiproxy is None:
                provided = obtain_toxiproxy(self.toxiproxy_url)
                self._toxiproxy = provided
                self._note(provided.describe())
                if provided.value.pid is not None:  # a server process of ours: in the ledger
                    pid = provided.value.pid
                    target = {
                        "pid": pid,
                        "group": True,
                        "name": provided.provider,
                        "create_time": process_identity(pid),
                    }
                    self._ledger_locked().record("process", target, f"{provided.provider} server")
            return self._toxiproxy.value

    def postgres(self) -> PostgresInstance:
        """A PostgreSQL server; one drillbook starts is in the ledger until ``release_postgres``,
        so a killed run's server is stopped and its directory removed by the next run."""
        provided = obtain_postgres(self.postgres_url)
        instance = provided.value
        with self._lock:
            # a server per environment: the choice is the news, not each one's address
            self._note(_ADDRESS.sub("", provided.describe(), count=1))
        if instance.data_dir is not None:
            pid = postmaster_pid(instance.data_dir)
            target = {
                "pid": pid,
                "create_time": process_identity(pid) if pid else None,
                "path": str(instance.data_dir.parent),
            }
            entry = self.ledger.record("postgres", target, f"PostgreSQL at port {instance.port}")
            self._postgres_entries[instance] = entry
        return instance

    def release_postgres(self, instance: PostgresInstance) -> None:
        """Stop a server from ``postgres()`` (a no-op for a given URL) and close its entry."""
        instance.stop()
        entry = self._postgres_entries.pop(instance, None)
        if entry is not None:
            self.ledger.lift(entry)

    @contextmanager
    def watch_process(self, pid: int) -> Iterator[None]:
        """A step command's process group is in the ledger while it runs."""
        target = {
            "pid": pid,
            "group": True,
            "name": "step command",
            "create_time": process_identity(pid),
        }
        entry = self.ledger.record("process", target, f"step command (pid {pid})")
        try:
            yield
        finally:
            self.ledger.lift(entry)

    def _note(self, line: str) -> None:
        """Report each provider choice once: instances that differ only in their address
        (a database per drill) are the same choice."""
        key = _ADDRESS.sub("", line)
        if all(_ADDRESS.sub("", seen) != key for seen in self.provider_lines):
            self.provider_lines.append(line)
            self.report(line)

    def proxy_prefix(self) -> str:
        """Proxies this process creates are named with it: on a shared server drillbook
        touches only its own."""
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        return f"drillbook-{self.run_id}-{worker}"

    def create_proxy(self, name: str, upstream: str) -> tuple[str, int, LedgerEntry]:
        """A proxy on the session's toxiproxy server, named with this run, listening on a free
        port; written to the ledger before it exists. Returns its real name, port and entry."""
        server = self.toxiproxy()
        port = reserve_port()
        real_name = f"{self.proxy_prefix()}-{next(self._sequence)}-{name}"
        entry = self.ledger.record(
            "proxy", {"server": server.url, "proxy": real_name}, f"proxy {name}"
        )
        with ToxiproxyClient(server.url) as client:
            client.create_proxy(real_name, f"127.0.0.1:{port}", upstream)
        return real_name, port, entry

    def close(self) -> list[str]:
        """Lift anything still in the ledger and stop the toxiproxy server we started."""
        lifted: list[str] = []
        try:
            if self._ledger is not None:
                lifted = self._ledger.lift_all()
                self._ledger.close()
        finally:  # a fault that resists must not keep our own server running
            if self._toxiproxy is not None:
                self._toxiproxy.value.stop()
                self._toxiproxy = None
        return lifted
