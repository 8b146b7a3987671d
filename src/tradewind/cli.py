"""The command line: ``tradewind init | validate | run | runs | transfers | serve | demo | db upgrade | …``.

A thin surface over :mod:`tradewind.engine.services`; every command reads the project file
named by ``--project`` (or ``TRADEWIND_PROJECT``, default ``tradewind.yaml``) and the store at
``--database`` (or ``TRADEWIND_DATABASE_URL``, default ``sqlite:///tradewind.db``).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy.exc import SQLAlchemyError

from tradewind import log
from tradewind.api import Accounts
from tradewind.connectors import available
from tradewind.connectors import get as get_connector
from tradewind.engine.locks import FlowBusy
from tradewind.engine.project import config_sources, load_project, validate
from tradewind.engine.reference import cursor_text, default_text, type_text
from tradewind.engine.runner import RunResult
from tradewind.engine.services import Replay, Services
from tradewind.engine.transfers import Outcome, Stage
from tradewind.errors import ConfigError, TradewindError
from tradewind.store.db import Store
from tradewind.store.runs import COUNTERS as RUN_COUNTERS
from tradewind.store.runs import Run
from tradewind.store.transfer_search import Query as TransferQuery

app = typer.Typer(help="tradewind keeps webshops and ERP/accounting systems in sync.", no_args_is_help=True,
                  pretty_exceptions_enable=False)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
mapping_app = typer.Typer(help="Mappings: preview them, list the functions expressions may use.", no_args_is_help=True)
connectors_app = typer.Typer(help="Connectors this installation knows.", no_args_is_help=True)
bindings_app = typer.Typer(help="Bindings: which record in one system is which in another.",
                           invoke_without_command=True)
config_app = typer.Typer(help="Settings and where each comes from.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(mapping_app, name="mapping")
app.add_typer(connectors_app, name="connectors")
app.add_typer(bindings_app, name="bindings")
app.add_typer(config_app, name="config")

console = Console()
err = Console(stderr=True)

ProjectOpt = Annotated[Path, typer.Option("--project", "-p", envvar="TRADEWIND_PROJECT", help="Project file")]
DatabaseOpt = Annotated[str | None, typer.Option("--database", envvar="TRADEWIND_DATABASE_URL",
                                                  help="Database URL (default sqlite:///tradewind.db)")]
DEFAULT_PROJECT = Path("tradewind.yaml")
TEMPLATE = Path(__file__).parent / "engine" / "templates" / "tradewind.yaml"


def _fail(message: str, code: int = 1) -> typer.Exit:
    err.print(f"[red]error:[/red] {message}")
    return typer.Exit(code)


def _services(project_path: Path, database: str | None, *, connects: bool = True) -> Services:
    """The project's services. Commands that only read the store (``connects=False``) need no
    secrets, so ``tradewind runs`` works in a shell where the connections' variables are unset."""
    try:
        project = load_project(project_path, check_secrets=connects)
    except ConfigError as error:
        raise _fail(str(error)) from None
    store = Store(database or project.settings.get("database_url"))
    store.upgrade()
    return Services.open(project, store)


