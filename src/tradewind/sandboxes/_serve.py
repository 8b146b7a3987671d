"""Serve an ASGI app on loopback in a background thread (tests, demo, benchmarks)."""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType
from typing import Any

import httpx
import uvicorn
from starlette.types import ASGIApp


class Served:
    """A running uvicorn server on 127.0.0.1; use as a context manager or call ``stop``."""

    def __init__(self, app: ASGIApp, port: int = 0, host: str = "127.0.0.1") -> None:
        self.app = app
        self.host = host
        self.port = port or _free_port(host)
        config = uvicorn.Config(app, host=host, port=self.port, log_level="warning", access_log=False, lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name=f"sandbox:{self.port}", daemon=True)

    @property
    def sandbox(self) -> Any:
        """The served sandbox's in-memory state (``app.state.sandbox``), for seeding and checks."""
        return self.app.state.sandbox  # type: ignore[attr-defined]

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> Served:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError(f"server on {self.url} did not start")
            time.sleep(0.01)
        return self

    def fault(self, **fault: Any) -> None:
        """Queue a fault through the sandbox's control plane (see ``_kit.py``)."""
        httpx.post(f"{self.url}/_sandbox/faults", json=fault).raise_for_status()

    def calls(self) -> int:
        """Vendor calls the sandbox has answered."""
        return int(httpx.get(f"{self.url}/_sandbox/calls").json()["total"])

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)

    def __enter__(self) -> Served:
        return self.start()

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.stop()


def _free_port(host: str) -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])
