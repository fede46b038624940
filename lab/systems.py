"""Every system lab knows, registered on import."""

from __future__ import annotations

from lab import analytics  # noqa: F401 - registers the system
from lab.strategies import REGISTRY, System, get_system, systems

__all__ = ["REGISTRY", "System", "get_system", "systems"]
