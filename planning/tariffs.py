"""Time-of-use tariffs: load ``config/tariffs.yaml``, check it (file:line errors), price any local instant.

A schedule names which local clock hours are valley, flat and peak, and the ratios the policy sets against the
flat-period price (Guangdong: 1.7 : 1 : 0.38, critical peak 25 % above peak, 粤发改价格〔2021〕331号). The flat price
itself changes with each month's agency-purchase notice, so it is a separate, dated list; so is the demand charge.

    >>> table = load_tariffs("config/tariffs.yaml")
    >>> local = pd.date_range("2026-08-03 10:00", periods=3, freq="1h", tz="Asia/Shanghai")
    >>> table.prices(local)["period"].tolist()
    ['peak', 'critical_peak', 'flat']
"""

from __future__ import annotations

import hashlib
import re
from datetime import date
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from models.errors import ConfigError, ConfigProblem
from models.yaml_source import YamlSource, known_fields, read_config_file, validation_problems

PERIODS = ("valley", "flat", "peak", "critical_peak")
Status = Literal["official", "secondary", "unconfirmed"]
_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$|^24:00$")


def _minute(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


class Dated(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    document: str = Field(min_length=1)
    source: str = Field(min_length=1)
    status: Status
    valid_from: date
    valid_to: date


Span = tuple[str, str]


def _check_spans(spans: list[Span]) -> list[Span]:
    for start, end in spans:
        if not (_CLOCK.match(start) and _CLOCK.match(end)):
            raise ValueError(f"clock times are HH:MM (00:00-24:00), got [{start!r}, {end!r}]")
        if _minute(end) <= _minute(start):
            raise ValueError(f"[{start}, {end}] ends before it starts (split a span that crosses midnight)")
    return spans


class CriticalPeak(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    hours: list[Span] = Field(min_length=1)
    months: list[int] = Field(default_factory=list)
    extra_days: list[date] = Field(default_factory=list)

    @field_validator("hours")
    @classmethod
    def _hours(cls, spans: list[Span]) -> list[Span]:
        return _check_spans(spans)

    @field_validator("months")
    @classmethod
    def _months(cls, months: list[int]) -> list[int]:
        if any(not 1 <= m <= 12 for m in months):
            raise ValueError(f"months are 1-12, got {months}")
        return months


class Schedule(Dated):
    name: str = ""
    periods: dict[Literal["valley", "flat", "peak"], list[Span]]
    ratios: dict[Literal["valley", "flat", "peak", "critical_peak"], float]
    critical_peak: CriticalPeak | None = None

    @field_validator("periods")
    @classmethod
    def _periods(cls, periods: dict[str, list[Span]]) -> dict[str, list[Span]]:
        for spans in periods.values():
            _check_spans(spans)
        return periods

    def minute_labels(self) -> np.ndarray:
        """The period of each minute of a day (1440 labels); '' where no span covers it."""
        labels = np.full(1440, "", dtype=object)
        for name, spans in self.periods.items():
            for start, end in spans:
                labels[_minute(start):_minute(end)] = name
        return labels


class EnergyPrice(Dated):
    flat_yuan_per_kwh: float = Field(gt=0)
    adder_yuan_per_kwh: float = Field(default=0.0, ge=0)


class DemandCharge(Dated):
    yuan_per_kw_month: float = Field(ge=0)


class TariffFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    version: str = Field(min_length=1)
    schedules: list[Schedule] = Field(min_length=1)
    energy_prices: list[EnergyPrice] = Field(min_length=1)
    demand_charges: list[DemandCharge] = Field(default_factory=list)


class TariffTable(BaseModel):
    """A checked tariff file: price every instant, the demand charge of every month."""

    model_config = ConfigDict(frozen=True)

    version: str
    sha256: str
    source: str
    schedules: list[Schedule]
    energy_prices: list[EnergyPrice]
    demand_charges: list[DemandCharge]

    def _valid(self, items: list, kind: str, days: pd.DatetimeIndex) -> np.ndarray:  # type: ignore[type-arg]
        """Index into ``items`` of the entry valid on each day; raises naming the first uncovered day."""
        which = np.full(len(days), -1)
        for i, item in enumerate(items):
            which[(days >= pd.Timestamp(item.valid_from)) & (days < pd.Timestamp(item.valid_to))] = i
        if (which < 0).any():
            first = days[which < 0][0].date().isoformat()
            raise ConfigError([ConfigProblem(self.source, None, kind, f"no entry valid on {first}; add one whose "
                                             "[valid_from, valid_to) covers it")])
        return which

    def prices(self, local: pd.DatetimeIndex) -> pd.DataFrame:
        """Per instant of ``local`` (tz-aware, the site's zone): ``period`` and ``price_yuan_per_kwh``."""
        days = local.tz_localize(None).normalize()
        minute = (local.hour * 60 + local.minute).to_numpy()
        period = np.empty(len(local), dtype=object)
        ratio = np.empty(len(local))
        for i in np.unique(s_idx := self._valid(self.schedules, "schedules", days)):
            schedule, mask = self.schedules[i], s_idx == i
            labels = schedule.minute_labels()[minute[mask]]
            cp = schedule.critical_peak
            if cp is not None:
                in_hours = np.zeros(1440, dtype=bool)
                for start, end in cp.hours:
                    in_hours[_minute(start):_minute(end)] = True
                on_day = np.isin(local[mask].month, cp.months) | np.isin(days[mask].date, cp.extra_days)
                labels = np.where(on_day & in_hours[minute[mask]], "critical_peak", labels)
            period[mask] = labels
            ratio[mask] = [schedule.ratios[p] for p in labels]
        p_idx = self._valid(self.energy_prices, "energy_prices", days)
        flat = np.array([p.flat_yuan_per_kwh for p in self.energy_prices])[p_idx]
        adder = np.array([p.adder_yuan_per_kwh for p in self.energy_prices])[p_idx]
        return pd.DataFrame({"period": period, "price_yuan_per_kwh": flat * ratio + adder}, index=local)

    def demand_rate(self, month_start: date) -> float:
        """Demand charge, yuan per kW of the month's highest 15-min import; 0 when the file declares none."""
        if not self.demand_charges:
            return 0.0
        idx = self._valid(self.demand_charges, "demand_charges", pd.DatetimeIndex([pd.Timestamp(month_start)]))
        return self.demand_charges[int(idx[0])].yuan_per_kw_month

    def entries_used(self, start: date, end: date) -> list[Dated]:
        """Every schedule, price and demand entry whose validity meets [start, end): what a cost figure used."""
        items: list[Dated] = [*self.schedules, *self.energy_prices, *self.demand_charges]
        return [d for d in items if d.valid_from < end and start < d.valid_to]


    def placeholders(self, start: date, end: date) -> list[dict[str, Any]]:
        """The prices of [start, end) that are placeholders (status ``unconfirmed``): ``what`` (flat_price |
        demand_charge), ``value``, ``unit``, ``id``. Every figure that used one says "placeholder, not confirmed"."""
        out: list[dict[str, Any]] = [
            {"what": "flat_price", "value": p.flat_yuan_per_kwh, "unit": "yuan/kWh", "id": p.id}
            for p in self.energy_prices if p.status == "unconfirmed" and p.valid_from < end and start < p.valid_to]
        out += [{"what": "demand_charge", "value": d.yuan_per_kw_month, "unit": "yuan/kW·month", "id": d.id}
                for d in self.demand_charges if d.status == "unconfirmed" and d.valid_from < end and start < d.valid_to]
        return out


def placeholder_note(placeholders: list[dict[str, Any]]) -> str:
    """One line for reports and the command line: what is a placeholder, and where to enter the real figure."""
    if not placeholders:
        return "tariff prices sourced"
    items = "; ".join(f"{p['what'].replace('_', ' ')} {p['value']:g} {p['unit']} ({p['id']})" for p in placeholders)
    return f"placeholder, not confirmed: {items}; enter the supply contract's figures in config/tariffs.yaml"


_WORDS = known_fields(TariffFile, Schedule, EnergyPrice, DemandCharge, CriticalPeak)


def load_tariffs(path: str | Path) -> TariffTable:
    """Load and check a tariff file; all problems at once as ``file:line key: message`` in a ConfigError."""
    path = Path(path)
    source = read_config_file(path, "pass config/tariffs.yaml (see docs/methodology.md §9)")
    try:
        parsed = TariffFile.model_validate(source.data)
    except ValidationError as exc:
        raise ConfigError(validation_problems(source, exc, _WORDS)) from None
    problems = _cross_check(parsed, source)
    if problems:
        raise ConfigError(problems)
    return TariffTable(version=parsed.version, sha256=hashlib.sha256(source.text.encode()).hexdigest(),
                       source=str(path), schedules=parsed.schedules, energy_prices=parsed.energy_prices,
                       demand_charges=parsed.demand_charges)


def _cross_check(parsed: TariffFile, source: YamlSource) -> list[ConfigProblem]:
    problems: list[ConfigProblem] = []
    for key in ("schedules", "energy_prices", "demand_charges"):
        problems += _overlaps(getattr(parsed, key), key, source)
    for i, s in enumerate(parsed.schedules):
        problems += _schedule_problems(s, ("schedules", i), source)
    return problems


def _overlaps(items: list[Dated], key: str, source: YamlSource) -> list[ConfigProblem]:
    problems = []
    for i, item in enumerate(items):
        if item.valid_to <= item.valid_from:
            problems.append(source.problem((key, i, "valid_to"), "valid_to must be after valid_from (exclusive end)"))
        for j, other in enumerate(items[:i]):
            if other.valid_from < item.valid_to and item.valid_from < other.valid_to:
                msg = f"validity overlaps {other.id!r} ({key}[{j}]); end one before the other"
                problems.append(source.problem((key, i, "valid_from"), msg))
    return problems


def _schedule_problems(s: Schedule, loc: tuple[str | int, ...], source: YamlSource) -> list[ConfigProblem]:
    problems = []
    cover = np.zeros(1440, dtype=int)
    for spans in s.periods.values():
        for start, end in spans:
            cover[_minute(start):_minute(end)] += 1
    for count, what in ((0, "no period"), (2, "two periods")):
        hit = np.flatnonzero(cover == count) if count == 0 else np.flatnonzero(cover >= count)
        if len(hit):
            m = int(hit[0])
            problems.append(source.problem((*loc, "periods"), f"{what} at {m // 60:02d}:{m % 60:02d}; the valley, "
                                           "flat and peak spans must cover each minute of the day exactly once"))
    needed = {"valley", "flat", "peak"} | ({"critical_peak"} if s.critical_peak else set())
    missing = sorted(needed - set(s.ratios))
    if missing:
        problems.append(source.problem((*loc, "ratios"), f"no ratio for {', '.join(missing)}"))
    if s.critical_peak is not None:
        labels = s.minute_labels()
        for start, end in s.critical_peak.hours:
            if set(labels[_minute(start):_minute(end)]) - {"peak"}:
                problems.append(source.problem((*loc, "critical_peak", "hours"),
                                               f"[{start}, {end}] is not inside peak hours"))
    return problems
