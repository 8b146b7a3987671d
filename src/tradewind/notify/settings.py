"""Where alerts go: SMTP server, sender, recipients, window, read from ``TRADEWIND_NOTIFY_*``.

Alerts are off unless ``TRADEWIND_NOTIFY_TO`` names a recipient. The SMTP password only ever
comes from the environment and is never logged or shown (``repr`` leaves it out).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from tradewind.errors import ConfigError

PREFIX = "TRADEWIND_NOTIFY_"


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

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> MailSettings | None:
        """The settings from the environment; None when no recipient is set (alerts off)."""
        env = os.environ if environ is None else environ

        def get(name: str) -> str | None:
            return env.get(PREFIX + name) or None

        recipients = tuple(r.strip() for r in (get("TO") or "").split(",") if r.strip())
        if not recipients:
            return None
        try:
            port = int(get("SMTP_PORT") or 25)
            window = timedelta(minutes=float(get("WINDOW_MINUTES") or 15))
        except ValueError as error:
            raise ConfigError(f"{PREFIX}SMTP_PORT and {PREFIX}WINDOW_MINUTES must be numbers ({error})") from None
        template = get("TEMPLATE")
        return cls(recipients=recipients, host=get("SMTP_HOST") or "localhost", port=port,
                   sender=get("FROM") or "tradewind@localhost", starttls=(get("STARTTLS") or "").lower() in
                   ("1", "true", "yes"), username=get("SMTP_USER"), password=get("SMTP_PASSWORD"),
                   window=window, app_url=(get("APP_URL") or "").rstrip("/") or None,
                   template=Path(template) if template else None)
