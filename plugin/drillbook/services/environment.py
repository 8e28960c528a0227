"""Bring up a system under test described by an environment file, and take it down again.

Parts from providers (``provider: postgres``) come first, then the proxies between parts
(on the session's toxiproxy server), then the processes in dependency order. Every proxy
and process is written to the fault ledger before it exists, so a killed run is cleaned up
by the next one.
"""

from __future__ import annotations

import contextlib
import re
import secrets
import shlex
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

from drillbook.drill.clock import Clock, RealClock
from drillbook.errors import DrillbookError
from drillbook.faults.ledger import LedgerEntry, process_identity
from drillbook.formats.environment import Environment, PagerDutyTarget, ServiceSpec
from drillbook.services.ports import reserve_port
from drillbook.services.postgres import PostgresInstance
from drillbook.services.processes import ManagedProcess, wait_until_ready
from drillbook.services.resources import SessionResources

_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_.-]*)\}")


@dataclass
class RunningEnvironment:
    """The started parts, the values they export, and what the drill may inject faults on."""

    environment: Environment
    resources: SessionResources | None = None
    processes: list[ManagedProcess] = field(default_factory=list)
    databases: dict[str, PostgresInstance] = field(default_factory=dict)
    proxies: dict[str, str] = field(default_factory=dict)
    toxiproxy_url: str | None = None
    http_targets: dict[str, str] = field(default_factory=dict)
    exports: dict[str, str] = field(default_factory=dict)
    secret_values: dict[str, str] = field(default_factory=dict)
    startup_seconds: dict[str, float] = field(default_factory=dict)
    ledger_entries: list[LedgerEntry] = field(default_factory=list)
    placeholders: _Placeholders | None = None

    def secret_names(self) -> set[str]:
        return set(self.environment.secrets)

    def fill(self, text: str, where: str) -> str:
        """``{placeholders}`` in ``text`` filled with this running environment's values."""
        if self.placeholders is None:
            return text
        return self.placeholders.fill(text, where=where)

    def fill_target(self, target: PagerDutyTarget) -> PagerDutyTarget:
        return PagerDutyTarget(
            events_url=self.fill(target.events_url, "paging.pagerduty.events_url"),
            routing_key=self.fill(target.routing_key, "paging.pagerduty.routing_key"),
        )

    def stop(self) -> None:
        """Stop every process (last started first), delete our proxies, stop the databases;
        keeps going when one part fails to stop."""
        problems: list[str] = []
        for process in reversed(self.processes):
            _attempt(process.stop, f"process {process.name}", problems)
        if self.resources is not None:
            ledger = self.resources.ledger
            for entry in reversed(self.ledger_entries):
                _attempt(partial(ledger.lift, entry), entry.description, problems)
        release = self.resources.release_postgres if self.resources else _stop_database
        for name, database in self.databases.items():
            _attempt(partial(release, database), f"database {name}", problems)
        if problems:
            raise DrillbookError(
                "the system under test did not stop cleanly:\n  " + "\n  ".join(problems)
            )

    def describe(self) -> list[dict[str, str]]:
        parts = [
            {
                "name": process.name,
                "pid": str(process.pid),
                "log": str(process.log_path),
                "ready_after": f"{self.startup_seconds.get(process.name, 0.0):.2f} s",
            }
            for process in self.processes
        ]
        parts += [
            {"name": name, "provider": db.provider, "address": f"{db.host}:{db.port}"}
            for name, db in self.databases.items()
        ]
        return parts


def _attempt(action: Callable[[], object], what: str, problems: list[str]) -> None:
    """Run one stop action; note a failure and go on with the others."""
    try:
        action()
    except Exception as exc:  # one part that fails to stop must not keep the others running
        problems.append(f"{what}: {exc}")


def _stop_database(database: PostgresInstance) -> None:
    database.stop()


class _Placeholders:
    """Fills ``{name}`` placeholders; an unknown name is an error naming the known ones."""

    def __init__(self, root: Path, secret_values: Mapping[str, str]) -> None:
        self.values: dict[str, str] = {"python": sys.executable, "root": str(root)}
        self.values.update({f"secret.{name}": value for name, value in secret_values.items()})

    def add(self, prefix: str, **values: object) -> None:
        self.values.update({f"{prefix}.{key}": str(value) for key, value in values.items()})

    def fill(self, text: str, *, port: int | None = None, where: str) -> str:
        local = dict(self.values)
        if port is not None:
            local["port"] = str(port)

        def replace(match: re.Match[str]) -> str:
            token = match.group(0)
            if token in ("{{", "}}"):
                return token[0]
            name = match.group(1)
            if name not in local:
                known = ", ".join("{" + key + "}" for key in sorted(local))
                raise DrillbookError(f"{where}: unknown placeholder {{{name}}}; known: {known}")
            return local[name]

        return _PLACEHOLDER.sub(replace, text)


