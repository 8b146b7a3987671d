"""Fixtures: the files connector over a local folder and over a real SFTP server on loopback."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tradewind.connectors.files import Files
from tradewind.connectors.files.options import FilesOptions
from tradewind.connectors.retry import RetryPolicy
from tradewind.sandboxes.sftp import SftpSandbox

ENVIRON = {"FILES_SFTP_PASSWORD": "sandbox-password"}
FAST = RetryPolicy(attempts=3, backoff=0.0, max_backoff=0.0)

OpenFiles = Callable[..., Files]


@pytest.fixture
def sftp(tmp_path: Path) -> Iterator[SftpSandbox]:
    root = tmp_path / "sftp-root"
    root.mkdir()
    with SftpSandbox(root, password=ENVIRON["FILES_SFTP_PASSWORD"]) as server:
        yield server


def options(where: str, server: SftpSandbox | None, **settings: Any) -> FilesOptions:
    """Options for a local folder (``server`` None) or the SFTP sandbox; ``settings`` per resource."""
    fmt = settings.pop("format", "csv")
    if server is None:
        return FilesOptions(location=where, format=fmt, resources=settings)
    return FilesOptions(location=server.url, format=fmt, password="${FILES_SFTP_PASSWORD}",  # type: ignore[arg-type]
                        host_key=server.host_key, resources=settings)


@pytest.fixture(params=["local", "sftp"])
def drop(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Path, OpenFiles]:
    """A folder to drop files in, and how to open the connector on it (locally or over SFTP)."""
    if request.param == "local":
        root = tmp_path / "local-root"
        root.mkdir()
        server = None
    else:
        server = request.getfixturevalue("sftp")
        root = server.root
    opened: list[Files] = []

    def open_files(**settings: Any) -> Files:
        files = Files(options(str(root), server, **settings), environ=ENVIRON, retry=FAST)
        opened.append(files)
        return files

    request.addfinalizer(lambda: [f.close() for f in opened])
    return root, open_files


def put(root: Path, path: str, content: str | bytes, encoding: str = "utf-8") -> Path:
    file = root / path
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
    return file
