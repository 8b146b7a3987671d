"""The SFTP sandbox as a contract-suite harness: what ``status=503`` means on a file drop.

``ConnectorContract`` speaks of HTTP faults and calls; over SFTP an outage is a dropped
connection and a call is an operation the server serves (or a connection or request it drops).
Anything else (a 429 with Retry-After, a delay, a lost answer) has no SFTP meaning and is refused
loudly rather than ignored, so a contract test cannot pass by a fault that never happened.
"""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path
from types import TracebackType
from typing import Any

from tradewind.sandboxes.sftp import SftpSandbox

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import asyncssh


class SftpHarness:
    """An SFTP server on loopback over a fresh temporary folder laid out with ``seed`` (path → text)."""

    def __init__(self, seed: dict[str, str], *, password: str, server_key: asyncssh.SSHKey) -> None:
        self._folder = tempfile.TemporaryDirectory(prefix="tradewind-sftp-")
        root = Path(self._folder.name)
        for path, text in seed.items():
            file = root / path
            file.parent.mkdir(parents=True, exist_ok=True)
            file.write_text(text, encoding="utf-8")
        self.sandbox = SftpSandbox(root, password=password, server_key=server_key)
        self.url = ""

    def fault(self, *, status: int, times: int = 1, **rest: Any) -> None:
        """An outage (``status`` 503) drops the next ``times`` connections; nothing else translates."""
        if status != 503 or rest:
            raise ValueError(f"SFTP has no fault like status={status} {rest}: only status=503 (a dropped connection)")
        self.sandbox.drop_connections(times)

    def calls(self) -> int:
        """Operations served, plus connections and requests dropped (each a call that failed)."""
        return self.sandbox.operations + self.sandbox.dropped

    def __enter__(self) -> SftpHarness:
        self.sandbox.start()
        self.url = self.sandbox.url
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 tb: TracebackType | None) -> None:
        try:
            self.sandbox.stop()
        finally:
            self._folder.cleanup()