def start_environment(
    environment: Environment,
    *,
    root: Path,
    log_dir: Path,
    clock: Clock | None = None,
    resources: SessionResources | None = None,
) -> RunningEnvironment:
    """Start everything and wait for each process to be ready. On any failure everything
    already started is stopped before the error is raised."""
    clock = clock or RealClock()
    root = root.resolve()
    secret_values = {name: secrets.token_urlsafe(24) for name in environment.secrets}
    placeholders = _Placeholders(root, secret_values)
    running = RunningEnvironment(
        environment, resources, secret_values=secret_values, placeholders=placeholders
    )
    try:
        _start_providers(environment, running, placeholders)
        ports = {
            name: reserve_port()
            for name, spec in environment.services.items()
            if spec.command is not None
        }
        for name, port in ports.items():
            placeholders.add(
                f"services.{name}", port=port, host="127.0.0.1", url=f"http://127.0.0.1:{port}"
            )
        _create_proxies(environment, running, placeholders)
        for name in environment.start_order():
            spec = environment.services[name]
            if spec.command is None:
                continue
            _start_process(name, spec, ports[name], placeholders, root, log_dir, running)
            running.startup_seconds[name] = _await_ready(
                running.processes[-1], spec, placeholders, ports[name], clock
            )
            if spec.fault_api:
                running.http_targets[name] = f"http://127.0.0.1:{ports[name]}"
        running.exports = {
            key: placeholders.fill(value, where=f"exports.{key}")
            for key, value in environment.exports.items()
        }
        running.exports.update(secret_values)
    except BaseException:
        with contextlib.suppress(DrillbookError):  # the error that stopped the start says more
            running.stop()
        raise
    return running


def _start_providers(
    environment: Environment, running: RunningEnvironment, placeholders: _Placeholders
) -> None:
    for name, spec in environment.services.items():
        if spec.provider != "postgres":
            continue
        if running.resources is None:
            raise DrillbookError(f"service {name!r} needs a PostgreSQL provider; none is set up")
        database = running.resources.postgres()
        running.databases[name] = database
        placeholders.add(f"services.{name}", **_url_parts(database.url))


def _url_parts(url: str) -> dict[str, object]:
    """``{services.db.url}`` and its parts, so a service can reach the database through a
    proxy: ``postgresql://{services.db.userinfo}@127.0.0.1:{proxies.postgres.port}/...``."""
    parts = urlsplit(url)
    user, password = unquote(parts.username or ""), unquote(parts.password or "")
    userinfo = quote(user, safe="") + (f":{quote(password, safe='')}" if password else "")
    return {
        "url": url,
        "host": parts.hostname or "127.0.0.1",
        "port": parts.port or 5432,
        "user": user,
        "password": password,
        "userinfo": userinfo,
        "database": parts.path.lstrip("/"),
    }


def _create_proxies(
    environment: Environment, running: RunningEnvironment, placeholders: _Placeholders
) -> None:
    if not environment.proxies:
        return
    if running.resources is None:
        raise DrillbookError("the environment has proxies, but no toxiproxy provider is set up")
    running.toxiproxy_url = running.resources.toxiproxy().url
    for name, spec in environment.proxies.items():
        upstream = placeholders.fill(spec.upstream, where=f"proxies.{name}.upstream")
        real_name, port, entry = running.resources.create_proxy(name, upstream)
        running.ledger_entries.append(entry)
        running.proxies[name] = real_name
        placeholders.add(f"proxies.{name}", port=port, host="127.0.0.1")


def _start_process(
    name: str,
    spec: ServiceSpec,
    port: int,
    placeholders: _Placeholders,
    root: Path,
    log_dir: Path,
    running: RunningEnvironment,
) -> None:
    where = f"services.{name}"
    assert spec.command is not None
    argv = spec.command if isinstance(spec.command, list) else shlex.split(spec.command)
    argv = [placeholders.fill(arg, port=port, where=f"{where}.command") for arg in argv]
    env = {
        key: placeholders.fill(value, port=port, where=f"{where}.env.{key}")
        for key, value in spec.env.items()
    }
    cwd = (root / spec.cwd).resolve() if spec.cwd else root
    process = ManagedProcess(
        name=name,
        argv=argv,
        env=env,
        cwd=cwd,
        log_path=log_dir / f"{name}.log",
        stop_timeout=spec.stop_timeout,
    )
    process.start()
    running.processes.append(process)
    if running.resources is not None and process.pid is not None:
        target = {
            "pid": process.pid,
            "group": True,
            "name": name,
            "create_time": process_identity(process.pid),
        }
        entry = running.resources.ledger.record("process", target, f"process {name}")
        running.ledger_entries.append(entry)


def _await_ready(
    process: ManagedProcess,
    spec: ServiceSpec,
    placeholders: _Placeholders,
    port: int,
    clock: Clock,
) -> float:
    probe = spec.ready
    if probe is None:
        return 0.0
    where = f"services.{process.name}.ready"
    return wait_until_ready(
        process,
        http=placeholders.fill(probe.http, port=port, where=where) if probe.http else None,
        tcp=placeholders.fill(probe.tcp, port=port, where=where) if probe.tcp else None,
        timeout=probe.timeout,
        interval=probe.interval,
        clock=clock,
    )
