"""The checks of a project file: every problem at once, each at its place; the Flows when there are none.

Passes that never stop at the first problem: YAML syntax and duplicate keys (read within bounds by
:mod:`tradewind.engine.project_yaml`), structure (pydantic, each error's ``loc`` turned into the
place of the offending key), then meaning (connectors, options, secrets, resources, capabilities,
entity kinds, schedules, expressions, cursors, match keys, dependencies between flows).
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, timedelta
from graphlib import CycleError, TopologicalSorter
from pathlib import Path
from typing import Any, Union, get_args, get_origin

from apscheduler.triggers.cron import CronTrigger
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails
from ruamel.yaml.comments import CommentedMap
from sqlalchemy import make_url
from sqlalchemy.exc import ArgumentError

from tradewind import connectors as registry
from tradewind.connectors.base import (
    ConnectionOptions,
    Connector,
    FileName,
    Resource,
    SecretRef,
    SyncToken,
    UpdatedSince,
)
from tradewind.engine import project_yaml
from tradewind.engine.flow import Connection, Flow, Project, RetrySpec, Schedule
from tradewind.engine.project.positions import Loc, Problem, in_file_order, mapping_loc, plain, where
from tradewind.engine.project.schema import (
    ENDPOINT,
    EXTENSION_PREFIX,
    NAME,
    SETTINGS_ENV,
    WRITE_NEEDS,
    ConnectionSpec,
    FlowSpec,
    NotifySpec,
    ProjectSpec,
    RetryOptions,
    SettingsSpec,
    is_stable_field,
    parse_interval,
)
from tradewind.errors import ConfigError
from tradewind.mapping import DEFAULT_ROOTS, compile_filter, compile_mapping
from tradewind.model import ENTITIES
from tradewind.store.db import URL_ENV


def _known(name: str, known: Iterable[str], label: str) -> str:
    """A hint listing what exists, with a guess when the name is a near miss."""
    names = sorted(known)
    guess = difflib.get_close_matches(name, names, n=1)
    listed = f"{label}: {', '.join(names)}" if names else f"no {label}"
    return f"did you mean {guess[0]!r}? {listed}" if guess else listed


def _fields_at(model: type[BaseModel], loc: Loc) -> dict[str, Any]:
    """The pydantic fields (by alias) of the model reached by ``loc``, for naming allowed keys."""
    current: Any = model
    for part in loc:
        if isinstance(current, type) and issubclass(current, BaseModel):
            fields = {f.alias or n: f for n, f in current.model_fields.items()}
            if part not in fields:
                return {}
            current = _unwrap(fields[part].annotation)
        else:
            args = get_args(current)
            current = _unwrap(args[-1]) if args else None
    if isinstance(current, type) and issubclass(current, BaseModel):
        return {f.alias or n: f for n, f in current.model_fields.items()}
    return {}


def _without_typo_echoes(model: type[BaseModel], errors: list[ErrorDetails]) -> list[ErrorDetails]:
    """Drop "missing 'division'" when "unknown key 'divison'" beside it already says so: one typo, one problem."""
    guessed: set[Loc] = set()
    for error in errors:
        if error["type"] == "extra_forbidden" and error["loc"]:
            loc = tuple(error["loc"])
            guess = difflib.get_close_matches(str(loc[-1]), _fields_at(model, loc[:-1]), n=1)
            guessed.update((*loc[:-1], name) for name in guess)
    return [e for e in errors if not (e["type"] == "missing" and tuple(e["loc"]) in guessed)]


def _unwrap(annotation: Any) -> Any:
    if get_origin(annotation) in (Union, type(int | None)):
        rest = [arg for arg in get_args(annotation) if arg is not type(None)]
        return rest[0] if len(rest) == 1 else annotation
    return annotation


def _message(error: ErrorDetails) -> str:
    """pydantic's message, in words where it would show a type name or a regular expression."""
    if error["type"] in ("model_type", "dict_type"):
        return "must be a mapping of keys"
    if error["type"] == "string_pattern_mismatch":
        pattern = str((error.get("ctx") or {}).get("pattern", ""))
        return "must be an http:// or https:// URL with a host" if pattern.startswith("^https?://") else \
            "is not in the expected form"
    return error["msg"].removeprefix("Value error, ")


