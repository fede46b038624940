"""Every system lab knows, found by registration.

A system is a package of ``lab`` that registers itself on import (its ``__init__``
calls :func:`lab.strategies.register`): adding one needs no line here. Systems
outside the package register through the entry-point group ``lab.systems`` or the
``LAB_SYSTEMS`` environment variable (comma-separated modules to import).
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import pkgutil
from importlib.metadata import entry_points

import lab
from lab import strategies
from lab.strategies import REGISTRY, System

__all__ = ["REGISTRY", "System", "get_system", "systems", "discover", "HARNESS"]

#: The packages of ``lab`` that are the harness, not systems.
HARNESS = frozenset({"cli", "datagen", "measure", "report"})
#: Extra modules that register systems when imported.
SYSTEMS_ENV = "LAB_SYSTEMS"


_discovered: list[bool] = []


def discover() -> list[System]:
    """Import every system package of lab, every ``lab.systems`` entry point and every module
    in ``LAB_SYSTEMS`` (once); return the registered systems."""
    if not _discovered:
        for module in pkgutil.iter_modules(lab.__path__):
            if module.ispkg and module.name not in HARNESS:
                importlib.import_module(f"lab.{module.name}")
        for point in entry_points(group="lab.systems"):
            point.load()
        for name in _extra_modules():
            importlib.import_module(name)
        _discovered.append(True)
    return strategies.systems()


def _extra_modules() -> list[str]:
    return [m.strip() for m in os.environ.get(SYSTEMS_ENV, "").split(",") if m.strip()]


def systems() -> list[System]:
    """Every system, all of them imported."""
    return discover()


def get_system(name: str) -> System:
    """The system called ``name``, importing only its own package when it is one of lab's
    (a child process that runs one system need not import the others)."""
    if name not in REGISTRY and name.isidentifier() and name not in HARNESS:
        if importlib.util.find_spec(f"lab.{name}") is not None:
            importlib.import_module(f"lab.{name}")
    if name not in REGISTRY:
        for module in _extra_modules():
            importlib.import_module(module)
    if name not in REGISTRY:
        discover()
    return strategies.get_system(name)
