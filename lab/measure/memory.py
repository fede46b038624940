"""Peak heap of one call, as memray records it (never in the same run as a timing)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

__all__ = ["peak_heap", "tracking"]

T = TypeVar("T")


@contextmanager
def tracking(path: Path, aggregated: bool = True) -> Iterator[None]:
    """Record every allocation made inside the block into ``path`` with memray.

    Python's own allocator is traced object by object, so memory reused from
    arenas an earlier call left behind still counts. pyarrow is told to allocate
    through the system allocator, which memray sees (its default pool reports
    reserved address space). ``aggregated`` keeps the file small however long the
    run (enough for the peak; a flame graph needs ``aggregated=False``).
    """
    import memray

    os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")
    options = {"file_format": memray.FileFormat.AGGREGATED_ALLOCATIONS} if aggregated else {}
    destination = memray.FileDestination(path, overwrite=True)
    with memray.Tracker(destination=destination, trace_python_allocators=True, **options):
        yield


def peak_heap(fn: Callable[[], T]) -> tuple[int, T]:
    """Run ``fn`` under :func:`tracking`; return its peak heap in bytes and its result.

    Only allocations made during the call count: not imports, not data
    generation done before it.
    """
    import memray

    with tempfile.TemporaryDirectory(prefix="lab-memray-") as folder:
        path = Path(folder) / "run.bin"
        with tracking(path):
            result = fn()
        peak = memray.FileReader(path).metadata.peak_memory
    return int(peak), result