@app.callback()
def main_callback(verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log debug events")] = False) -> None:
    log.configure("DEBUG" if verbose else None)


@app.command()
def init(path: Annotated[Path, typer.Argument(help="Where to write the example project")] = DEFAULT_PROJECT) -> None:
    """Write a commented example project file (Exact Online ⇄ Shopify) to start from."""
    if path.exists():
        raise _fail(f"{path} exists; not overwriting it")
    shutil.copyfile(TEMPLATE, path)
    console.print(f"wrote {path}; set the secrets it names, then run [bold]tradewind validate[/bold]")


@app.command("validate")
def validate_cmd(
    path: Annotated[Path | None, typer.Argument(help="Project file (the same as --project)", show_default=False)]
    = None,
    project: ProjectOpt = DEFAULT_PROJECT,
) -> None:
    """Check the project file and report every problem with file:line and a hint (offline; `check` calls the
    systems)."""
    project = path or project
    problems = validate(project)
    for problem in problems:
        console.print(str(problem), markup=False, highlight=False)
    if problems:
        raise _fail(f"{len(problems)} problem(s) in {project}")
    console.print(f"{project}: OK")


CHECK_COLOURS = {"ok": "green", "warn": "yellow", "fail": "red"}


@app.command()
def check(
    connections: Annotated[list[str] | None, typer.Argument(help="Connections to check (default: all)")] = None,
    project: ProjectOpt = DEFAULT_PROJECT,
    database: DatabaseOpt = None,
) -> None:
    """Check the project online, calling each system a few times and writing nothing: sign-in, VAT codes
    for the rates the shop books, configured items, warehouses and locations. Exits 1 on any failure."""
    from tradewind.engine.check import check_project, failed

    services = _services(project, database)
    unknown = [name for name in connections or () if name not in services.project.connections]
    if unknown:
        raise _fail(f"no connection named {', '.join(map(repr, unknown))}; connections: "
                    f"{', '.join(services.project.connections)}")
    findings = check_project(services, connections or None)
    table = Table("connection", "check", "result", "reason")
    table.columns[3].overflow = "fold"
    for f in findings:
        colour = CHECK_COLOURS[f.status]
        table.add_row(escape(f.connection), escape(f.check), f"[{colour}]{f.status}[/{colour}]", escape(f.reason))
    console.print(table)
    counts = {status: sum(f.status == status for f in findings) for status in CHECK_COLOURS}
    console.print(f"{counts['ok']} ok, {counts['warn']} warning(s), {counts['fail']} failure(s)", highlight=False)
    if failed(findings):
        raise typer.Exit(1)


@app.command()
def run(
    flow: Annotated[str, typer.Argument(help="Flow name from the project file")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Read and map, write nothing, print the plan")] = False,
    full: Annotated[bool, typer.Option(
        "--full", help="Read from the beginning; only records that changed are written")] = False,
    project: ProjectOpt = DEFAULT_PROJECT,
    database: DatabaseOpt = None,
) -> None:
    """Run one flow now."""
    services = _services(project, database)
    try:
        result = _with_progress(services, flow, dry_run=dry_run, full=full)
    except FlowBusy as busy:
        raise _fail(str(busy), code=3) from None
    except TradewindError as error:
        raise _fail(str(error)) from None
    if dry_run:
        _print_plan(result, services.flow(flow).target.name)
    _print_result(result)
    if result.status == "failed":
        raise typer.Exit(1)


def _with_progress(services: Services, flow: str, *, dry_run: bool, full: bool) -> RunResult:
    """A bar with the run's counters; with a total (when the source tells), done/total, rate and ETA
    computed as the API's run figures are (records ended per second since the start)."""
    import time
    from datetime import timedelta

    columns = [SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[counts]}"),
               TextColumn("{task.fields[pace]}"), TimeElapsedColumn()]
    with Progress(*columns, console=err, transient=True) as progress:
        task = progress.add_task(f"{flow}", total=None, counts="", pace="")
        started = time.monotonic()

        def tell(counts: dict[str, int]) -> None:
            total = counts.pop("total", None)
            done = sum(counts.get(k, 0) for k in ("created", "updated", "skipped", "failed", "parked"))
            shown = " ".join(f"{k}={v}" for k, v in counts.items() if v)
            rate = done / max(time.monotonic() - started, 1e-9)
            pace = f"{done}/{total} {rate:.1f}/s" if total is not None else f"{rate:.1f}/s"
            if total is not None and rate > 0:
                pace += f" ETA {timedelta(seconds=round(max(0, total - done) / rate))}"
            progress.update(task, counts=shown, pace=pace, total=total, completed=done)

        return services.run_flow(flow, dry_run=dry_run, full=full, progress=tell)


def _print_result(result: RunResult) -> None:
    names = ("received", "created", "updated", "skipped", "failed", "parked")
    shown = {"created": "would create", "updated": "would update"} if result.dry_run else {}
    counts = " ".join(f"{shown.get(name, name)}={result.counts.get(name, 0)}" for name in names)
    colour = {"succeeded": "green", "partial": "yellow"}.get(result.status, "red")
    kind = "dry run" if result.dry_run else "run"
    console.print(f"{kind} {result.run_id[:8]} [{colour}]{result.status}[/{colour}] {counts}")
    if result.error:
        console.print(f"  {result.error}", markup=False)
    if result.counts.get("failed") and not result.dry_run:
        console.print(f"  see: tradewind transfers {result.run_id[:8]} --outcome failed")


PLAN_COLOURS = {"create": "green", "update": "cyan", "skip": "dim", "fail": "red", "parked": "yellow"}


def _print_plan(result: RunResult, target: str) -> None:
    """Every record read, with what a real run would do to it and why."""
    from tradewind.engine import plan

    lines = plan.lines(result.plan, target)
    table = Table("action", "record", "natural key", "reason / changes", title="plan (nothing written)")
    for line in lines:
        changes = [f"{c.path}: {c.before!r} → {c.after!r}" for c in line.changes[:8]]
        more = [f"… and {len(line.changes) - 8} more"] if len(line.changes) > 8 else []
        colour = PLAN_COLOURS[line.action]
        table.add_row(f"[{colour}]{line.action}[/{colour}]", escape(line.source_id), escape(line.natural_key),
                      escape("\n".join([line.reason, *changes, *more])))
    console.print(table)
    counted = plan.counts(lines)
    console.print("plan: " + ", ".join(f"{amount} {action}" for action, amount in counted.items())
                  + f" (of {len(lines)} records read)", highlight=False)


@app.command()
def runs(
    flow: Annotated[str | None, typer.Option("--flow", help="Only this flow")] = None,
    limit: Annotated[int, typer.Option(help="How many")] = 20,
    project: ProjectOpt = DEFAULT_PROJECT,
    database: DatabaseOpt = None,
) -> None:
    """Recent runs, newest first."""
    services = _services(project, database, connects=False)
    listed = services.runs(flow=flow, limit=limit)
    table = Table("run", "flow", "trigger", "status", "started (UTC)", "recv", "new", "upd", "skip", "fail", "park",
                  caption="a dry run's counts are what it planned; it wrote nothing" if any(
                      r.dry_run for r in listed) else None)
    for r in listed:
        status = f"[yellow]dry run[/yellow] · {r.status}" if r.dry_run else r.status
        table.add_row(r.id[:8], r.flow, r.trigger, status, f"{r.started_at:%Y-%m-%d %H:%M:%S}",
                      *(str(v) for v in (r.received, r.created, r.updated, r.skipped, r.failed, r.parked)))
    console.print(table)


@app.command()
def transfers(
    run_id: Annotated[str, typer.Argument(help="Run id (the first 8 characters are enough)")],
    outcome: Annotated[Outcome | None, typer.Option(help="Only transfers that ended so", case_sensitive=False)]
    = None,
    stage: Annotated[Stage | None, typer.Option(help="Only transfers at this stage", case_sensitive=False)] = None,
    limit: Annotated[int, typer.Option(min=1, max=100_000, help="At most this many rows")] = 1000,
    before: Annotated[int | None, typer.Option(min=1, help="Only transfers with ids below this (the next page)")]
    = None,
    project: ProjectOpt = DEFAULT_PROJECT,
    database: DatabaseOpt = None,
) -> None:
    """What happened to each record in a run, newest first, a page at a time (--before for the next)."""
    services = _services(project, database, connects=False)
    found = services.run(run_id) if run_id.isalnum() else None
    if found is None:
        raise _fail(f"no run {run_id!r} (hint: `tradewind runs` lists recent runs)")
    query = TransferQuery(run_id=found.id, outcome=outcome and outcome.value, stage=stage and stage.value,
                          before=before, limit=limit + 1)
    rows = services.search_transfers(query)
    shown = rows[:limit]
    table = Table("id", "source id", "natural key", "outcome", "target id", "reason")
    for t in shown:
        reason = f"{t.field}: {t.reason}" if t.field else (t.reason or "")
        table.add_row(str(t.id), escape(t.source_id), escape(t.natural_key or ""), t.outcome or t.stage,
                      escape(t.target_id or ""), escape(reason))
    console.print(table)
    if len(rows) > limit:
        console.print(f"{_more(found, outcome, stage, before, len(shown))}; the next page: tradewind transfers "
                      f"{found.id[:8]}{_filters(outcome, stage)} --before {shown[-1].id}", highlight=False)


def _more(run: Run, outcome: Outcome | None, stage: Stage | None, before: int | None, shown: int) -> str:
    """How many more transfers match, where the run's counters tell (a first page without a stage)."""
    counter = "received" if outcome is None else outcome.value
    if stage is None and before is None and counter in RUN_COUNTERS:
        return f"showing {shown:,} of {getattr(run, counter):,} transfers"
    return f"showing {shown:,} transfers; more follow"


def _filters(outcome: Outcome | None, stage: Stage | None) -> str:
    return (f" --outcome {outcome.value}" if outcome else "") + (f" --stage {stage.value}" if stage else "")


@app.command()
def failures(
    flow: Annotated[str | None, typer.Argument(help="Only this flow")] = None,
    key: Annotated[str | None, typer.Option("--key", help="Only the record with this source id or business key "
                                                          "(order number #1042 or 1042, SKU, e-mail, number=#1042)")]
    = None,
    project: ProjectOpt = DEFAULT_PROJECT,
    database: DatabaseOpt = None,
) -> None:
    """Records waiting to be tried again, with the last error."""
    services = _services(project, database, connects=False)
    try:
        rows = services.failures(flow, key=key)
    except ConfigError as error:
        raise _fail(str(error)) from None
    table = Table("flow", "source id", "natural key", "attempts", "next try (UTC)", "last error")
    for column in table.columns[1:3]:
        column.overflow = "fold"  # ids and keys are what people copy: wrap them, never cut them short
    for f in rows:
        table.add_row(f.flow, f.source_id, f.natural_key or "", str(f.attempts), f"{f.next_attempt_at:%Y-%m-%d %H:%M}",
                      f.last_error or "")
    console.print(table)
    if key is not None and not rows:
        raise _fail(f"no failed record with source id or business key {key!r}" + (f" in flow {flow}" if flow else ""))


@app.command()
def replay(
    flow: Annotated[str, typer.Argument(help="Flow name")],
    keys: Annotated[list[str] | None, typer.Argument(
        help="Failed records to replay, by source id or business key: order number (#1042 or 1042), SKU, e-mail, "
             "or the natural key whole (number=#1042). Default: every failed record of the flow")] = None,
    project: ProjectOpt = DEFAULT_PROJECT,
    database: DatabaseOpt = None,
) -> None:
    """Try failed records again now, ignoring their backoff. Says what became of each named record;
    exits 1 when a named record is not among the failed records or a replayed record fails again."""
    services = _services(project, database)
    try:
        report = _replay_with_progress(services, flow, keys or None)
    except FlowBusy as busy:
        raise _fail(str(busy), code=3) from None
    except TradewindError as error:
        raise _fail(str(error)) from None
    _print_replay(report)
    if not report.ok:
        raise typer.Exit(1)


def _replay_with_progress(services: Services, flow: str, keys: list[str] | None) -> Replay:
    columns = [TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()]
    with Progress(*columns, console=err, transient=True) as progress:
        task = progress.add_task(f"replaying {flow}", total=None)

        def tell(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        return services.replay(flow, keys, progress=tell)


def _print_replay(report: Replay) -> None:
    if report.result is None:
        console.print(f"no failed records to replay in flow {report.flow}" if not report.named else
                      f"none of these is among the failed records of flow {report.flow}")
    else:
        _print_result(report.result)
    for key, named in report.named.items():
        if not named:
            console.print(f"  {escape(key)}: [red]not found[/red] among the failed records of flow {report.flow}",
                          highlight=False, soft_wrap=True)
        for f in named:
            outcome, reason = report.ending(f.source_id)
            shown = "failed again" if outcome == "failed" else outcome
            colour = "red" if outcome in ("failed", "not replayed") else "green"
            label = f"{key}: record {f.source_id}" + (f" ({f.natural_key})" if f.natural_key else "")
            why = f" — {escape(reason)}" if reason else ""
            console.print(f"  {escape(label)} → [{colour}]{shown}[/{colour}]{why}", highlight=False, soft_wrap=True)
    if report.result is not None:
        console.print(f"  {report.still_queued} record(s) still queued in flow {report.flow}"
                      + (f"; see: tradewind failures {report.flow}" if report.still_queued else ""), highlight=False)


@bindings_app.callback()
def bindings_list(
    ctx: typer.Context,
    entity: Annotated[str | None, typer.Option(help="product, order, customer, …")] = None,
    search: Annotated[str | None, typer.Option(help="Part of a source id, target id or natural key")] = None,
    project: ProjectOpt = DEFAULT_PROJECT,
    database: DatabaseOpt = None,
) -> None:
    """List bindings (``tradewind bindings forget ID`` drops one)."""
    if ctx.invoked_subcommand is not None:
        return
    services = _services(project, database, connects=False)
    table = Table("id", "entity", "source", "source id", "target", "target id", "natural key", "state", "updated")
    for b in services.bindings(entity=entity, text=search):
        table.add_row(str(b.id), b.entity, b.source_connection, b.source_id, b.target_connection, b.target_id or "",
                      b.natural_key or "", b.state, f"{b.updated_at:%Y-%m-%d %H:%M}")
    console.print(table)


@bindings_app.command("forget")
def bindings_forget(
    binding_id: Annotated[int, typer.Argument(help="Binding id from `tradewind bindings`")],
    project: ProjectOpt = DEFAULT_PROJECT,
    database: DatabaseOpt = None,
) -> None:
    """Forget a binding: the next run writes that record to the target anew (after a deletion there)."""
    services = _services(project, database, connects=False)
    if not services.forget_binding(binding_id):
        raise _fail(f"no binding {binding_id}")
    console.print(f"binding {binding_id} forgotten; the next run re-creates or re-matches the record")


@db_app.command("upgrade")
def db_upgrade(database: DatabaseOpt = None) -> None:
    """Create or migrate the database schema to the newest version."""
    store = Store(database)
    store.upgrade()
    console.print(f"database at {store.engine.url.render_as_string(hide_password=True)} is up to date")


@mapping_app.command("functions")
def mapping_functions() -> None:
    """Every function and filter mapping expressions may use, with its documentation."""
    from tradewind.mapping import describe

    table = Table("name", "kind", "signature", "what it does")
    for doc in describe():
        table.add_row(escape(doc.name), doc.kind, escape(doc.signature), escape(doc.doc))
    console.print(table)


@mapping_app.command("preview")
def mapping_preview(
    flow: Annotated[str, typer.Argument(help="Flow name")],
    record: Annotated[Path, typer.Option("--record", help="A source record as JSON, exactly as the source's API "
                                                           "answers it: an Exact Online REST row (Items rows for a "
                                                           "product), a Shopify GraphQL node")],
    update: Annotated[bool, typer.Option("--update", help="Show it as an update (create-only fields dropped)")] = False,
    project: ProjectOpt = DEFAULT_PROJECT,
) -> None:
    """Show what a flow's mapping makes of one record, without calling any system.

    The record is the vendor's own shape, as its API answers the connector's read (the fields the
    connector reads are listed in ``connectors/<name>/``): one Exact Online row (``__metadata`` and the
    ``{"d": ...}`` envelope may stay; a product is the Items rows of one model), one Shopify node (or
    the whole ``{"data": ...}`` answer). What the connector reads from other calls (an Exact
    customer price's account code) shows as a ``<placeholder>``, like references."""
    from tradewind.engine.preview import preview_record

    try:
        loaded = load_project(project, check_secrets=False)
        result = preview_record(loaded, flow, json.loads(record.read_text()), is_update=update)
    except (ConfigError, TradewindError) as error:
        raise _fail(str(error)) from None
    except json.JSONDecodeError as error:
        raise _fail(f"{record}:{error.lineno}:{error.colno}: not JSON ({error.msg})") from None
    console.print_json(json.dumps(result.result, default=str))
    for change in result.changed:
        console.print(f"  {change.path}: {change.before!r} → {change.after!r}", markup=False)


@connectors_app.command("list")
def connectors_list() -> None:
    """Connectors this installation knows."""
    for name in available():
        console.print(f"{name}\t{get_connector(name).label}")


@connectors_app.command("show")
def connectors_show(name: Annotated[str, typer.Argument(help="Connector name")]) -> None:
    """A connector's options and resources."""
    try:
        connector = get_connector(name)
    except ConfigError as error:
        raise _fail(str(error)) from None
    options = Table("option", "type", "default", "secret", "description", title=f"{name} — {connector.label}")
    secrets = set(connector.Options.secret_fields())
    for field_name, f in connector.Options.model_fields.items():
        options.add_row(field_name, escape(type_text(f)), escape(default_text(f)), "yes" if field_name in secrets
                        else "", escape(f.description or ""))
    console.print(options)
    resources = Table("resource", "entity", "natural keys", "cursor", "can")
    for resource in connector.resources.values():
        resources.add_row(resource.name, resource.entity.kind, ", ".join(resource.natural_keys) or "—",
                          cursor_text(resource), ", ".join(sorted(resource.can)))
    console.print(resources)


@config_app.command("show")
def config_show(
    explain: Annotated[bool, typer.Option("--explain", help="Say where each value comes from")] = False,
    project: ProjectOpt = DEFAULT_PROJECT,
) -> None:
    """Settings in force (environment over project file over default)."""
    try:
        loaded = load_project(project, check_secrets=False)
    except ConfigError as error:
        raise _fail(str(error)) from None
    for key, value, source in config_sources(loaded):
        console.print(f"{key} = {value!r}" + (f"    # from {source}" if explain else ""), markup=False)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface for the API")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port for the API")] = 8000,
    project: ProjectOpt = DEFAULT_PROJECT,
    database: DatabaseOpt = None,
) -> None:
    """Run the scheduler, the REST API (/docs) and the webhook receiver in one process until stopped."""
    from tradewind.api import allowed_hosts, create_app, first_user_hint
    from tradewind.notify import install as install_alerts
    from tradewind.server import serve as run_server

    services = _services(project, database)
    install_alerts(services)
    hint = first_user_hint(services)
    if hint:
        console.print(f"[yellow]{escape(hint)}[/yellow]")
    run_server(services, lambda scheduler: create_app(services, scheduler, hosts=allowed_hosts(host)),
               host=host, port=port, console=console)


