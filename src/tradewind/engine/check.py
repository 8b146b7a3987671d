"""``tradewind check``: the online check of a project (``validate`` stays offline).

Each connection is opened as a run opens it (the store's tokens, so a rotated refresh token is the
one used, and the shared call budget) and asked for its connector's :meth:`Connector.checks`: a
few cheap reads each (sign-in, VAT codes, items, warehouses, locations), never a write. The
engine only collects: what to check is the connector's, so adding a system touches no other.
A connection whose checks raise fails with the error; one whose connector offers no checks warns
that it was not checked. Reasons pass through the log's secret mask, as they are printed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

import httpx

from tradewind.connectors.base import Check, Connector
from tradewind.engine.flow import Connection
from tradewind.engine.services import Services
from tradewind.errors import TradewindError
from tradewind.log import mask
from tradewind.store.budgets import StoreBudgets
from tradewind.store.tokens import StoreTokens

Status = Literal["ok", "warn", "fail"]


@dataclass(frozen=True)
class Finding:
    """One row of the check's table: a connection's check, how it went and why."""

    connection: str
    check: str
    status: Status
    reason: str


def check_project(services: Services, connections: Iterable[str] | None = None) -> list[Finding]:
    """Every connection's checks (or those named), in project order."""
    names = list(connections) if connections is not None else list(services.project.connections)
    found: list[Finding] = []
    for name in names:
        found.extend(check_connection(services, name))
    return found


def check_connection(services: Services, name: str) -> list[Finding]:
    connection = services.project.connections[name]
    try:
        connector = open_connection(services, connection)
    except TradewindError as error:
        return [Finding(name, "connection", "fail", str(error))]
    found: list[Finding] = []
    try:
        for check in connector.checks():
            found.append(_finding(name, check))
    except Exception as error:  # noqa: BLE001 - an unexpected answer fails this connection's check, not the command
        step = "authentication" if not found else "check"
        found.append(Finding(name, step, "fail", mask(_reason(error))))
    finally:
        connector.close()
    if not found:
        found.append(Finding(name, "online checks", "warn", f"connector {connection.connector.name} offers no "
                                                            "online checks; run a flow with --dry-run to try it"))
    return found


def open_connection(services: Services, connection: Connection) -> Connector:
    """The connector as a run opens it: through a flow that uses the connection (the runner's
    opener), else with the store's tokens and shared budget."""
    for flow in services.project.flows.values():
        for which, end in (("source", flow.source), ("target", flow.target)):
            if end.name == connection.name:
                return services.runner.open(flow, which)
    store = services.store
    return connection.open(tokens=StoreTokens(store), ledger=StoreBudgets(store))


def failed(findings: Iterable[Finding]) -> bool:
    return any(f.status == "fail" for f in findings)


def _finding(connection: str, check: Check) -> Finding:
    return Finding(connection, check.name, check.status, mask(check.reason))


def _reason(error: Exception) -> str:
    if isinstance(error, httpx.HTTPError):
        return f"cannot reach the system ({type(error).__name__}: {error})"
    if not isinstance(error, TradewindError):
        return f"unexpected answer ({type(error).__name__}: {error})"
    return str(error) or type(error).__name__
