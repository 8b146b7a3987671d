"""Runs started from the API or a page: on a thread of their own, so the request answers at once;
one place says why a run did not start and logs what the thread meets, since its crash would go unseen."""

from __future__ import annotations

import threading

import structlog

from tradewind.engine.locks import FlowBusy
from tradewind.engine.services import Services
from tradewind.errors import TradewindError

log = structlog.get_logger("tradewind.api")


def start_run(svc: Services, flow: str, *, trigger: str, by: str) -> str | None:
    """Start ``flow`` in the background; the reason when it cannot start now (running, paused, waiting)."""
    reason = svc.busy(flow)
    if reason is not None:
        return reason

    def work() -> None:
        try:
            svc.run_flow(flow, trigger=trigger)
        except FlowBusy as busy:
            log.info("trigger_skipped", flow=flow, reason=str(busy))
        except TradewindError as error:
            log.error("run_not_started", flow=flow, error=str(error))
        except Exception:  # the run itself is marked by the engine; the thread's crash is logged here
            log.exception("run_crashed", flow=flow)

    threading.Thread(target=work, name=f"{trigger}-run:{flow}", daemon=True).start()
    log.info("run_requested", flow=flow, by=by)
    return None
