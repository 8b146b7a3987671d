"""SFTP storage over asyncssh, driven from the engine's synchronous code through a private event loop.

One SSH connection per files connection, opened on first use and dropped on any connection
failure, so the next attempt (the client's retry) connects afresh. The server's host key is
checked against the configured one, always.
"""

from __future__ import annotations

import asyncio
import posixpath
import stat
import tempfile
import threading
import warnings
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO, Any, TypeVar

from tradewind.connectors.files.client import SPOOL, FileInfo
from tradewind.errors import ConfigError, TransientError

with warnings.catch_warnings():  # asyncssh imports cryptography's deprecated DSA names
    warnings.simplefilter("ignore")
    import asyncssh

T = TypeVar("T")
CHUNK = 256 * 1024


@dataclass(frozen=True)
class SftpTarget:
    """Where and as whom to log in; secrets already resolved (never printed)."""

    host: str
    port: int
    user: str
    root: str
    host_key: str
    password: str | None = None
    private_key: str | None = None
    timeout: float = 30.0

    def __repr__(self) -> str:
        return f"SftpTarget(sftp://{self.user}@{self.host}:{self.port}{self.root})"


class _Loop:
    """An event loop on a daemon thread: asyncssh runs there, callers wait for results."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="tradewind-sftp", daemon=True)
        self.thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float) -> T:
        future = asyncio.run_coroutine_threadsafe(asyncio.wait_for(coro, timeout), self.loop)
        return future.result()

    def close(self) -> None:
        if self.loop.is_closed():
            return
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)
        self.loop.close()


class SftpStorage:
    """A folder on an SFTP server; paths are relative to ``target.root``."""

    def __init__(self, target: SftpTarget) -> None:
        self.target = target
        self._loop = _Loop()
        self._conn: Any = None
        self._sftp: Any = None

    def _path(self, path: str) -> str:
        return posixpath.join(self.target.root, path) if path else self.target.root

    async def _client(self) -> Any:
        if self._sftp is None:
            t = self.target
            keys = [asyncssh.import_private_key(t.private_key)] if t.private_key else None
            self._conn = await asyncssh.connect(
                t.host, t.port, username=t.user, password=t.password, client_keys=keys,
                known_hosts=([asyncssh.import_public_key(t.host_key)], [], []), connect_timeout=t.timeout,
                preferred_auth="publickey,password" if keys else "password,keyboard-interactive",
                agent_path=None, config=None)
            self._sftp = await self._conn.start_sftp_client()
        return self._sftp

    def _do(self, what: str, action: Callable[[Any], Awaitable[T]]) -> T:
        async def run() -> T:
            return await action(await self._client())

        try:
            return self._loop.run(run(), self.target.timeout)
        except asyncssh.PermissionDenied as error:
            self._drop()
            raise ConfigError(f"the SFTP server {self.target!r} refused the login ({error.reason})",
                              hint="check the user, `password` or `private_key`") from None
        except asyncssh.HostKeyNotVerifiable as error:
            self._drop()
            raise ConfigError(f"the SFTP server {self.target!r} showed another host key ({error.reason})",
                              hint="check `host_key` against the server's key") from None
        except asyncssh.SFTPNoSuchFile as error:
            raise FileNotFoundError(f"{what}: {error.reason}") from None
        except asyncssh.SFTPPermissionDenied as error:
            raise ConfigError(f"{what}: permission denied on the SFTP server ({error.reason})") from None
        except (TimeoutError, OSError, asyncssh.Error) as error:
            self._drop()
            raise TransientError(f"SFTP {what} on {self.target!r} failed: {type(error).__name__}: {error}") from None

    def _drop(self) -> None:
        conn, self._conn, self._sftp = self._conn, None, None
        if conn is not None:
            conn.abort()

    def list(self, folder: str) -> list[FileInfo]:
        async def run(sftp: Any) -> list[FileInfo]:
            names = await sftp.readdir(self._path(folder))
            return [FileInfo(path=posixpath.join(folder, n.filename), name=n.filename, size=n.attrs.size or 0,
                             mtime=datetime.fromtimestamp(n.attrs.mtime or 0, UTC))
                    for n in names if n.attrs.permissions is not None and stat.S_ISREG(n.attrs.permissions)]
        try:
            return self._do(f"list {folder or '.'}", run)
        except FileNotFoundError:
            raise ConfigError(f"folder {folder or '.'!r} does not exist on {self.target!r}",
                              hint="create it or fix `location`/`folder`") from None

    def open(self, path: str) -> IO[bytes]:
        """The file, copied into a spooled temporary file (memory, then disk) and rewound."""
        spool = tempfile.SpooledTemporaryFile(max_size=SPOOL)  # noqa: SIM115 - handed to the caller open

        async def run(sftp: Any) -> None:
            async with sftp.open(self._path(path), "rb") as remote:
                while chunk := await remote.read(CHUNK):
                    spool.write(chunk)
        try:
            self._do(f"read {path}", run)
        except BaseException:
            spool.close()
            raise
        spool.seek(0)
        return spool  # type: ignore[return-value]

    def write(self, path: str, data: bytes) -> None:
        async def run(sftp: Any) -> None:
            async with sftp.open(self._path(path), "wb") as remote:
                await remote.write(data)
        self._do(f"write {path}", run)

    def rename(self, old: str, new: str) -> None:
        async def run(sftp: Any) -> None:
            try:
                await sftp.posix_rename(self._path(old), self._path(new))
            except asyncssh.SFTPOpUnsupported:
                await sftp.rename(self._path(old), self._path(new))
        self._do(f"rename {old}", run)

    def exists(self, path: str) -> bool:
        return bool(self._do(f"stat {path}", lambda sftp: sftp.exists(self._path(path))))

    def makedirs(self, folder: str) -> None:
        if folder:
            self._do(f"mkdir {folder}", lambda sftp: sftp.makedirs(self._path(folder), exist_ok=True))

    def remove(self, path: str) -> None:
        async def run(sftp: Any) -> None:
            if await sftp.exists(self._path(path)):
                await sftp.remove(self._path(path))
        self._do(f"remove {path}", run)

    def close(self) -> None:
        if self._conn is not None:
            conn = self._conn
            self._conn = self._sftp = None
            try:
                self._loop.run(_closed(conn), 5)
            except (TimeoutError, OSError, asyncssh.Error):
                pass
        self._loop.close()


async def _closed(conn: Any) -> None:
    conn.close()
    await conn.wait_closed()
