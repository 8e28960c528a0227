"""Bring up a system under test described by an environment file, and take it down again."""

from __future__ import annotations

import re
import secrets
import shlex
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from drillbook.drill.clock import Clock, RealClock
from drillbook.errors import DrillbookError
from drillbook.formats.environment import Environment, ServiceSpec
from drillbook.services.ports import reserve_port
from drillbook.services.processes import ManagedProcess, wait_until_ready

_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_.-]*)\}")


@dataclass
class RunningEnvironment:
    """The started services, the values they export, and which of those are secret."""

    environment: Environment
    processes: list[ManagedProcess] = field(default_factory=list)
    exports: dict[str, str] = field(default_factory=dict)
    secret_values: dict[str, str] = field(default_factory=dict)
    startup_seconds: dict[str, float] = field(default_factory=dict)

    def secret_names(self) -> set[str]:
        return set(self.environment.secrets)

    def stop(self) -> None:
        """Stop every service, last started first; keeps going when one fails to stop."""
        for process in reversed(self.processes):
            process.stop()

    def describe(self) -> list[dict[str, str]]:
        return [
            {
                "name": process.name,
                "pid": str(process.pid),
                "log": str(process.log_path),
                "ready_after": f"{self.startup_seconds.get(process.name, 0.0):.2f} s",
            }
            for process in self.processes
        ]


class _Placeholders:
    """Fills ``{name}`` placeholders; an unknown name is an error naming the known ones."""

    def __init__(self, root: Path, ports: Mapping[str, int], secret_values: Mapping[str, str]):
        self.values: dict[str, str] = {"python": sys.executable, "root": str(root)}
        self.values.update({f"services.{name}.port": str(port) for name, port in ports.items()})
        self.values.update({f"secret.{name}": value for name, value in secret_values.items()})

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
) -> RunningEnvironment:
    """Start the services in dependency order and wait for each to be ready. On any failure
    everything already started is stopped before the error is raised."""
    clock = clock or RealClock()
    root = root.resolve()
    ports = {name: reserve_port() for name in environment.services}
    secret_values = {name: secrets.token_urlsafe(24) for name in environment.secrets}
    placeholders = _Placeholders(root, ports, secret_values)
    running = RunningEnvironment(environment, secret_values=secret_values)
    try:
        for name in environment.start_order():
            spec = environment.services[name]
            process = _start_service(name, spec, ports[name], placeholders, root, log_dir)
            running.processes.append(process)
            running.startup_seconds[name] = _await_ready(
                process, spec, placeholders, ports[name], clock
            )
        running.exports = {
            key: placeholders.fill(value, where=f"exports.{key}")
            for key, value in environment.exports.items()
        }
        running.exports.update(secret_values)
    except BaseException:
        running.stop()
        raise
    return running


def _start_service(
    name: str,
    spec: ServiceSpec,
    port: int,
    placeholders: _Placeholders,
    root: Path,
    log_dir: Path,
) -> ManagedProcess:
    where = f"services.{name}"
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
    return process


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
