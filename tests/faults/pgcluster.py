"""A throwaway PostgreSQL cluster of a test's own, to stop and start under a running flow.

``initdb`` in a temporary folder, served on a free loopback port by ``pg_ctl``; the shared server
on 5432 (and every other test) is untouched. PostgreSQL refuses to run as root, so when the tests
run as root (CI) the folder belongs to ``postgres`` and the tools run through ``runuser``.
Missing tools skip the test, unless ``TRADEWIND_REQUIRE_SERVICES=1`` makes that a failure.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

DATABASE = "tradewind_faults"
"""The database the cluster's store lives in; a clean outage message can name it."""


def _bin_dir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("initdb")
    return Path(on_path).parent if on_path else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Cluster:
    """One cluster: ``stop()`` and ``start()`` keep its port and data, like a server restarted."""

    bin_dir: Path
    folder: Path
    port: int
    as_postgres: bool

    @property
    def data(self) -> Path:
        return self.folder / "data"

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{DATABASE}"

    def _tool(self, name: str, *args: str) -> None:
        command = [str(self.bin_dir / name), *args]
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
        if done.returncode != 0:
            log = self.folder / "server.log"
            tail = log.read_text()[-2000:] if log.exists() else ""
            raise RuntimeError(f"{name} {' '.join(args)} failed: {done.stderr or done.stdout}\n{tail}")

    def init(self) -> None:
        self._tool("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                   "--no-locale", "--no-sync")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._tool("pg_ctl", "-D", str(self.data), "-l", str(self.folder / "server.log"), "-o", options, "-w",
                   "start")

    def stop(self, mode: str = "fast") -> None:
        """``fast`` ends the sessions and shuts down; ``immediate`` is a crash (recovered on start)."""
        self._tool("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def create_database(self) -> None:
        admin = sa.create_engine(self.url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT",
                                 poolclass=sa.pool.NullPool)
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{DATABASE}"')
        admin.dispose()


def missing() -> str | None:
    """None when a cluster can be made here, else why not."""
    if _bin_dir() is None:
        return "initdb not found (/usr/lib/postgresql/*/bin or PATH)"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no postgres user to run the cluster as"
        if shutil.which("runuser") is None:
            return "running as root and runuser is missing"
    return None


@contextmanager
def throwaway_cluster() -> Iterator[Cluster]:
    """A started cluster with an empty ``DATABASE``; stopped and removed afterwards."""
    bin_dir = _bin_dir()
    assert bin_dir is not None, missing()
    folder = Path(tempfile.mkdtemp(prefix="tradewind-pg-"))
    as_postgres = os.geteuid() == 0
    if as_postgres:
        user = pwd.getpwnam("postgres")
        os.chown(folder, user.pw_uid, user.pw_gid)
    cluster = Cluster(bin_dir=bin_dir, folder=folder, port=_free_port(), as_postgres=as_postgres)
    try:
        cluster.init()
        cluster.start()
        cluster.create_database()
        yield cluster
    finally:
        if cluster.running():
            try:
                cluster.stop("immediate")
            except RuntimeError:
                pass
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def usable_cluster() -> Iterator[Cluster]:
    """:func:`throwaway_cluster`, or the test skipped when none can be made here (a failure when
    ``TRADEWIND_REQUIRE_SERVICES=1``, as in CI). Wrap it in a fixture where a test needs one."""
    problem = missing()
    if problem:
        if os.environ.get("TRADEWIND_REQUIRE_SERVICES") == "1":
            pytest.fail(problem + " (TRADEWIND_REQUIRE_SERVICES=1)")
        pytest.skip(problem)
    with throwaway_cluster() as cluster:
        yield cluster
