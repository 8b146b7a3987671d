"""The files transport: a local folder or an SFTP server (asyncssh), behind one small interface.

:class:`FilesClient` is what resources call. It owns what ``http.send`` owns for REST: retries of
transient failures (a refused or dropped SSH connection, a timeout) by the connection's
:class:`~tradewind.connectors.retry.RetryPolicy` through tenacity, error classification (a refused
login or unknown host key is a :class:`~tradewind.errors.ConfigError`, not retried), and the
run's write fence before every file written. Writes are atomic: a temporary name in the target
folder, then a rename, so a reader never sees half a file.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from fnmatch import fnmatchcase
from pathlib import Path
from typing import IO, Protocol, TypeVar

import structlog

from tradewind.connectors import transport
from tradewind.connectors.retry import RetryPolicy
from tradewind.connectors.transport import CallKind
from tradewind.errors import ConfigError, TransientError

log = structlog.get_logger("tradewind.files")
T = TypeVar("T")
SPOOL = 8 * 1024 * 1024
"""Bytes of a remote file kept in memory while it is read; larger files spill to a temporary file."""


@dataclass(frozen=True)
class FileInfo:
    """A file in a folder: ``path`` is relative to the connection's location."""

    path: str
    name: str
    mtime: datetime
    size: int


class Storage(Protocol):
    """What a transport offers; paths are relative to its root, '/'-separated."""

    def list(self, folder: str) -> list[FileInfo]: ...

    def open(self, path: str) -> IO[bytes]: ...

    def write(self, path: str, data: bytes) -> None: ...

    def rename(self, old: str, new: str) -> None: ...

    def exists(self, path: str) -> bool: ...

    def makedirs(self, folder: str) -> None: ...

    def remove(self, path: str) -> None: ...

    def close(self) -> None: ...


class LocalStorage:
    """A folder on this machine; ``rename`` is ``os.replace`` (atomic on one file system)."""

    def __init__(self, root: str) -> None:
        self.root = Path(root)

    def _at(self, path: str) -> Path:
        return self.root / path if path else self.root

    def list(self, folder: str) -> list[FileInfo]:
        where = self._at(folder)
        if not where.is_dir():
            raise ConfigError(f"folder {str(where)!r} does not exist", hint="create it or fix `location`/`folder`")
        return [FileInfo(path=f"{folder}/{entry.name}".lstrip("/"), name=entry.name, size=stat.st_size,
                         mtime=datetime.fromtimestamp(stat.st_mtime, UTC))
                for entry in where.iterdir() if entry.is_file() and (stat := entry.stat())]

    def open(self, path: str) -> IO[bytes]:
        return self._at(path).open("rb")

    def write(self, path: str, data: bytes) -> None:
        with self._at(path).open("xb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())

    def rename(self, old: str, new: str) -> None:
        os.replace(self._at(old), self._at(new))

    def exists(self, path: str) -> bool:
        return self._at(path).exists()

    def makedirs(self, folder: str) -> None:
        self._at(folder).mkdir(parents=True, exist_ok=True)

    def remove(self, path: str) -> None:
        self._at(path).unlink(missing_ok=True)

    def close(self) -> None:
        return None


class FilesClient:
    """Files of one connection: listed, read, written atomically and moved aside, with retries."""

    def __init__(self, storage: Storage, *, retry: RetryPolicy | None = None, where: str = "") -> None:
        self.storage = storage
        self.retry = retry or RetryPolicy()
        self.where = where  # shown in errors: the location without credentials

    def call(self, what: str, action: Callable[[], T], kind: CallKind = "read") -> T:
        """Run one storage call through the shared transport: a :class:`TransientError` is tried
        again up to the policy's attempts, and a write (``kind`` not read) asks the run's fence first."""
        log.debug("files_call", what=what)
        return transport.call(action, kind=kind, policy=self.retry)

    def files(self, folder: str, pattern: str) -> list[FileInfo]:
        """Files in ``folder`` matching the glob, hidden and temporary files left out."""
        found = self.call(f"list {folder or '.'}", lambda: self.storage.list(folder))
        return [f for f in found if not f.name.startswith(".") and fnmatchcase(f.name, pattern)]

    @contextmanager
    def reading(self, path: str) -> Iterator[IO[bytes]]:
        stream = self.call(f"read {path}", lambda: self.storage.open(path))
        try:
            yield stream
        finally:
            stream.close()

    def write_atomic(self, folder: str, name: str, data: bytes) -> str:
        """Write ``name`` into ``folder`` complete or not at all: a hidden temporary file first, then
        a rename. The run's write fence is checked before each of the two steps."""
        final = f"{folder}/{name}".lstrip("/")
        temp = f"{folder}/.{name}.{uuid.uuid4().hex[:8]}.part".lstrip("/")
        self.call(f"mkdir {folder}", lambda: self.storage.makedirs(folder), "idempotent")
        self.call(f"write {temp}", lambda: self._fresh(temp, data), "idempotent")
        try:
            self.call(f"rename {temp}", lambda: self.storage.rename(temp, final), "idempotent")
        except TransientError:
            if not self.call(f"stat {final}", lambda: self.storage.exists(final)):  # the answer lost, not the rename
                raise
        return final

    def _fresh(self, temp: str, data: bytes) -> None:
        """A retried upload starts over: a half-written temporary file of the attempt before is dropped."""
        self.storage.remove(temp)
        self.storage.write(temp, data)

    def move_aside(self, path: str, folder: str) -> str:
        """Move a processed file into ``folder`` (made if missing); an older file of that name there
        is kept, the newcomer gets the time it was moved appended."""
        name = path.rsplit("/", 1)[-1]
        self.call(f"mkdir {folder}", lambda: self.storage.makedirs(folder), "idempotent")
        target = f"{folder}/{name}"
        if self.call(f"stat {target}", lambda: self.storage.exists(target)):
            stem, dot, ext = name.rpartition(".")
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
            target = f"{folder}/{stem}-{stamp}{dot}{ext}" if stem else f"{folder}/{name}-{stamp}"
        self.call(f"move {path}", lambda: self.storage.rename(path, target), "idempotent")
        return target

    def close(self) -> None:
        self.storage.close()
