"""The public surface: ``tradewind.__all__`` resolves, and the error tree is drawn where it is defined."""

from __future__ import annotations

import inspect
import re
import subprocess
import sys
from importlib.metadata import version

import tradewind
import tradewind.errors as errors

ERROR_CLASSES = {
    name: cls for name, cls in inspect.getmembers(errors, inspect.isclass) if cls.__module__ == errors.__name__
}


def test_every_public_name_resolves() -> None:
    namespace: dict[str, object] = {}
    exec("from tradewind import *", namespace)  # the star import users write
    assert [] == [name for name in tradewind.__all__ if name not in namespace]
    assert len(set(tradewind.__all__)) == len(tradewind.__all__)


def test_public_names_are_the_real_objects() -> None:
    from tradewind.connectors.base import SecretRef
    from tradewind.model.money import Money

    assert (Money, SecretRef) == (tradewind.Money, tradewind.SecretRef)
    assert version("tradewind") == tradewind.__version__


def test_every_error_class_is_public() -> None:
    assert set(ERROR_CLASSES) == {name for name in tradewind.__all__ if name in vars(errors)}
    assert all(getattr(tradewind, name) is cls for name, cls in ERROR_CLASSES.items())


def test_unknown_attribute_raises_attribute_error() -> None:
    assert not hasattr(tradewind, "NoSuchThing")


def _drawn_tree() -> dict[str, str | None]:
    """Each class named in the docstring's tree, with the class drawn as its parent."""
    parents: dict[str, str | None] = {}
    path: list[str] = []
    for line in (errors.__doc__ or "").splitlines():
        match = re.match(r"^    (?P<prefix>[│├└─ ]*)(?P<name>[A-Z]\w+)", line)
        if not match:
            continue
        depth = len(match["prefix"]) // 4
        path[depth:] = [match["name"]]
        parents[match["name"]] = path[depth - 1] if depth else None
    return parents


def test_the_docstring_draws_every_error_class_under_its_base() -> None:
    actual = {
        name: (None if cls.__bases__[0] is Exception else cls.__bases__[0].__name__)
        for name, cls in ERROR_CLASSES.items()
    }
    assert _drawn_tree() == actual


def test_importing_the_model_does_not_load_the_connector_layer() -> None:
    code = "import sys, tradewind.model; print('tradewind.connectors' in sys.modules, 'httpx' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "False False" == result.stdout.strip()