@app.command()
def demo(
    products: Annotated[int, typer.Option(help="Products in the demo catalogue")] = 300,
    duration: Annotated[float | None, typer.Option(help="Stop after this many seconds (default: run until Ctrl-C)")]
    = None,
    directory: Annotated[Path, typer.Option(help="Where the demo keeps its project file and database")]
    = Path("demo-project"),
    port: Annotated[int, typer.Option(help="Port of the status API")] = 8000,
) -> None:
    """Start sandboxes of Exact Online and Shopify, seeded, with orders arriving, and sync them."""
    from tradewind.demo import run_demo

    log.configure(os.environ.get("TRADEWIND_LOG_LEVEL", "ERROR"))  # the demo prints its own summary lines
    run_demo(products=products, duration=duration, directory=directory, port=port, console=console)


sandboxes_app = typer.Typer(help="The vendors' sandboxes, to try flows by hand.", no_args_is_help=True)
app.add_typer(sandboxes_app, name="sandboxes")


@sandboxes_app.command("serve")
def sandboxes_serve(
    exact_port: Annotated[int, typer.Option(min=0, max=65535, help="Port of the Exact Online sandbox (0: any)")]
    = 8101,
    shop_port: Annotated[int, typer.Option(min=0, max=65535, help="Port of the Shopify sandbox (0: any)")] = 8102,
    ip_soft_port: Annotated[int, typer.Option(min=0, max=65535, help="Port of the IP-Soft sandbox (0: any)")]
    = 8103,
    host: Annotated[str, typer.Option(help="Interface to serve on")] = "127.0.0.1",
    products: Annotated[int, typer.Option(min=1, max=100_000, help="Products in the catalogue")] = 300,
    duration: Annotated[float | None, typer.Option(help="Stop after this many seconds (default: until Ctrl-C)")]
    = None,
) -> None:
    """Serve the Exact Online, Shopify and IP-Soft sandboxes alone on fixed ports, seeded as the demo seeds
    them; prints their URLs and a project file to run flows against them by hand."""
    import time
    from secrets import token_urlsafe

    from tradewind.sandboxes import standalone

    webhook_secret = os.environ.get("TRADEWIND_WEBHOOK_SECRET_SHOP") or token_urlsafe(24)
    ports = {"exact_online": exact_port, "shopify": shop_port, "ip_soft": ip_soft_port}
    try:
        served = standalone.start(products=products, webhook_secret=webhook_secret, ports=ports, host=host)
    except (RuntimeError, OSError) as error:
        raise _fail(f"{error}; is the port in use? choose others with --exact-port, --shop-port, "
                    "--ip-soft-port") from None
    try:
        _print_sandboxes(served, webhook_secret)
        console.file.flush()  # read while serving, also through a pipe
        deadline = None if duration is None else time.monotonic() + duration
        while deadline is None or time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        served.stop()


