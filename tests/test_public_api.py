"""The public API is exactly what ``__all__`` lists, in the package and in every public module."""

from __future__ import annotations

import importlib
import pkgutil
import types

import pytest

import loyalty_connector

MODULES = sorted(
    name
    for _, name, _ in pkgutil.walk_packages(loyalty_connector.__path__, "loyalty_connector.")
    if not name.rsplit(".", 1)[-1].startswith("_")
)


def test_package_exports_exactly_its_public_names() -> None:
    public = {
        name
        for name, value in vars(loyalty_connector).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert public | {"__version__"} == set(loyalty_connector.__all__)


def test_all_is_sorted_and_unique() -> None:
    names = [n for n in loyalty_connector.__all__ if n != "__version__"]
    assert names == sorted(names, key=str)
    assert len(names) == len(set(names))


@pytest.mark.parametrize("module_name", MODULES)
def test_every_public_module_declares_all_and_defines_it(module_name: str) -> None:
    module = importlib.import_module(module_name)
    exported = getattr(module, "__all__", None)
    assert exported is not None, f"{module_name} has no __all__"
    missing = [name for name in exported if not hasattr(module, name)]
    assert missing == []


@pytest.mark.parametrize("name", [n for n in loyalty_connector.__all__ if n != "__version__"])
def test_every_exported_name_has_a_docstring(name: str) -> None:
    value = getattr(loyalty_connector, name)
    if isinstance(value, (type, types.FunctionType)):
        assert (value.__doc__ or "").strip(), f"{name} has no docstring"
