"""``tradewind sandboxes serve``: the Exact Online, Shopify and IP-Soft sandboxes alone, on fixed
ports, seeded as the demo seeds them, so flows can be tried by hand (``tradewind run -p …``).

The project file it prints is the demo's (:func:`~tradewind.sandboxes.project.sandbox_project`),
its secrets the sandboxes' fixed ``SANDBOX_…`` values; the shop signs webhooks with the secret the
caller passes. SFTP is not served here: its sandbox needs a host key and a folder per session
(tests start it with :mod:`tradewind.sandboxes.sftp`).
"""

from __future__ import annotations

from dataclasses import dataclass

from tradewind.sandboxes import exact_online, ip_soft, shopify
from tradewind.sandboxes._serve import Served
from tradewind.sandboxes.exact_online_data import catalogue, service_items
from tradewind.sandboxes.ip_soft_data import catalogue as ip_soft_catalogue
from tradewind.sandboxes.ip_soft_store import SERVICE_PATH
from tradewind.sandboxes.project import sandbox_project, secrets

PORTS = {"exact_online": 8101, "shopify": 8102, "ip_soft": 8103}
PREFIX = "SANDBOX"
IP_SOFT_KEY = "demo-key"


@dataclass
class Sandboxes:
    """The served sandboxes by name (``exact_online``, ``shopify``, ``ip_soft``)."""

    served: dict[str, Served]

    def url(self, name: str) -> str:
        return self.served[name].url

    def stop(self) -> None:
        for served in self.served.values():
            if served.thread.is_alive():
                served.stop()

    def project(self) -> str:
        """A project file for the demo's flows against these sandboxes."""
        return sandbox_project(self.url("exact_online"), self.url("shopify"), prefix=PREFIX)

    def ip_soft_connection(self) -> str:
        """The project-file block of a connection to the IP-Soft sandbox."""
        return (f"  ipsoft:\n    connector: ip_soft\n    endpoint: {self.url('ip_soft')}{SERVICE_PATH}\n"
                f"    api_key: ${{{PREFIX}_IPSOFT_API_KEY}}\n")

    @staticmethod
    def environment() -> dict[str, str]:
        """The variables the printed project's secret references read."""
        return {**secrets(PREFIX), f"{PREFIX}_IPSOFT_API_KEY": IP_SOFT_KEY}


def start(*, products: int, webhook_secret: str, ports: dict[str, int] | None = None,
          host: str = "127.0.0.1") -> Sandboxes:
    """Start the sandboxes on ``ports`` (0: a free port), with the vendors' rate limits on; a sandbox
    that cannot start stops those already started."""
    chosen = {**PORTS, **(ports or {})}
    seed = catalogue(products=products)
    seed["items"].extend(service_items())
    apps = {"exact_online": exact_online.create_app(seed=seed),
            "shopify": shopify.create_app(webhook_secret=webhook_secret),
            "ip_soft": ip_soft.create_app(seed=ip_soft_catalogue(products=min(products, 50)), api_key=IP_SOFT_KEY)}
    started = Sandboxes({})
    try:
        for name, app in apps.items():
            started.served[name] = Served(app, port=chosen[name], host=host).start()
    except BaseException:
        started.stop()
        raise
    return started
