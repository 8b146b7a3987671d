"""Files → pages of records: files in a stable order, each one or more pages, the last page of a
file carrying the file's cursor value and the callback that moves it aside once it is durable.

A record's source id is its natural key (``A-1``; ``A-1,main`` for stock), so the same SKU in
Monday's and Tuesday's file is one record updated, not two; a row without it is ``file:line``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, Any

import structlog

from tradewind.connectors.base import NativeRecord, Page
from tradewind.connectors.files import codec, formats
from tradewind.connectors.files.client import FileInfo, FilesClient
from tradewind.connectors.files.options import FileSettings
from tradewind.errors import TransientError
from tradewind.model import content_hash

log = structlog.get_logger("tradewind.files")


@dataclass(frozen=True)
class Layout:
    """What the reader needs to know of one bound resource: its settings, format and keys."""

    resource: str
    kind: str
    format: str
    settings: FileSettings
    keys: tuple[str, ...]

    @property
    def columns(self) -> dict[str, str] | None:
        """Column → field; None when the file's own column names are the fields (no mapping set)."""
        if self.settings.fields or self.format == "xml":
            return codec.mapping(self.settings, self.resource)
        return None


def cursor_value(info: FileInfo, order_by: str) -> str:
    """Sorts as the files are read: the name, or the modification time (UTC, fixed width) then the name."""
    return info.name if order_by == "name" else f"{info.mtime:%Y-%m-%dT%H:%M:%S.%f}Z {info.name}"


def pages(client: FilesClient, layout: Layout, since: str | None) -> Iterator[Page]:
    """Every file not yet processed, in order. With a ``processed`` folder the folder itself is the
    state (every file still there is read; records already written come back unchanged and cost
    nothing); without one, files after the cursor ``since``."""
    settings = layout.settings
    found = sorted(client.files(settings.folder, settings.pattern),
                   key=lambda info: cursor_value(info, settings.order_by))
    for info in found:
        mark = cursor_value(info, settings.order_by)
        if since is not None and settings.processed is None and mark <= since:
            continue
        yield from file_pages(client, layout, info, mark)


def file_pages(client: FilesClient, layout: Layout, info: FileInfo, mark: str) -> Iterator[Page]:
    fatal: list[bool] = []
    with client.reading(info.path) as stream:
        page: list[NativeRecord] = []
        for record in records(rows(stream, layout), info.name, layout, fatal):
            if len(page) == layout.settings.page_size:
                yield Page(records=page)
                page = []
            page.append(record)
    yield Page(records=page, cursor=mark, durable=_mover(client, layout.settings, info, fatal))


def rows(stream: IO[bytes], layout: Layout) -> Iterator[dict[str, Any]]:
    settings = layout.settings
    if layout.format == "csv":
        return formats.csv_rows(stream, settings.csv, settings.encoding)
    columns = layout.columns or {}
    repeated = codec.REPEATED.get(layout.kind)
    lined = bool(settings.xml.lines and repeated)
    line_paths = [p for p, f in columns.items() if lined and f.startswith(f"{repeated}.")]
    return formats.xml_rows(stream, settings.xml, settings.encoding,
                            [p for p in columns if p not in line_paths], line_paths)


def records(found: Iterator[dict[str, Any]], file: str, layout: Layout, fatal: list[bool]) -> Iterator[NativeRecord]:
    """Rows → records: consecutive rows with one key form one record where the entity has lines
    (orders) or variants (products); a key seen again later in the file is a problem of its own."""
    grouped = layout.kind in codec.REPEATED
    seen: dict[str, int] = {}
    current: tuple[str, list[dict[str, Any]]] | None = None
    for row in found:
        fatal.extend([True] if row.get("fatal") else [])
        key = _key(row, layout)
        if grouped and current is not None and key is not None and key == current[0]:
            current[1].append(row)
            continue
        if current is not None:
            yield _record(current, file)
        if key is not None and key in seen:
            row = {"line": row["line"], "problem": f"repeats {key} of line {seen[key]}; a record appears once a file"}
            key = None
        if key is not None:
            seen[key] = row["line"]
        current = (key or f"{file}:{row['line']}", [row])
    if current is not None:
        yield _record(current, file)


def _key(row: dict[str, Any], layout: Layout) -> str | None:
    if "values" not in row:
        return None
    values = row["values"]
    columns = layout.columns if layout.columns is not None else {name: name for name in values}
    return codec.record_key(values, columns, layout.keys, layout.kind)


def _record(current: tuple[str, list[dict[str, Any]]], file: str) -> NativeRecord:
    key, found = current
    version = content_hash([row.get("values") or row.get("problem") for row in found])[:16]
    return NativeRecord(id=key, data={"file": file, "rows": found}, version=version)


def _mover(client: FilesClient, settings: FileSettings, info: FileInfo, fatal: list[bool]) -> Callable[[], None]:
    """Moves the file aside once the engine says every record of it is durable. A file that could
    not be read to the end goes to ``failed`` (left in place when there is none); a move that fails
    is logged and tried again on the next run, which finds the file unchanged."""
    def durable() -> None:
        folder = settings.failed if fatal else settings.processed
        if folder is None:
            return
        try:
            moved = client.move_aside(info.path, folder)
        except (TransientError, FileNotFoundError) as error:
            log.warning("file_not_moved", file=info.path, folder=folder, error=str(error))
            return
        log.info("file_moved", file=info.path, to=moved)
    return durable
