"""What a write did when it did not simply do what was asked, said by the connector that knows.

An update of a booked order may end three ways besides "updated": the ERP is master and the change is only
reported; the order may not be changed any more and a correction document is booked instead; or the
change is one the connection does not write (its lines, with ``update_booked_orders`` off). The engine
records the outcome and the reason given here, so a run never reports "updated" for a change it did not
make (engine/loop.py reads it from the record a write returns).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from tradewind.connectors.base import NativeRecord

Said = Literal["updated", "created", "matched"]


@dataclass
class Reported(NativeRecord):
    """A written record with the outcome the run reports and why: ``updated`` (what was changed),
    ``created`` (a correction booked beside the bound record) or ``matched`` (reported, nothing written;
    counted as skipped and bound, so the same change is not reported again)."""

    outcome: Said = "updated"
    reason: str = ""
