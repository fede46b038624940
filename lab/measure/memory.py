"""Peak heap of one call, as memray records it (never in the same run as a timing)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

__all__ = ["peak_heap"]

T = TypeVar("T")


def peak_heap(fn: Callable[[], T]) -> tuple[int, T]:
    """Run ``fn`` under ``memray.Tracker``; return its peak heap in bytes and its result.

    Only allocations made during the call count: not imports, not data
    generation done before it. Python's own allocator is traced object by
    object, so memory reused from arenas an earlier call left behind still
    counts. pyarrow is told to allocate through the system allocator, which
    memray sees (its default pool reports reserved address space). memray keeps
    aggregated allocations only, so its file stays small however long the run.
    """
    import memray

    os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")
    with tempfile.TemporaryDirectory(prefix="lab-memray-") as folder:
        path = Path(folder) / "run.bin"
        destination = memray.FileDestination(path, overwrite=True)
        with memray.Tracker(
            destination=destination,
            trace_python_allocators=True,
            file_format=memray.FileFormat.AGGREGATED_ALLOCATIONS,
        ):
            result = fn()
        peak = memray.FileReader(path).metadata.peak_memory
    return int(peak), result
