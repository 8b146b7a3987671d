"""Files: CSV or XML files in a folder, on this machine or on an SFTP server.

Sources read files in a stable order, a page at a time, with the file name as cursor; a file is
moved to ``processed`` only once every record of it is durable (``Page.durable``). Targets write
one file per batch, atomically (temporary name, then rename). Pick lists are orders written one
row per order line.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import unquote, urlsplit

from tradewind.connectors import connector
from tradewind.connectors.base import (
    Capability,
    Connector,
    FileName,
    Found,
    NativeRecord,
    Page,
    Refs,
    Resource,
    Write,
    WriteResult,
)
from tradewind.connectors.files import codec, formats, reading
from tradewind.connectors.files.client import FilesClient, LocalStorage
from tradewind.connectors.files.options import FileSettings, FilesOptions
from tradewind.errors import ConfigError
from tradewind.model import Customer, Entity, Order, Price, Product, StockLevel

E = TypeVar("E", bound=Entity)


class FilesResource(Resource[E]):
    """One entity's files. The declaration is shared; :meth:`bound` gives the connection's copy,
    which holds its settings and passes them to the reader and codec explicitly."""

    def __init__(self, entity: type[E], *, natural_keys: Sequence[str], description: str,
                 can: Sequence[Capability] = ("read", "create", "update", "bulk")) -> None:
        super().__init__(entity, native_key="id", natural_keys=natural_keys, cursor=FileName(), can=can,
                         decode=self._decode, encode=self._encode, description=description, batch_size=500)
        self.layout = reading.Layout(resource="", kind=entity.kind, format="csv", settings=FileSettings(),
                                     keys=tuple(natural_keys))

    def __set_name__(self, owner: type, name: str) -> None:
        super().__set_name__(owner, name)
        self.layout = reading.Layout(resource=name, kind=self.entity.kind, format="csv", settings=FileSettings(),
                                     keys=self.natural_keys)

    def bind(self, connection: Connector) -> FilesResource[E]:
        """The connection's copy: its file layout for this resource, handed to reader and codec."""
        options = connection.options
        assert isinstance(options, FilesOptions)
        copied = copy.copy(self)
        copied.connection = connection
        copied.layout = reading.Layout(resource=self.name, kind=self.entity.kind, format=options.format,
                                       settings=options.settings(self.name), keys=self.natural_keys)
        copied.decode, copied.encode = copied._decode, copied._encode
        return copied

    def _decode(self, native: dict[str, Any]) -> E:
        decoded: E = codec.decode(native, entity=self.entity, settings=self.layout.settings,
                                  columns=self.layout.columns)
        return decoded

    def _encode(self, entity: E, refs: Refs) -> dict[str, Any]:
        return codec.encode(entity, refs, columns=self._columns())

    def _columns(self) -> dict[str, str]:
        return codec.mapping(self.layout.settings, self.name)

    def pages(self, client: FilesClient, since: str | None) -> Iterator[Page]:
        return reading.pages(client, self.layout, since)

    def find(self, client: FilesClient, keys: Mapping[str, str]) -> Found:
        """Files written are not searched: a file target holds no look-up, so nothing is found."""
        return None

    def write_many(self, client: FilesClient, writes: Sequence[Write]) -> list[WriteResult]:
        """One file for the whole batch, renamed into place complete; the engine binds the records
        only after this returns, so a crash before leaves no binding and no visible file."""
        refused = [w for w in writes if w.native_id is not None and "update" not in self.can]
        if refused:
            return super().write_many(client, writes)
        settings, ext = self.layout.settings, self.layout.format
        name = settings.output.format(resource=self.name, now=datetime.now(UTC), uid=uuid.uuid4().hex[:8], ext=ext)
        path = client.write_atomic(settings.folder, name, self._file(writes))
        return [WriteResult(record=NativeRecord(id=f"{path}#{w.key or index}", data=w.native))
                for index, w in enumerate(writes)]

    def _file(self, writes: Sequence[Write]) -> bytes:
        settings, columns = self.layout.settings, self._columns()
        if self.layout.format == "csv":
            rows = [row for w in writes for row in w.native["rows"]]
            return formats.csv_bytes(rows, list(columns), settings.csv, settings.encoding)
        repeated = codec.REPEATED.get(self.entity.kind)
        lines = {c for c, f in columns.items() if repeated and f.startswith(f"{repeated}.")}
        return formats.xml_bytes([w.native["rows"] for w in writes], list(columns), lines, settings.xml,
                                 settings.encoding)


@connector
class Files(Connector):
    name = "files"
    label = "Files (CSV or XML, local folder or SFTP)"
    Options = FilesOptions

    products = FilesResource(Product, natural_keys=["key"], description="One row per product, or consecutive "
                             "rows with one key for its variants (`variants.` fields)")
    prices = FilesResource(Price, natural_keys=["sku", "price_list"], description="One row per SKU and price list")
    stock = FilesResource(StockLevel, natural_keys=["sku", "location"], description="One row per SKU and location")
    customers = FilesResource(Customer, natural_keys=["email"], description="One row per customer")
    orders = FilesResource(Order, natural_keys=["number"], description="Consecutive rows with one order number "
                           "are its lines (`lines.` fields)")
    pick_lists = FilesResource(Order, natural_keys=["number"], can=("create", "bulk"), description="Orders "
                               "written one row per order line (number, SKU, quantity, name, address); "
                               "write-only: use `write: create`")

    def __init__(self, options: Any, **kwargs: Any) -> None:
        super().__init__(options, **kwargs)
        self._client: FilesClient | None = None

    @property
    def opts(self) -> FilesOptions:
        assert isinstance(self.options, FilesOptions)
        return self.options

    def account_key(self) -> str:
        location = urlsplit(self.opts.location)
        return f"files:{location.hostname or 'local'}:{location.port or ''}{location.path or self.opts.location}"

    @property
    def client(self) -> FilesClient:
        if self._client is None:
            self._client = FilesClient(self._storage(), retry=self.retry, where=self.account_key())
        return self._client

    def _storage(self) -> Any:
        location = self.opts.location
        if not location.startswith("sftp://"):
            return LocalStorage(location.removeprefix("file://"))
        from tradewind.connectors.files.sftp import SftpStorage, SftpTarget  # asyncssh only when used

        url = urlsplit(location)
        if not url.hostname or not url.username:
            raise ConfigError(f"{location!r} needs a user and a host: sftp://user@host:port/path")
        if not self.opts.host_key:
            raise ConfigError("an SFTP connection needs `host_key`", hint="ssh-keyscan -p PORT HOST shows it")
        if self.opts.password is None and self.opts.private_key is None:
            raise ConfigError("an SFTP connection needs `password` or `private_key`")
        return SftpStorage(SftpTarget(
            host=url.hostname, port=url.port or 22, user=unquote(url.username), root=unquote(url.path) or ".",
            host_key=self.opts.host_key, timeout=self.opts.timeout,
            password=self.secret(self.opts.password) if self.opts.password else None,
            private_key=self.secret(self.opts.private_key) if self.opts.private_key else None))

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
        super().close()
