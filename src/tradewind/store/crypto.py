"""The key that seals secrets at rest (OAuth tokens in the token store), with Fernet.

Where the key comes from, first match wins:

1. ``TRADEWIND_SECRET_KEY``: one or more Fernet keys, comma-separated. The first seals, all open:
   to rotate, put a new key first, run ``StoreTokens.rotate_keys()`` (``tradewind secrets rotate``),
   then drop the old key.
2. ``TRADEWIND_SECRET_KEY_FILE``: a file holding the same (keys comma- or line-separated).
3. A key file made on first use with mode 0600: ``.tradewind.key`` beside a SQLite database, or
   ``$XDG_CONFIG_HOME/tradewind/secret.key`` (``~/.config/…``) for a server database. A PostgreSQL
   store shared by several machines needs the same key on each: set 1 or 2 there (a machine whose
   key does not open the stored tokens says so and names the variable).

A lost key cannot be recovered: the tokens it sealed are unreadable, and the connection is
authorised again.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy.engine import make_url

from tradewind.errors import ConfigError

KEY_ENV = "TRADEWIND_SECRET_KEY"
KEY_FILE_ENV = "TRADEWIND_SECRET_KEY_FILE"
DEFAULT_KEY_FILE = ".tradewind.key"


class Vault:
    """Seals and opens short texts. ``keys[0]`` seals; every key opens (MultiFernet)."""

    def __init__(self, keys: list[str]) -> None:
        if not keys:
            raise ConfigError("no secret key given", hint=f"set {KEY_ENV} (see `Fernet.generate_key()`)")
        try:
            self._fernet = MultiFernet([Fernet(key.strip().encode()) for key in keys])
        except (ValueError, TypeError):
            # the key's own text must not travel in the error (nor in its cause)
            raise ConfigError("a secret key is not a Fernet key (32 url-safe base64-encoded bytes)",
                              hint=f"make one with: python -c 'from cryptography.fernet import Fernet; "
                                   f"print(Fernet.generate_key().decode())' and set {KEY_ENV}") from None

    def seal(self, text: str) -> str:
        return self._fernet.encrypt(text.encode()).decode()

    def open(self, sealed: str) -> str:
        """The plain text; :class:`ConfigError` when no key in use sealed it."""
        try:
            return self._fernet.decrypt(sealed.encode()).decode()
        except InvalidToken:
            raise ConfigError("the secret key does not open a stored token (was the key changed or lost?)",
                              hint=f"put the old key after the new one in {KEY_ENV}, or authorise the "
                                   "connection again") from None

    def reseal(self, sealed: str) -> str:
        """The same text sealed with the newest key (key rotation)."""
        try:
            return self._fernet.rotate(sealed.encode()).decode()
        except InvalidToken:
            raise ConfigError("the secret key does not open a stored token; it cannot be re-encrypted",
                              hint=f"keep the old key listed after the new one in {KEY_ENV}") from None


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.replace("\n", ",").split(",") if part.strip()]


def default_key_file(database_url: str, environ: Mapping[str, str] | None = None) -> Path:
    """``.tradewind.key`` beside a SQLite database file, else the user's ``tradewind/secret.key``."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(url.database).resolve().parent / DEFAULT_KEY_FILE
    env = os.environ if environ is None else environ
    config = Path(env.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return config / "tradewind" / "secret.key"


def _create_key_file(path: Path) -> None:
    """Write a new key readable by its owner only, atomically: two processes starting at once
    both end with the one key that won the link."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tradewind-key-")  # mode 0600
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(Fernet.generate_key() + b"\n")
            file.flush()
            os.fsync(file.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass
    finally:
        os.unlink(temporary)


def _read_keys(path: Path) -> list[str]:
    try:
        return _split(path.read_text())
    except OSError as error:
        raise ConfigError(f"cannot read the secret key file {path}: {error.strerror}",
                          hint=f"check {KEY_FILE_ENV} and the file's permissions") from None


def vault_for(database_url: str, environ: Mapping[str, str] | None = None) -> Vault:
    """The vault for the store at ``database_url`` (see the module docstring for the key's origin)."""
    env = os.environ if environ is None else environ
    if env.get(KEY_ENV, "").strip():
        return Vault(_split(env[KEY_ENV]))
    if env.get(KEY_FILE_ENV, "").strip():
        return Vault(_read_keys(Path(env[KEY_FILE_ENV]).expanduser()))
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and (not url.database or url.database == ":memory:"):
        return Vault([Fernet.generate_key().decode()])  # the tokens die with the database
    path = default_key_file(database_url, env)
    if not path.exists():
        _create_key_file(path)
    return Vault(_read_keys(path))


__all__ = ["DEFAULT_KEY_FILE", "KEY_ENV", "KEY_FILE_ENV", "Vault", "default_key_file", "vault_for"]
