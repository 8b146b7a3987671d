"""A real SFTP server on loopback (asyncssh), serving one folder: the "sandbox" of a file drop.

It runs on an event loop of its own in a background thread, with a host key generated per
server (or the one given) and one user (password or public key). Like the HTTP sandboxes it
counts what happens (``connections``, and ``operations``: the paths SFTP requests name, one per
list, read, write, stat or remove, two per rename) and takes faults: ``drop_connections(n)`` closes
the next ``n`` SSH connections — one already open at its next request, a new one as it arrives —
so a client sees the connection lost. It knows nothing of tradewind's connectors. The protocol is
SFTP version 3 as OpenSSH and asyncssh speak it (draft-ietf-secsh-filexfer-02); a rename onto an
existing name fails there, hence ``posix-rename@openssh.com`` (OpenSSH PROTOCOL, §4.3) for atomic writes.

    with SftpSandbox(tmp_path) as server:
        server.url          # sftp://tradewind@127.0.0.1:PORT/
        server.host_key     # "ssh-ed25519 AAAA…", for the connection's host_key
"""

from __future__ import annotations

import asyncio
import threading
import warnings
from pathlib import Path
from types import TracebackType
from typing import Any, cast

with warnings.catch_warnings():  # asyncssh imports cryptography's deprecated DSA names
    warnings.simplefilter("ignore")
    import asyncssh


class SftpSandbox:
    """An SFTP server chrooted to ``root``; ``user`` logs in with ``password`` or ``client_key``."""

    def __init__(self, root: Path | str, *, user: str = "tradewind", password: str = "sandbox-password",
                 client_key: str | None = None, server_key: asyncssh.SSHKey | None = None) -> None:
        self.root = Path(root)
        self.user = user
        self.password = password
        self.client_key = client_key
        self.connections = 0
        self.operations = 0
        self.dropped = 0
        self._drop = 0
        self._key = server_key or asyncssh.generate_private_key("ssh-ed25519")
        self.host_key = self._key.export_public_key().decode().strip()
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="sftp-sandbox", daemon=True)
        self._server: Any = None

    @property
    def url(self) -> str:
        return f"sftp://{self.user}@127.0.0.1:{self.port}/"

    def drop_connections(self, count: int) -> None:
        """Close the next ``count`` connections (a flaky network or server): an open one at its next
        request, a new one as soon as it opens."""
        self._drop = count

    def _dropping(self, conn: asyncssh.SSHServerConnection) -> bool:
        """Whether a fault takes this connection down now (and counts it)."""
        if self._drop <= 0:
            return False
        self._drop -= 1
        self.dropped += 1
        conn.abort()
        return True

    def start(self) -> SftpSandbox:
        self._thread.start()
        self._server = asyncio.run_coroutine_threadsafe(self._listen(), self._loop).result(10)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def _listen(self) -> Any:
        sandbox = self

        class Server(asyncssh.SSHServer):
            def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
                self.conn = conn
                sandbox.connections += 1
                sandbox._dropping(conn)

            def begin_auth(self, username: str) -> bool:
                if sandbox.client_key is not None:
                    self.conn.set_authorized_keys(asyncssh.import_authorized_keys(sandbox.client_key))
                return True

            def password_auth_supported(self) -> bool:
                return True

            def validate_password(self, username: str, password: str) -> bool:
                return username == sandbox.user and password == sandbox.password

            def public_key_auth_supported(self) -> bool:
                return sandbox.client_key is not None

        class Folder(asyncssh.SFTPServer):
            def map_path(self, path: bytes) -> bytes:
                """Every request naming a path passes here first: count it, or drop it under a fault."""
                if sandbox._dropping(cast(asyncssh.SSHServerConnection, self.channel.get_connection())):
                    raise asyncssh.SFTPConnectionLost("connection dropped by a sandbox fault")
                sandbox.operations += 1
                return super().map_path(path)

        return await asyncssh.listen(
            "127.0.0.1", 0, server_host_keys=[self._key], server_factory=Server,
            sftp_factory=lambda chan: Folder(chan, chroot=str(self.root).encode()), allow_scp=False)

    def stop(self) -> None:
        if self._server is not None:
            server, self._server = self._server, None

            async def closed() -> None:
                server.close()
                await server.wait_closed()
            asyncio.run_coroutine_threadsafe(closed(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    def __enter__(self) -> SftpSandbox:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

