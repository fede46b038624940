"""Measuring a callable honestly: time, peak heap, growth, and the records they make.

Nothing here knows a system: it is handed a callable.
"""

from lab.measure.growth import fit_exponent
from lab.measure.memory import peak_heap
from lab.measure.records import append_record, load_records, machine, make_record
from lab.measure.timing import Timing, time_call

__all__ = [
    "Timing",
    "time_call",
    "peak_heap",
    "fit_exponent",
    "make_record",
    "append_record",
    "load_records",
    "machine",
]
