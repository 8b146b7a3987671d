"""Sandboxes: faithful local emulators of vendors' APIs, served as ASGI apps.

They stand apart from the connectors and never import them, so a connector's misreading of
an API is not mirrored by its sandbox. Each follows the vendor's documentation (cited in its
module docstring), keeps state in memory, can be seeded, counts calls and accepts injected
faults through the control plane under ``/_sandbox/`` (see :mod:`tradewind.sandboxes._kit`).
"""
