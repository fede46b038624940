"""Every system lab knows, found by registration.

A system is a package of ``lab`` that registers itself on import (its ``__init__``
calls :func:`lab.strategies.register`): adding one needs no line here. Systems
outside the package register through the entry-point group ``lab.systems`` or the
``LAB_SYSTEMS`` environment variable (comma-separated modules to import).
"""

from __future__ import annotations

import importlib
import os
import pkgutil
from importlib.metadata import entry_points

import lab
from lab.strategies import REGISTRY, System, get_system, systems

__all__ = ["REGISTRY", "System", "get_system", "systems", "discover", "HARNESS"]

#: The packages of ``lab`` that are the harness, not systems.
HARNESS = frozenset({"cli", "datagen", "measure", "report"})
#: Extra modules that register systems when imported.
SYSTEMS_ENV = "LAB_SYSTEMS"


def discover() -> list[System]:
    """Import every system package of lab, every ``lab.systems`` entry point and every module
    in ``LAB_SYSTEMS``; return the registered systems."""
    for module in pkgutil.iter_modules(lab.__path__):
        if module.ispkg and module.name not in HARNESS:
            importlib.import_module(f"lab.{module.name}")
    for point in entry_points(group="lab.systems"):
        point.load()
    for name in filter(None, (m.strip() for m in os.environ.get(SYSTEMS_ENV, "").split(","))):
        importlib.import_module(name)
    return systems()


discover()
