"""Measuring a callable honestly: time, peak heap, growth, and the records they make.

Nothing here knows a system: it is handed a callable.
"""

from lab.measure.growth import Fit, fit_exponent, fit_growth
from lab.measure.memory import peak_heap, tracking
from lab.measure.records import (
    Record,
    append_record,
    load_records,
    machine,
    machine_text,
    make_record,
    new_run_id,
)
from lab.measure.timing import Timing, time_call

__all__ = [
    "Timing",
    "time_call",
    "peak_heap",
    "tracking",
    "Fit",
    "fit_exponent",
    "fit_growth",
    "Record",
    "make_record",
    "append_record",
    "load_records",
    "machine",
    "machine_text",
    "new_run_id",
]