def _print_sandboxes(served: object, webhook_secret: str) -> None:
    from tradewind.sandboxes.standalone import Sandboxes

    assert isinstance(served, Sandboxes)
    for name, label in (("exact_online", "Exact Online"), ("shopify", "Shopify"), ("ip_soft", "IP-Soft")):
        console.print(f"{label} sandbox: {served.url(name)}", highlight=False)
    console.print("\nset these variables (the sandboxes' fixed demo secrets):", highlight=False)
    for name, value in {**served.environment(), "TRADEWIND_WEBHOOK_SECRET_SHOP": webhook_secret}.items():
        console.print(f"  export {name}={value}", markup=False, highlight=False)
    console.print("\nsave this as tradewind.yaml, then: tradewind check; tradewind run products --dry-run\n",
                  highlight=False)
    ip_soft = "".join(f"#{line}\n" for line in served.ip_soft_connection().splitlines())
    text = served.project() + "# IP-Soft, for flows of your own (under connections:):\n" + ip_soft
    console.print(text, markup=False, highlight=False, soft_wrap=True, end="")
    console.print("\nserving until Ctrl-C", style="dim")


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        err.print("stopped")
        sys.exit(130)
    except SQLAlchemyError as error:  # the store itself: one line, never parameters or a traceback
        cause = getattr(error, "orig", None) or error
        err.print(f"[red]error:[/red] tradewind's database cannot be used ({type(cause).__name__}: "
                  f"{escape(str(cause).splitlines()[0][:200])}); check that it is running and reachable "
                  "(TRADEWIND_DATABASE_URL or --database), then run again", markup=True)
        sys.exit(1)


