"""Readings of one poll in columns: a ``Sequence[Reading]`` that builds Reading objects only when asked.

A 125-register read yields ~63 values; building 63 frozen dataclasses costs more CPU than the read itself
(~0.4 µs each, measured in bench/bench_collectors.py). The spool only needs columns, so a poll hands over a
``ReadingBatch`` and the spool writes its columns directly; any other sink (the alarm engine) iterates it
like a list of readings.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import overload

from models.reading import Quality, Reading


class ReadingBatch(Sequence[Reading]):
    """``values[i]`` is NaN where the reading has no value; ``qualities`` None means all good."""

    __slots__ = ("point_ids", "pid_blob", "qualities", "ts", "values")

    def __init__(
        self,
        point_ids: Sequence[str],
        ts: float,
        values: list[float],
        qualities: list[Quality] | None = None,
        pid_blob: bytes | None = None,
    ) -> None:
        self.point_ids = point_ids
        self.ts = ts
        self.values = values
        self.qualities = qualities
        self.pid_blob = pid_blob if pid_blob is not None else "\0".join(point_ids).encode()

    def __len__(self) -> int:
        return len(self.values)

    def _reading(self, i: int) -> Reading:
        v = self.values[i]
        q = Quality.GOOD if self.qualities is None else self.qualities[i]
        return Reading(self.point_ids[i], self.ts, None if v != v else float(v), q)

    @overload
    def __getitem__(self, i: int) -> Reading: ...
    @overload
    def __getitem__(self, i: slice) -> list[Reading]: ...

    def __getitem__(self, i: int | slice) -> Reading | list[Reading]:
        if isinstance(i, slice):
            return [self._reading(j) for j in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(i)
        return self._reading(i)

    def __iter__(self) -> Iterator[Reading]:
        return (self._reading(i) for i in range(len(self)))


NAN = math.nan
