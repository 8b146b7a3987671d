"""Personal data (the records' names, addresses and e-mails) only for roles allowed to see it.

Viewers see what moved and why, never the payloads; e-mail addresses in keys and reasons are
masked for them (``j…@example.com``). Operators and admins, who replay and fix records, see all.
"""

from __future__ import annotations

import re

from tradewind.api.accounts import Principal, at_least

SEES_PERSONAL_DATA = "operator"
EMAIL = re.compile(r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+)")


def personal(who: Principal) -> bool:
    return at_least(who.role, SEES_PERSONAL_DATA)


def mask(text: str | None, who: Principal) -> str | None:
    if text is None or personal(who):
        return text
    return EMAIL.sub(r"\1…@\2", text)