# -- secrets (docs/secrets.md) ------------------------------------------------------------------

secrets_app = typer.Typer(help="Tokens kept in the store, sealed with TRADEWIND_SECRET_KEY.", no_args_is_help=True)
app.add_typer(secrets_app, name="secrets")


@secrets_app.command("rotate")
def secrets_rotate(database: DatabaseOpt = None) -> None:
    """Re-encrypt every stored token with the first key of TRADEWIND_SECRET_KEY (old keys listed after it)."""
    from tradewind.store.tokens import StoreTokens

    try:
        resealed = StoreTokens(Store(database)).rotate_keys()
    except ConfigError as error:
        raise _fail(escape(str(error))) from None
    console.print(f"{resealed} stored token(s) re-encrypted with the newest key; the old keys may now go")


# --- people and machines: `tradewind user add`, `tradewind token create|list|revoke` (issue 12) ---

user_app = typer.Typer(help="People who log in to the web app and API.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens for machines (stored hashed, shown once, revocable).", no_args_is_help=True)
app.add_typer(user_app, name="user")
app.add_typer(token_app, name="token")
RoleOpt = Annotated[str, typer.Option("--role", help="admin, operator or viewer")]


def _accounts(database: str | None, project: Path) -> Accounts:
    """The store's accounts; the project file only names the database (no secrets needed)."""
    url = database
    if url is None and project.exists():
        try:
            url = load_project(project, check_secrets=False).settings.get("database_url")
        except ConfigError as error:
            raise _fail(str(error)) from None
    store = Store(url)
    store.upgrade()
    return Accounts(store)