def _describe(field: Any) -> str | None:
    if field is None or not field.description:
        return None
    example = f"; e.g. {field.examples[0]!r}" if field.examples else ""
    return f"{field.description}{example}"


def _database_password(url: str) -> str | None:
    """The password in a database URL; None without one, or when it is no URL (reported by the settings check)."""
    try:
        return make_url(url).password
    except (ArgumentError, ValueError):
        return None


# --- the checker ------------------------------------------------------------------------------


@dataclass
class _ConnectionState:
    """What the checks learnt about one connection: its connector (if known) and the built connection."""

    connector: type[Connector] | None
    connection: Connection | None


@dataclass(frozen=True)
class _Endpoint:
    connection: str
    resource_name: str
    resource: Resource[Any]
    connector: type[Connector]

    def __str__(self) -> str:
        return f"{self.connection}.{self.resource_name}"


class Checker:
    """One pass over one file: collects problems, builds the project when there are none."""

    def __init__(self, path: str | Path, environ: Mapping[str, str] | None, check_secrets: bool) -> None:
        self.path = Path(path)
        self.file = str(path)
        self.environ: Mapping[str, str] = os.environ if environ is None else environ
        self.check_secrets = check_secrets
        self.root: Any = None
        self.problems: list[Problem] = []

    # -- places and problems --

    def where(self, loc: Loc, *, value: bool = False) -> str:
        """``file:line:col`` of the key at ``loc`` (its value with ``value=True``), or of the nearest parent."""
        return where(self.file, self.root, loc, value=value)

    def problem(self, loc: Loc, message: str, hint: str | None = None, *, value: bool = False) -> None:
        self.problems.append(Problem(self.where(loc, value=value), message, hint))

    def config_error(self, error: ConfigError, loc: Loc) -> None:
        self.problems.append(Problem(error.where or self.where(loc, value=True), error.message, error.hint))

    def validated(self, model: type[BaseModel], data: Any, base: Loc, what: str,
                  describe: Callable[[ErrorDetails], str | None] | None = None) -> BaseModel | None:
        """``model`` validated from ``data``, reporting every error; fields in error fall back to defaults."""
        context = {"project_dir": self.path.resolve().parent}  # relative paths in options mean beside the file
        try:
            return model.model_validate(data, context=context)
        except ValidationError as exc:
            for error in _without_typo_echoes(model, exc.errors(include_url=False, include_input=False)):
                self.pydantic_problem(model, error, base, what, describe)
            if not isinstance(data, dict):
                return None
            bad = {error["loc"][0] for error in exc.errors() if error["loc"]}
            try:
                return model.model_validate({k: v for k, v in data.items() if k not in bad}, context=context)
            except ValidationError:
                return None

    def pydantic_problem(self, model: type[BaseModel], error: ErrorDetails, base: Loc, what: str,
                         describe: Callable[[ErrorDetails], str | None] | None) -> None:
        loc: Loc = tuple(error["loc"])
        key = ".".join(str(part) for part in loc)
        fields = _fields_at(model, loc[:-1])
        name = str(loc[-1]) if loc else ""
        if describe is not None:
            hint = describe(error)
        elif error["type"] == "extra_forbidden":
            hint = _known(name, fields, "keys")
        else:
            hint = _describe(fields.get(name))
        message = _message(error)
        if error["type"] == "extra_forbidden":
            self.problem(base + loc, f"{what}: unknown key {name!r}", hint)
        elif error["type"] == "missing":
            self.problem(base + loc[:-1], f"{what} needs {key!r}", hint)
        else:
            self.problem(base + loc, f"{what}, {key}: {message}" if key else f"{what}: {message}", hint)

    # -- passes --

    def run(self) -> tuple[Project | None, list[Problem]]:
        if self.parse():
            project = self.check()
            if not self.problems:
                return project, []
        return None, sorted(self.problems, key=in_file_order)

    def parse(self) -> bool:
        """Read the file within bounds (:mod:`.project_yaml`); False when there is nothing to check further."""
        try:
            document = project_yaml.read(self.path)
        except project_yaml.Unreadable as exc:
            where = f"{self.file}:{exc.line}:{exc.column}" if exc.line else self.file
            self.problems.append(Problem(where, exc.message, exc.hint))
            return False
        self.root = document.data
        for key, line, column in document.duplicates:
            self.problems.append(Problem(f"{self.file}:{line + 1}:{column + 1}", f"duplicate key {key!r}",
                                         "each key may appear once in a mapping; the later one would be ignored"))
        if not isinstance(self.root, CommentedMap):
            self.problems.append(Problem(f"{self.file}:1:1", "the project file must be a mapping with "
                                         "`connections` and `flows`", "run `tradewind init` for an example"))
            return False
        return True

    def check(self) -> Project | None:
        for key in self.root:
            if key not in ProjectSpec.model_fields and not str(key).startswith(EXTENSION_PREFIX):
                self.problem((key,), f"unknown top-level key {key!r}", _known(str(key), ProjectSpec.model_fields,
                                                                              "keys"))
        settings, sources = self.settings()
        connections = {name: self.connection(str(name), raw) for name, raw in self.section("connections").items()}
        if "connections" not in self.root:
            self.problem((), "the project file needs `connections`", "see `tradewind init` for an example")
        raw_flows = self.section("flows")
        if not raw_flows and isinstance(self.root.get("flows"), CommentedMap | None):
            self.problem(("flows",), "no flows: add one under flows:", "a flow moves one entity kind, e.g. "
                         "flows: {products: {from: erp.products, to: shop.products}}; `tradewind init` writes an "
                         "example project")
        flows = {str(name): self.flow(str(name), raw, connections) for name, raw in raw_flows.items()}
        self.dependencies(raw_flows)
        notify = self.notify(raw_flows)
        if self.problems:
            return None
        return Project(path=self.file, settings=settings, setting_sources=sources,
                       connections={n: s.connection for n, s in connections.items() if s.connection},
                       flows={n: f for n, f in flows.items() if f}, notify=notify)

    def notify(self, raw_flows: Mapping[Any, Any]) -> NotifySpec | None:
        """The ``notify:`` block; its status reports name flows of this project."""
        if self.root.get("notify") is None:
            return None
        spec = self.validated(NotifySpec, plain(self.root["notify"]), ("notify",), "notify")
        if not isinstance(spec, NotifySpec):
            return None
        for name in spec.reports:
            if name not in raw_flows:
                self.problem(("notify", "reports", name), f"notify.reports names {name!r}, which is no flow",
                             _known(name, map(str, raw_flows), "flows"))
        return spec

    def dependencies(self, raw_flows: Mapping[Any, Any]) -> None:
        """``after`` names flows of this project, and the flows' dependencies have no cycle."""
        graph: dict[str, list[str]] = {}
        for name, raw in raw_flows.items():
            after = raw.get("after") if isinstance(raw, Mapping) else None
            if not isinstance(after, list):
                continue
            graph[str(name)] = [str(d) for d in after]
            for dependency in graph[str(name)]:
                if dependency not in raw_flows or dependency == str(name):
                    self.problem(("flows", name, "after"), f"flow {name!r}: after names {dependency!r}, which is "
                                 f"{'the flow itself' if dependency == str(name) else 'no flow of this project'}",
                                 _known(dependency, map(str, raw_flows), "flows"), value=True)
        try:
            tuple(TopologicalSorter(graph).static_order())
        except CycleError as cycle:
            loop = " → ".join(map(str, cycle.args[1]))
            self.problem(("flows", cycle.args[1][0], "after"), f"flows depend on each other in a circle: {loop}",
                         "remove one of the `after` entries")

    def section(self, key: str) -> Mapping[Any, Any]:
        raw = self.root.get(key)
        if raw is None:
            return {}
        if not isinstance(raw, CommentedMap):
            self.problem((key,), f"`{key}` must be a mapping of names", value=True)
            return {}
        return raw

    # -- settings --

    def settings(self) -> tuple[dict[str, Any], dict[str, str]]:
        """Settings by precedence environment > file > default, and where each came from."""
        in_file = plain(self.section("settings"))
        merged: dict[str, Any] = {}
        sources: dict[str, str] = {}
        for name, value in in_file.items():
            merged[name], sources[name] = value, self.where(("settings", name))
        for name, variable in SETTINGS_ENV.items():
            if variable in self.environ:
                merged[name], sources[name] = self.environ[variable], f"environment {variable}"
        self.credentials_in_file(in_file)
        spec = self.settings_spec(merged, sources)
        return spec.model_dump(), {name: sources.get(name, "default") for name in SettingsSpec.model_fields}

    def settings_spec(self, merged: dict[str, Any], sources: dict[str, str]) -> SettingsSpec:
        try:
            return SettingsSpec.model_validate(merged)
        except ValidationError as exc:
            for error in exc.errors(include_url=False, include_input=False):
                name = str(error["loc"][0])
                if sources.get(name, "").startswith("environment"):
                    message = error["msg"].removeprefix("Value error, ")
                    self.problems.append(Problem(sources[name], f"setting {name}: {message}",
                                                 _describe(SettingsSpec.model_fields[name])))
                else:
                    self.pydantic_problem(SettingsSpec, error, ("settings",), "settings", None)
            bad = {error["loc"][0] for error in exc.errors()}
            return SettingsSpec.model_validate({k: v for k, v in merged.items() if k not in bad})

    def credentials_in_file(self, in_file: dict[str, Any]) -> None:
        url = in_file.get("database_url")
        if isinstance(url, str) and _database_password(url):
            self.problem(("settings", "database_url"), "secrets are never written in the project file: "
                         "database_url holds a password", f"set {URL_ENV} in the environment instead", value=True)

    # -- connections --

    def connection(self, name: str, raw: Any) -> _ConnectionState:
        loc: Loc = ("connections", name)
        if not NAME.match(name):
            self.problem(loc, f"connection name {name!r} must be letters, digits, '_' or '-' (no dots)",
                         "flows name it as `connection.resource`")
        spec = self.validated(ConnectionSpec, plain(raw), loc, f"connection {name!r}")
        if not isinstance(spec, ConnectionSpec):
            return _ConnectionState(None, None)
        try:
            connector = registry.get(spec.connector)
        except ConfigError:
            self.problem((*loc, "connector"), f"unknown connector {spec.connector!r}",
                         _known(spec.connector, registry.available(), "known connectors"), value=True)
            return _ConnectionState(None, None)
        options = self.options(name, connector, dict(spec.model_extra or {}))
        if options is None:
            return _ConnectionState(connector, None)
        return _ConnectionState(connector, Connection(name, connector, options, detail_log=spec.detail_log,
                                                                  detail_retention_days=spec.detail_retention_days))

    def options(self, name: str, connector: type[Connector], raw: dict[str, Any]) -> ConnectionOptions | None:
        """The connector's options, with secrets refused as plain text and checked to be set."""
        loc: Loc = ("connections", name)
        model = connector.Options
        raw = {**model.from_project(plain(self.root)), **raw}
        plain_secrets = [key for key in model.secret_fields() if key in raw and not _is_reference(raw[key])]
        for key in plain_secrets:
            variable = f"{name}_{key}".upper().replace("-", "_")
            self.problem((*loc, key), f"connection {name!r}, option {key!r}: secrets are never written in the "
                         "project file", f"write {key}: ${{{variable}}} and set {variable} in the environment",
                         value=True)
        checked = {key: _PLACEHOLDER if key in plain_secrets else value for key, value in raw.items()}

        def describe(error: ErrorDetails) -> str | None:
            return self.option_hint(model, raw, str(error["loc"][0]) if error["loc"] else "")

        before = len(self.problems)
        options = self.validated(model, checked, loc, f"connection {name!r} ({connector.name})", describe)
        self.secrets_set(name, model, raw)
        if plain_secrets or len(self.problems) > before or not isinstance(options, ConnectionOptions):
            return None
        return options

    def option_hint(self, model: type[ConnectionOptions], raw: Mapping[str, Any], key: str) -> str | None:
        keys = {f.alias or name: f for name, f in model.model_fields.items()}  # as written in the file (`from`)
        field = keys.get(key)
        if field is None:
            guess = difflib.get_close_matches(key, keys, n=1)
            about = f" ({guess[0]}: {_describe(keys[guess[0]])})" if guess else ""
            return _known(key, keys, "options") + about
        hint = _describe(field)
        if key not in model.secret_fields() and _is_reference(raw.get(key)):
            hint = f"only secret options take ${{ENV}} references; write the value itself. {hint or ''}".strip()
        return hint

    def secrets_set(self, name: str, model: type[ConnectionOptions], raw: Mapping[str, Any]) -> None:
        """Every secret written as a reference names a variable that is set (unless told not to check)."""
        if not self.check_secrets:
            return
        for key in model.secret_fields():
            if _is_reference(raw.get(key)) and not self.environ.get(SecretRef(raw[key]).name):
                variable = SecretRef(raw[key]).name
                self.problem(("connections", name, key), f"connection {name!r}, option {key!r}: environment "
                             f"variable {variable} is not set", f"export {variable}=... before running", value=True)

    # -- flows --

    def flow(self, name: str, raw: Any, connections: Mapping[Any, _ConnectionState]) -> Flow | None:
        loc: Loc = ("flows", name)
        if not NAME.match(name):
            self.problem(loc, f"flow name {name!r} must be letters, digits, '_' or '-'")
        spec = self.validated(FlowSpec, plain(raw), loc, f"flow {name!r}")
        if not isinstance(spec, FlowSpec):
            return None
        before = len(self.problems)
        source = self.endpoint(name, "from", spec.from_, connections)
        target = self.endpoint(name, "to", spec.to, connections)
        if source and target:
            self.capabilities(name, spec, source, target)
        kind = source.resource.entity.kind if source else None
        schedule = self.schedule(name, spec)
        retry = self.retry(name, spec.retry)
        expressions = self.expressions(name, spec, kind)
        self.gates(name, spec, kind)
        if source and spec.cursor is not None:
            self.cursor(name, spec.cursor, source)
        if target:
            self.references(name, spec, target)
        if len(self.problems) > before or not (source and target and schedule and retry and expressions):
            return None
        return self.build(name, spec, source, target, schedule, retry, expressions, connections)

    def build(self, name: str, spec: FlowSpec, source: _Endpoint, target: _Endpoint, schedule: Schedule,
              retry: RetrySpec, expressions: tuple[Any, Any],
              connections: Mapping[Any, _ConnectionState]) -> Flow | None:
        source_connection = connections[source.connection].connection
        target_connection = connections[target.connection].connection
        if source_connection is None or target_connection is None:
            return None
        extra: dict[str, Any] = {}
        if spec.create_missing is not None:
            extra["create_missing"] = frozenset(spec.create_missing)
        if spec.stage is not None:
            extra["stage"] = spec.stage
        if spec.require:
            extra["require"] = frozenset(spec.require)
        return Flow(name=name, source=source_connection, source_resource=source.resource_name,
                    target=target_connection, target_resource=target.resource_name, schedule=schedule,
                    filter=expressions[0], mapping=expressions[1], write=spec.write, match=dict(spec.match),
                    retry=retry, batch_size=spec.batch_size, enabled=spec.enabled, cursor=spec.cursor,
                    after=tuple(spec.after), **extra)

    def gates(self, flow: str, spec: FlowSpec, kind: str | None) -> None:
        """``stage`` belongs to order flows, ``require`` to product flows."""
        for key, wanted, given in (("stage", "order", spec.stage is not None), ("require", "product", spec.require)):
            if given and kind is not None and kind != wanted:
                self.problem(("flows", flow, key), f"flow {flow!r}, {key}: only {wanted} flows have it, and this "
                             f"flow moves {kind} records", f"remove {key}, or use a filter")

    def endpoint(self, flow: str, key: str, text: str, connections: Mapping[Any, _ConnectionState]) -> _Endpoint | None:
        loc: Loc = ("flows", flow, key)
        match = ENDPOINT.match(text)
        if match is None:
            self.problem(loc, f"flow {flow!r}, {key}: {text!r} is not `connection.resource`",
                         f"e.g. {key}: erp.products; connections: {', '.join(map(str, connections)) or '(none)'}",
                         value=True)
            return None
        connection, resource = match.groups()
        if connection not in connections:
            self.problem(loc, f"flow {flow!r}, {key}: unknown connection {connection!r}",
                         _known(connection, map(str, connections), "connections"), value=True)
            return None
        connector = connections[connection].connector
        if connector is None:
            return None
        if resource not in connector.resources:
            self.problem(loc, f"flow {flow!r}, {key}: connector {connector.name} has no resource {resource!r}",
                         _known(resource, connector.resources, f"{connector.name} resources"), value=True)
            return None
        return _Endpoint(connection, resource, connector.resources[resource], connector)

    def capabilities(self, flow: str, spec: FlowSpec, source: _Endpoint, target: _Endpoint) -> None:
        """The source can be read, the target written as the policy needs, and both hold one entity kind."""
        if "read" not in source.resource.can:
            readable = [n for n, r in source.connector.resources.items() if "read" in r.can]
            self.problem(("flows", flow, "from"), f"flow {flow!r}: {source} cannot be read ({source.connector.name} "
                         f"{source.resource_name} can: {_can(source.resource)})",
                         f"readable {source.connector.name} resources: {', '.join(readable) or '(none)'}", value=True)
        missing = [need for need in WRITE_NEEDS[spec.write] if need not in target.resource.can]
        if missing:
            fits = [policy for policy, needs in WRITE_NEEDS.items() if set(needs) <= target.resource.can]
            self.problem(("flows", flow, "to"), f"flow {flow!r}: write policy {spec.write!r} needs to "
                         f"{' and '.join(WRITE_NEEDS[spec.write])}, but {target} cannot {' or '.join(missing)} "
                         f"(it can: {_can(target.resource)})",
                         f"use write: {' or '.join(fits)}" if fits else "choose a target resource that can be written",
                         value=True)
        source_kind, target_kind = source.resource.entity.kind, target.resource.entity.kind
        if source_kind != target_kind:
            fitting = [n for n, r in target.connector.resources.items() if r.entity.kind == source_kind]
            self.problem(("flows", flow, "to"), f"flow {flow!r} cannot map {source_kind} records ({source}) onto "
                         f"{target_kind} records ({target}): a flow moves one entity kind",
                         f"{target.connection} resources holding {source_kind}: {', '.join(fitting)}" if fitting
                         else f"{target.connector.name} holds no {source_kind} resource", value=True)

    def schedule(self, flow: str, spec: FlowSpec) -> Schedule | None:
        loc: Loc = ("flows", flow)
        ok = True
        if spec.every is not None and spec.cron is not None:
            self.problem((*loc, "cron"), f"flow {flow!r} has both `every` and `cron`", "keep one of them")
            ok = False
        interval = None
        if spec.every is not None:
            interval = self.interval((*loc, "every"), spec.every, f"flow {flow!r}, every")
            ok = ok and interval is not None
        if spec.cron is not None:
            try:
                CronTrigger.from_crontab(spec.cron, timezone=UTC)
            except ValueError as exc:
                self.problem((*loc, "cron"), f"flow {flow!r}, cron: {spec.cron!r} is not a cron expression: {exc}",
                             "five fields, minute hour day-of-month month day-of-week, in UTC; e.g. '*/15 * * * *'",
                             value=True)
                ok = False
        return Schedule(interval=interval, cron=spec.cron) if ok else None

    def interval(self, loc: Loc, text: str, what: str) -> timedelta | None:
        try:
            return parse_interval(text)
        except ValueError as exc:
            self.problem(loc, f"{what}: {exc}", "a whole number and a unit, at most 7d: 30s, 5m, 15m, 1h, 1d",
                         value=True)
            return None

    def retry(self, flow: str, options: RetryOptions) -> RetrySpec | None:
        backoff = self.interval(("flows", flow, "retry", "backoff"), options.backoff, f"flow {flow!r}, retry.backoff")
        return RetrySpec(max_attempts=options.max_attempts, backoff=backoff) if backoff else None

    def expressions(self, flow: str, spec: FlowSpec, kind: str | None) -> tuple[Any, Any] | None:
        """The compiled filter and mapping; expressions may read the entity by its kind name and ``source``."""
        roots = frozenset({kind, "source"}) if kind else DEFAULT_ROOTS
        loc: Loc = ("flows", flow)
        compiled_filter = compiled_mapping = None
        ok = True
        if spec.filter is not None:
            where = self.where((*loc, "filter"), value=True)
            compiled_filter = self.compiled((*loc, "filter"), lambda: compile_filter(
                spec.filter or "", flow=flow, where=where, roots=roots))
            ok = compiled_filter is not None
        if spec.mapping is not None:
            mapping = spec.mapping
            compiled_mapping = self.compiled((*loc, "mapping"), lambda: compile_mapping(
                mapping, flow=flow, roots=roots,
                locate=lambda key: self.where((*loc, "mapping", *mapping_loc(key)), value=True)))
            ok = ok and compiled_mapping is not None
        return (compiled_filter, compiled_mapping) if ok else None

    def compiled(self, loc: Loc, compile_: Callable[[], Any]) -> Any:
        """What ``compile_`` makes of an expression, or None after reporting why it cannot be compiled."""
        try:
            return compile_()
        except ConfigError as error:
            self.config_error(error, loc)
        except RecursionError:  # Jinja's parser recurses per nested bracket, `not` and operator
            self.problem(loc, f"flow {loc[1]!r}, {loc[-1]}: an expression nests too deeply to compile",
                         "split it, e.g. into a mapping table or several `set` rules", value=True)
        return None

    def cursor(self, flow: str, field: str, source: _Endpoint) -> None:
        """Refuse a cursor override that would miss changes: only the resource's own cursor field is safe."""
        loc: Loc = ("flows", flow, "cursor")
        declared = source.resource.cursor
        if declared is None:
            self.problem(loc, f"flow {flow!r}, cursor: {source} has no cursor; it is read in full on every run",
                         "remove `cursor:`", value=True)
            return
        kind = {SyncToken: "sync token", FileName: "file name"}.get(type(declared), "modification time")
        assert isinstance(declared, UpdatedSince | SyncToken | FileName)
        hint = f"{source} reads changes by its {kind} {declared.field!r}; remove `cursor:` or write cursor: " \
               f"{declared.field}"
        if is_stable_field(field) or field != declared.field:
            reason = (f"{field} does not change when a record is updated, so changes would be missed"
                      if is_stable_field(field) else
                      f"{source} does not declare {field} as its cursor, so changes would be missed")
            self.problem(loc, f"flow {flow!r}, cursor: a cursor must be a modification time or sync token; {reason}",
                         hint, value=True)

    def references(self, flow: str, spec: FlowSpec, target: _Endpoint) -> None:
        """``match`` keys the target can look up, ``create_missing`` kinds the target can create."""
        loc: Loc = ("flows", flow)
        for kind, key in spec.match.items():
            resources = self.kind_resources((*loc, "match", kind), kind, target, f"flow {flow!r}, match")
            keys = sorted({k for resource in resources for k in resource.natural_keys})
            if resources and key not in keys:
                self.problem((*loc, "match", kind), f"flow {flow!r}, match: {target.connector.name} cannot find a "
                             f"{kind} by {key!r}", _known(key, keys, f"{kind} natural keys"), value=True)
        for index, kind in enumerate(spec.create_missing or []):
            resources = self.kind_resources((*loc, "create_missing", index), kind, target,
                                            f"flow {flow!r}, create_missing")
            if resources and not any("create" in resource.can for resource in resources):
                self.problem((*loc, "create_missing", index), f"flow {flow!r}, create_missing: "
                             f"{target.connector.name} cannot create a {kind}", f"remove {kind!r} from create_missing")

    def kind_resources(self, loc: Loc, kind: str, target: _Endpoint, what: str) -> list[Resource[Any]]:
        if kind not in ENTITIES:
            self.problem(loc, f"{what}: unknown entity kind {kind!r}", _known(kind, ENTITIES, "entity kinds"))
            return []
        found = [r for r in target.connector.resources.values() if r.entity.kind == kind]
        if not found:
            self.problem(loc, f"{what}: connection {target.connection!r} ({target.connector.name}) has no {kind} "
                         "resource", f"{target.connector.name} resources: {', '.join(target.connector.resources)}")
        return found


_PLACEHOLDER = "${TRADEWIND_PLAIN_TEXT_SECRET}"
"""Stands in for a refused plain-text secret while the other options are checked, so it is reported once."""


def _is_reference(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        SecretRef(value)
    except ValueError:
        return False
    return True


def _can(resource: Resource[Any]) -> str:
    return ", ".join(sorted(resource.can)) or "nothing"
