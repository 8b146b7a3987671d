"""CSV and XML ⇄ rows: ``{"line": n, "values": {column or path: text}}``, streamed from a binary file.

CSV goes through the csv module; XML through lxml with a hardened parser (no entity expansion, no
DTD, no network), so a hostile file cannot read local files or blow up memory. A row that cannot
be taken apart becomes ``{"line": n, "problem": why}``; a file that cannot be read on (a wrong
encoding, malformed XML) ends with such a row marked ``fatal``.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from typing import IO, Any

from lxml import etree

from tradewind.connectors.files.options import CsvSettings, XmlSettings

Row = dict[str, Any]


def csv_rows(stream: IO[bytes], settings: CsvSettings, encoding: str | None) -> Iterator[Row]:
    """Rows of a CSV file; the header row (if any) names the columns, a UTF-8 BOM is dropped."""
    name = encoding or "utf-8"
    text = io.TextIOWrapper(stream, encoding="utf-8-sig" if codecs.lookup(name).name == "utf-8" else name,
                            newline="")
    reader = csv.reader(text, delimiter=settings.delimiter, quotechar=settings.quotechar, strict=True)
    start = 1
    try:
        header = list(settings.columns) if not settings.header else [c.strip() for c in next(reader, [])]
        start = reader.line_num + 1
        for cells in reader:
            line, start = start, reader.line_num + 1
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) != len(header):
                yield {"line": line, "problem": f"{len(cells)} fields where the header has {len(header)}"}
                continue
            yield {"line": line, "values": dict(zip(header, cells, strict=True))}
    except UnicodeDecodeError as error:
        yield {"line": start, "problem": f"cannot be read as {name} from here on ({error.reason})", "fatal": True}
    except csv.Error as error:
        yield {"line": start, "problem": f"not valid CSV from here on ({error})", "fatal": True}


def xml_rows(stream: IO[bytes], settings: XmlSettings, encoding: str | None, paths: list[str],
             line_paths: list[str]) -> Iterator[Row]:
    """Rows of an XML file: one per record element, or one per line element of it (each with the
    record's own fields), so XML and CSV records look alike to the codec."""
    events = etree.iterparse(stream, events=("end",), tag=settings.record, encoding=encoding,
                             resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                             remove_comments=True)
    line = 1
    try:
        for _, element in events:
            line = element.sourceline or line
            own = {path: text for path in paths if (text := _find(element, path)) is not None}
            lines = element.findall(settings.lines) if settings.lines else []
            if not lines:
                yield {"line": line, "values": own}
            for item in lines:
                values = {path: text for path in line_paths if (text := _find(item, path)) is not None}
                yield {"line": item.sourceline or line, "values": {**own, **values}}
            _forget(element)
    except etree.XMLSyntaxError as error:
        yield {"line": error.lineno or line, "problem": f"not well-formed XML from here on ({error.msg})",
               "fatal": True}


def _find(element: Any, path: str) -> str | None:
    """The text at ``path`` (ElementPath), or the attribute for ``path/@name`` or ``@name``."""
    node_path, _, attribute = path.partition("@")
    node_path = node_path.rstrip("/")
    node = element.find(node_path) if node_path else element
    if node is None:
        return None
    value = node.get(attribute) if attribute else node.text
    return str(value) if value is not None else None


def _forget(element: Any) -> None:
    """Free what iterparse built so far: a large file is read in constant memory."""
    element.clear()
    parent = element.getparent()
    while parent is not None and element.getprevious() is not None:
        del parent[0]


# -- writing ------------------------------------------------------------------------------------

def csv_bytes(rows: list[dict[str, str]], columns: list[str], settings: CsvSettings, encoding: str | None) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=settings.delimiter, quotechar=settings.quotechar, lineterminator="\r\n")
    if settings.header:
        writer.writerow(columns)
    writer.writerows([[row.get(column, "") for column in columns] for row in rows])
    return out.getvalue().encode(encoding or "utf-8")


def xml_bytes(records: list[list[dict[str, str]]], columns: list[str], line_columns: set[str],
              settings: XmlSettings, encoding: str | None) -> bytes:
    """One record element per record; line fields go below one ``settings.lines`` element per row."""
    root = etree.Element(settings.root)
    for rows in records:
        element = etree.SubElement(root, settings.record)
        for column in columns:
            if column not in line_columns and rows[0].get(column):
                _put(element, column, rows[0][column])
        if settings.lines and line_columns:
            for row in rows:
                item = _make(element, settings.lines, new=True)
                for column in columns:
                    if column in line_columns and row.get(column):
                        _put(item, column, row[column])
    return bytes(etree.tostring(root, xml_declaration=True, encoding=encoding or "utf-8", pretty_print=True))


def _put(element: Any, path: str, text: str) -> None:
    node_path, _, attribute = path.partition("@")
    node = _make(element, node_path.rstrip("/")) if node_path.rstrip("/") else element
    if attribute:
        node.set(attribute, text)
    else:
        node.text = text


def _make(element: Any, path: str, *, new: bool = False) -> Any:
    """The element at ``path`` below ``element``, made where missing (the last step anew if ``new``)."""
    parts = path.split("/")
    for index, part in enumerate(parts):
        found = element.find(part)
        element = etree.SubElement(element, part) if found is None or (new and index == len(parts) - 1) else found
    return element
