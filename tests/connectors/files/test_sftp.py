"""The SFTP transport: dropped connections are TransientErrors retried by exactly the configured
attempts; a refused login or a wrong host key stops at once; key-based login; no host key, no run."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from tests.connectors.files.conftest import ENVIRON, options
from tradewind.connectors.files import Files
from tradewind.connectors.files.options import FilesOptions
from tradewind.connectors.retry import RetryPolicy
from tradewind.errors import ConfigError, TransientError
from tradewind.sandboxes.sftp import SftpSandbox

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import asyncssh


def connect(server: SftpSandbox, attempts: int = 3, **changes: object) -> Files:
    opts = options("", server, stock={"pattern": "*.csv"}).model_copy(update=changes)
    return Files(opts, environ=ENVIRON, retry=RetryPolicy(attempts=attempts, backoff=0.0, max_backoff=0.0))


def test_dropped_connections_are_retried_until_one_holds(sftp: SftpSandbox) -> None:
    (sftp.root / "s.csv").write_text("sku,location,on_hand\nA,main,1\n")
    sftp.drop_connections(2)
    files = connect(sftp, attempts=3)
    try:
        pages = list(files.resource("stock").pages(files.client, None))
    finally:
        files.close()
    assert ["A,main"] == [r.id for p in pages for r in p.records]
    assert (3, 2) == (sftp.connections, sftp.dropped)


def test_a_connection_dropped_while_open_is_replaced_on_the_retry(sftp: SftpSandbox) -> None:
    (sftp.root / "s.csv").write_text("sku,location,on_hand\nA,main,1\n")
    files = connect(sftp, attempts=2)
    try:
        assert ["s.csv"] == [f.name for f in files.client.files("", "*.csv")]
        sftp.drop_connections(1)  # the open connection goes down at its next request
        assert ["s.csv"] == [f.name for f in files.client.files("", "*.csv")]
    finally:
        files.close()
    assert (2, 1) == (sftp.connections, sftp.dropped)


def test_a_server_that_keeps_dropping_costs_exactly_the_configured_attempts(sftp: SftpSandbox) -> None:
    sftp.drop_connections(10)
    files = connect(sftp, attempts=4)
    try:
        with pytest.raises(TransientError, match="SFTP list"):
            files.client.files("", "*")
    finally:
        files.close()
    assert 4 == sftp.connections


def test_a_refused_login_is_a_config_error_and_not_retried(sftp: SftpSandbox) -> None:
    files = Files(options("", sftp), environ={"FILES_SFTP_PASSWORD": "wrong"}, retry=RetryPolicy(attempts=3))
    try:
        with pytest.raises(ConfigError, match="refused the login"):
            files.client.files("", "*")
    finally:
        files.close()
    assert 1 == sftp.connections


def test_another_host_key_is_refused(sftp: SftpSandbox, tmp_path: Path) -> None:
    other = asyncssh.generate_private_key("ssh-ed25519").export_public_key().decode().strip()
    files = connect(sftp, host_key=other)
    try:
        with pytest.raises(ConfigError, match="host key"):
            files.client.files("", "*")
    finally:
        files.close()


def test_login_with_a_private_key(tmp_path: Path) -> None:
    key = asyncssh.generate_private_key("ssh-ed25519")
    root = tmp_path / "keyed"
    root.mkdir()
    (root / "hello.csv").write_text("x\n")
    with SftpSandbox(root, password="unused-" + "x" * 8, client_key=key.export_public_key().decode()) as server:
        opts = FilesOptions(location=server.url, private_key="${KEY}", host_key=server.host_key)  # type: ignore[arg-type]
        files = Files(opts, environ={"KEY": key.export_private_key().decode()})
        try:
            assert ["hello.csv"] == [f.name for f in files.client.files("", "*.csv")]
        finally:
            files.close()


def test_sftp_without_host_key_or_credentials_is_refused() -> None:
    with pytest.raises(ConfigError, match="host_key"):
        _ = Files(FilesOptions(location="sftp://u@127.0.0.1:1/x", password="${P}")).client  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="password"):
        _ = Files(FilesOptions(location="sftp://u@127.0.0.1:1/x", host_key="ssh-ed25519 AAAA")).client
    with pytest.raises(ValueError, match="never in the location"):
        FilesOptions(location="sftp://u:secret@127.0.0.1:1/x")
