"""Malformed input kept aside, never lost: each bad record with its line and reason."""

from __future__ import annotations

import csv
import hashlib
import io
from collections import Counter
from pathlib import Path

__all__ = ["Quarantine"]


class Quarantine:
    """A sink for bad records, written as CSV (``line,reason,raw``) on first use.

    ``raw`` is the record's fields as the csv module parsed them, written back with
    the input's delimiter and the csv module's quoting (a field is quoted when it
    holds the delimiter, a quote or a line break; quotes the input had around
    other fields are gone); bytes that were not UTF-8 are written back as the same
    bytes. A file left by an earlier run at ``path`` is removed, so what is there
    is this run's.
    """

    def __init__(self, path: Path | None, delimiter: str = ",") -> None:
        if path is not None:
            path.unlink(missing_ok=True)
        self.path = path
        self.delimiter = delimiter
        self.count = 0
        self.reasons: Counter[str] = Counter()
        self._file: io.TextIOWrapper | None = None
        self._writer = None

    @staticmethod
    def file_for(folder: Path, source: Path, label: str) -> Path:
        """Where the bad records of ``source`` read with the strategies ``label`` go: named after
        the input's file name and a hash of its absolute path, so that no two inputs share a
        file (``x/data.csv``, ``y/data.csv`` and ``y/data.tsv`` do not)."""
        where = str(Path(source).absolute()).encode("utf-8", "surrogateescape")
        return folder / f"{Path(source).name}.{hashlib.sha256(where).hexdigest()[:8]}.{label}.csv"

    def add(self, line: int, reason: str, fields: list[str]) -> None:
        """Record one bad record that starts on ``line`` (1-based, the header is line 1)."""
        self.count += 1
        self.reasons[_kind(reason)] += 1
        if self.path is None:
            return
        if self._file is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = open(  # noqa: SIM115 - closed by close()
                self.path, "w", encoding="utf-8", errors="surrogateescape", newline=""
            )
            self._writer = csv.writer(self._file)
            self._writer.writerow(["line", "reason", "raw"])
        raw = io.StringIO()
        # the default line end makes the writer quote fields that hold a line break
        csv.writer(raw, delimiter=self.delimiter, lineterminator="\r\n").writerow(fields)
        self._writer.writerow([line, reason, raw.getvalue().removesuffix("\r\n")])

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def __enter__(self) -> Quarantine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _kind(reason: str) -> str:
    """The reason without the value it quotes, for tallies: ``amount is not a number``."""
    return reason.split(": ", 1)[0]
