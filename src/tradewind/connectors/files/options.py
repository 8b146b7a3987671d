"""What a files connection is configured with: where the files are, and per resource how to read them.

The per-resource settings are a model of their own so the codec and the reader receive them
explicitly (no options hidden in a client cache or in the records).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from tradewind.connectors.base import ConnectionOptions, SecretRef


class CsvSettings(BaseModel):
    """How a CSV file is laid out (Python's csv module reads and writes it)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    delimiter: str = Field(default=",", min_length=1, max_length=1, description="Field separator, e.g. ';' for Dutch "
                           "Excel exports", examples=[";"])
    quotechar: str = Field(default='"', min_length=1, max_length=1, description="Quote character around fields")
    header: bool = Field(default=True, description="Whether the first row names the columns")
    columns: list[str] = Field(default_factory=list, description="Column names when the file has no header row")

    @model_validator(mode="after")
    def _named(self) -> CsvSettings:
        if not self.header and not self.columns:
            raise ValueError("a CSV file without a header row needs `columns` to name its columns")
        return self


class XmlSettings(BaseModel):
    """How records sit in an XML file; field paths are ElementPath relative to the record element."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    record: str = Field(default="Record", description="Tag of the element holding one record", examples=["Product"])
    lines: str | None = Field(default=None, description="Path (from the record) of repeated line elements, for orders' "
                              "lines or products' variants; their fields' paths are relative to each line",
                              examples=["Lines/Line"])
    root: str = Field(default="Records", description="Root element of files written")


class FileSettings(BaseModel):
    """One resource's files: which, how they are encoded, how columns become fields, where they go after."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    folder: str = Field(default="", description="Folder below the connection's location ('' for the location itself)",
                        examples=["in/products"])
    pattern: str = Field(default="*", description="Glob of the file names read (files starting with '.' never are)",
                         examples=["products-*.csv"])
    order_by: Literal["name", "mtime"] = Field(default="name", description="Order files are read in: by name, or by "
                                                "modification time (then name)")
    encoding: str | None = Field(default=None, description="Text encoding; default utf-8 for CSV, the file's own "
                                 "declaration for XML", examples=["cp1252"])
    csv: CsvSettings = Field(default_factory=lambda: CsvSettings(), description="CSV layout")
    xml: XmlSettings = Field(default_factory=lambda: XmlSettings(), description="XML layout")
    fields: dict[str, str] = Field(default_factory=dict, description="Column (CSV) or element path (XML) → "
                                   "canonical field path; fields of repeated lines start with 'lines.' "
                                   "(orders) or 'variants.' (products)",
                                   examples=[{"Artikelnummer": "variants.sku", "Omschrijving": "title"}])
    currency: str = Field(default="EUR", description="Currency of amounts in the files")
    decimal: Literal[".", ","] = Field(default=".", description="Decimal separator of amounts and quantities")
    timezone: str | None = Field(default=None, description="Time zone of times written without one (never guessed: a "
                                 "time without zone fails its record when this is empty)",
                                 examples=["Europe/Amsterdam"])
    page_size: int = Field(default=500, ge=1, le=100_000, description="Records per page read")
    processed: str | None = Field(default=None, description="Folder (below the location) files are moved to once every "
                                  "record of theirs is durable; then every file still in `folder` is read, "
                                  "else files after the cursor only", examples=["processed"])
    failed: str | None = Field(default=None, description="Folder files that could not be read to the end (bad "
                               "encoding, malformed XML) are moved to instead of `processed`", examples=["failed"])
    output: str = Field(default="{resource}-{now:%Y%m%dT%H%M%S}Z-{uid}.{ext}", description="Name of files written "
                        "(one per batch); placeholders {resource}, {now} (UTC), {uid}, {ext}",
                        examples=["picklist-{now:%Y%m%d-%H%M%S}-{uid}.csv"])

    @field_validator("folder", "processed", "failed")
    @classmethod
    def _relative(cls, value: str | None) -> str | None:
        if value is not None and (value.startswith("/") or ".." in value.split("/")):
            raise ValueError(f"{value!r} must be a folder below the location (no leading '/', no '..')")
        return value.strip("/") if value is not None else None


class FilesOptions(ConnectionOptions):
    """A folder of CSV or XML files, on this machine or on an SFTP server (see docs/connectors.md)."""

    location: str = Field(description="A local folder, or sftp://user@host:port/path",
                          examples=["sftp://tradewind@files.example.com:22/outbox"])
    format: Literal["csv", "xml"] = Field(default="csv", description="File format of every resource of this connection")
    password: SecretRef | None = Field(default=None, description="SFTP password", examples=["${SFTP_PASSWORD}"])
    private_key: SecretRef | None = Field(default=None, description="SFTP private key (OpenSSH or PEM text)",
                                          examples=["${SFTP_KEY}"])
    host_key: str | None = Field(default=None, description="The SFTP server's public host key as in known_hosts "
                                 "('ssh-ed25519 AAAA…'); required for SFTP, never skipped",
                                 examples=["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI…"])
    timeout: float = Field(default=30.0, gt=0, description="Seconds to wait for the SFTP server per call")
    resources: dict[Literal["products", "prices", "stock", "customers", "orders", "pick_lists"], FileSettings] = \
        Field(default_factory=dict, description="Settings per resource; a resource left out uses the defaults. "
              "Keys: `folder`, `pattern` (glob), `order_by` (name or mtime), `encoding`, `csv` (`delimiter`, "
              "`quotechar`, `header`, `columns`), `xml` (`record`, `lines`, `root`), `fields` (column or element "
              "path → canonical field path), `currency`, `decimal`, `timezone` (of times without one), "
              "`page_size`, `processed` and `failed` (folders), `output` (name template of files written: "
              "{resource}, {now}, {uid}, {ext})",
        examples=[{"products": {"pattern": "products-*.csv", "processed": "done"}}])

    @field_validator("location")
    @classmethod
    def _location(cls, value: str) -> str:
        if value.startswith("sftp://") and ":" in value[len("sftp://"):].split("@")[0]:
            raise ValueError("write the SFTP password as `password: ${ENV}`, never in the location")
        return value

    def settings(self, resource: str) -> FileSettings:
        return self.resources.get(resource, FileSettings())  # type: ignore[call-overload, call-arg]
