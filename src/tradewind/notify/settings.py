"""Where alerts go and what they say: the project file's ``notify:`` block, overridden by ``TRADEWIND_NOTIFY_*``.

The environment wins over the file, as for settings, so an operator can redirect mail without
editing the project. Mail is off unless a recipient is named (``notify.to`` or ``TRADEWIND_NOTIFY_TO``).
The SMTP password comes only from the environment — the file holds a ``${ENV}`` reference to it —
and is never logged or shown (``repr`` leaves it out).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from tradewind.connectors.base import SecretRef
from tradewind.engine.project.schema import NotifySpec, ReportSpec, parse_interval
from tradewind.errors import ConfigError

PREFIX = "TRADEWIND_NOTIFY_"
EVENTS = frozenset({"failed_runs", "failed_records", "reauthorisation", "quota"})


@dataclass(frozen=True)
class MailSettings:
    recipients: tuple[str, ...]
    host: str = "localhost"
    port: int = 25
    sender: str = "tradewind@localhost"
    starttls: bool = False
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    window: timedelta = timedelta(minutes=15)
    app_url: str | None = None
    template: Path | None = None
    events: frozenset[str] = EVENTS
    quota_threshold: float = 1.0
    reports: Mapping[str, ReportSpec] = field(default_factory=dict)

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> MailSettings | None:
        """The settings from the environment alone; None when no recipient is set (mail off)."""
        return cls.resolve(None, environ)

    @classmethod
    def resolve(cls, spec: NotifySpec | None, environ: Mapping[str, str] | None = None) -> MailSettings | None:
        """The file's ``notify:`` block with ``TRADEWIND_NOTIFY_*`` over it; None when no recipient is named."""
        env = os.environ if environ is None else environ
        base = spec or NotifySpec()

        def get(name: str) -> str | None:
            return env.get(PREFIX + name) or None

        listed = get("TO")
        recipients = tuple(r.strip() for r in listed.split(",") if r.strip()) if listed else tuple(base.to)
        if not recipients:
            return None
        try:
            port = int(get("SMTP_PORT") or base.smtp_port)
            minutes = get("WINDOW_MINUTES")
            window = timedelta(minutes=float(minutes)) if minutes else parse_interval(base.window)
        except ValueError as error:
            raise ConfigError(f"{PREFIX}SMTP_PORT and {PREFIX}WINDOW_MINUTES must be numbers ({error})") from None
        starttls = get("STARTTLS")
        template = get("TEMPLATE")
        return cls(recipients=recipients, host=get("SMTP_HOST") or base.smtp_host, port=port,
                   sender=get("FROM") or base.sender,
                   starttls=starttls.lower() in ("1", "true", "yes") if starttls else base.starttls,
                   username=get("SMTP_USER") or base.smtp_user, password=_password(base, env, get("SMTP_PASSWORD")),
                   window=window, app_url=(get("APP_URL") or base.app_url or "").rstrip("/") or None,
                   template=Path(template) if template else None, events=frozenset(base.events),
                   quota_threshold=base.quota_threshold, reports=dict(base.reports))


def _password(spec: NotifySpec, env: Mapping[str, str], direct: str | None) -> str | None:
    if direct or spec.smtp_password is None:
        return direct
    return SecretRef(spec.smtp_password).resolve(env)


def describe(settings: MailSettings) -> dict[str, Any]:
    """What a log line may say about the settings: no addresses, no password."""
    return {"recipients": len(settings.recipients), "host": settings.host, "port": settings.port,
            "window_minutes": settings.window.total_seconds() / 60, "reports": sorted(settings.reports)}
