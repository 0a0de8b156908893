"""The working calendar: weekdays, Chinese public holidays and make-up workdays (调休上班), from
``config/calendar.yaml``. The load forecast uses the day type; a holiday empties the service hall like a Sunday
and a make-up Saturday fills it like a weekday.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from models.errors import ConfigError
from models.yaml_source import known_fields, read_config_file, validation_problems

WORKDAY, SATURDAY, REST = 0, 1, 2  # day types: a working day, a Saturday (half-busy hall), a rest day


class Holiday(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    days: tuple[date, date]


class Year(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    year: int
    document: str = Field(min_length=1)
    source: str = Field(min_length=1)
    status: Literal["official", "secondary", "unconfirmed"]
    holidays: list[Holiday]
    workdays: list[date] = Field(default_factory=list)


class WorkCalendar(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    years: list[Year] = Field(default_factory=list)

    def day_types(self, days: pd.DatetimeIndex) -> np.ndarray:
        """Day type of each (local, naive or aware) day: WORKDAY, SATURDAY or REST."""
        dow = days.day_of_week.to_numpy()
        kind = np.where(dow < 5, WORKDAY, np.where(dow == 5, SATURDAY, REST))
        as_dates = pd.DatetimeIndex(days).tz_localize(None).normalize() if days.tz is not None else days.normalize()
        off = {d for y in self.years for h in y.holidays for d in pd.date_range(h.days[0], h.days[1], freq="D")}
        work = {pd.Timestamp(d) for y in self.years for d in y.workdays}
        kind = np.where(as_dates.isin(list(off)), REST, kind)
        return np.where(as_dates.isin(list(work)), WORKDAY, kind)

    def covers(self, day: date) -> bool:
        return any(y.year == day.year for y in self.years)


def load_calendar(path: str | Path) -> WorkCalendar:
    source = read_config_file(Path(path), "pass config/calendar.yaml")
    try:
        return WorkCalendar.model_validate(source.data)
    except ValidationError as exc:
        raise ConfigError(validation_problems(source, exc, known_fields(WorkCalendar, Year, Holiday))) from None
