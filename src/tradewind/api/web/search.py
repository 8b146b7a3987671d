"""Search by what people know — an order number, a SKU, an e-mail address, a source id — across
every flow, answering with each record's whole history (every run, failed and waiting included).

A bare value is tried as each flow's business key (``1042`` → ``number=#1042`` and
``number=1042``, ``A-1`` → ``sku=A-1``); matching goes through the store's own look-ups
(:mod:`tradewind.store.transfer_search`, :func:`tradewind.store.failures.find`), which know how
keys are stored, so nothing here reads a key column."""

from __future__ import annotations

from dataclasses import dataclass, field

from tradewind.engine.services import Services
from tradewind.store.failures import Failure
from tradewind.store.runs import Transfer
from tradewind.store.transfer_search import Query

LIMIT = 200
"""Transfers looked at per stored key form: enough to name every record a key names."""


@dataclass
class Record:
    flow: str
    source_id: str
    natural_key: str | None
    history: list[Transfer] = field(default_factory=list)
    waiting: list[Failure] = field(default_factory=list)


def key_forms(key: str, names: tuple[str, ...] | list[str]) -> list[str]:
    """The stored forms ``key`` may have in a flow whose business key is ``names``."""
    forms = [key]
    if "=" not in key and len(names) == 1:
        name = names[0]
        values = [key, f"#{key}"] if name == "number" and not key.startswith("#") else [key]
        values += [v.lower() for v in values if "@" in v and v != v.lower()]
        forms += [f"{name}={value}" for value in values]
    return list(dict.fromkeys(forms))


def find_records(svc: Services, key: str) -> list[Record]:
    """Every record ``key`` names, in any flow, with its history oldest first."""
    found: dict[tuple[str, str], Record] = {}
    for name, flow in sorted(svc.project.flows.items()):
        for form in key_forms(key, list(flow.target_res.natural_keys)):
            for t in svc.search_transfers(Query(flow=name, key=form, limit=LIMIT)):
                found.setdefault((name, t.source_id), Record(flow=name, source_id=t.source_id,
                                                             natural_key=t.natural_key))
    for f in svc.failures(key=key):
        found.setdefault((f.flow, f.source_id), Record(flow=f.flow, source_id=f.source_id,
                                                       natural_key=f.natural_key)).waiting.append(f)
    for (flow_name, source_id), record in found.items():
        record.history = svc.history(flow_name, source_id)
        if record.natural_key is None:
            record.natural_key = next((t.natural_key for t in reversed(record.history) if t.natural_key), None)
    return sorted(found.values(), key=lambda r: (r.flow, r.source_id))