@user_app.command("add")
def user_add(
    name: Annotated[str, typer.Argument(help="User name to log in with")],
    role: RoleOpt = "viewer",
    password: Annotated[str | None, typer.Option(envvar="TRADEWIND_NEW_PASSWORD", hidden=True,
                                                 help="The password (else asked for, twice)")] = None,
    project: ProjectOpt = DEFAULT_PROJECT,
    database: DatabaseOpt = None,
) -> None:
    """Add a user (the password is asked for, and stored as an argon2 hash only)."""
    secret = password or typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        _accounts(database, project).add_user(name, secret, role)
    except ValueError as error:
        raise _fail(str(error)) from None
    console.print(f"user {escape(name)} added with role {role}")


@token_app.command("create")
def token_create(
    name: Annotated[str, typer.Argument(help="What the token is for, e.g. 'monitoring'")],
    role: RoleOpt = "viewer",
    project: ProjectOpt = DEFAULT_PROJECT,
    database: DatabaseOpt = None,
) -> None:
    """Create an API token; it is printed once and never again (only its hash is kept)."""
    try:
        token = _accounts(database, project).create_token(name, role)
    except ValueError as error:
        raise _fail(str(error)) from None
    err.print(f"token {escape(name)} ({role}) created; copy it now, it is not shown again:")
    console.print(token, markup=False)


@token_app.command("list")
def token_list(project: ProjectOpt = DEFAULT_PROJECT, database: DatabaseOpt = None) -> None:
    """API tokens: id, name, role, the first characters, when created and last used, revoked."""
    table = Table("id", "name", "role", "starts with", "created", "last used", "revoked")
    for t in _accounts(database, project).tokens():
        table.add_row(str(t.id), escape(t.name), t.role, t.prefix + "…", f"{t.created_at:%Y-%m-%d %H:%M}",
                      f"{t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "",
                      f"{t.revoked_at:%Y-%m-%d %H:%M}" if t.revoked_at else "")
    console.print(table)


@token_app.command("revoke")
def token_revoke(
    token_id: Annotated[int, typer.Argument(help="The token's id (`tradewind token list`)")],
    project: ProjectOpt = DEFAULT_PROJECT,
    database: DatabaseOpt = None,
) -> None:
    """Revoke an API token: every request with it is refused from now on."""
    if not _accounts(database, project).revoke(token_id):
        raise _fail(f"no live token with id {token_id}")
    console.print(f"token {token_id} revoked")

