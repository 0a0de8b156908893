"""Period arithmetic shared by the report sections: role totals, hourly series, monthly energy balance and
Scope 2 both ways with instruments applied month by month (so period totals equal the sum of the months)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from carbon.config import CarbonConfig
from carbon.coverage import Coverage, coverage_of
from carbon.emissions import scope2_location_kg, scope2_market_kg
from carbon.factors import Factor, FactorTable
from carbon.instruments import Applied, apply_electricity_instruments
from carbon.offsets import EnergyBalance, energy_balance
from models.errors import EnergyBalanceError

BALANCE_ROLES = ("grid_import", "grid_export", "pv", "wind", "battery_charge", "battery_discharge")
LOAD_ROLES = ("consumption", "ev_charging")


def window(energy: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    return energy[(energy["start"] >= start) & (energy["start"] < end)]


def hourly(energy: pd.DataFrame, role: str) -> pd.Series:
    """Energy of ``role`` per interval start, summed over subsystems (gaps stay NaN only if all parts are)."""
    part = energy[energy["role"] == role]
    return part.groupby("start", sort=True)["energy_kwh"].sum(min_count=1)


def role_totals(energy: pd.DataFrame) -> dict[str, float]:
    sums = energy.groupby("role")["energy_kwh"].sum()
    return {role: float(sums.get(role, 0.0)) for role in (*BALANCE_ROLES, *LOAD_ROLES)}


def role_coverage(energy: pd.DataFrame) -> dict[str, Coverage]:
    return {str(role): coverage_of(part["quality"]) for role, part in energy.groupby("role", sort=True)}


def balance_of(totals: dict[str, float]) -> EnergyBalance:
    return energy_balance(totals["grid_import"], totals["grid_export"], totals["pv"], totals["wind"],
                          totals["battery_charge"], totals["battery_discharge"])


@dataclass
class MonthLedger:
    month: str
    start: pd.Timestamp
    end: pd.Timestamp
    totals: dict[str, float]
    balance: EnergyBalance | None
    problem: str | None
    location_kg: float
    market_kg: float
    covered_kwh: float
    surplus_kwh: float
    applied: list[Applied]
    coverage: Coverage
    factors: list[Factor] = field(default_factory=list)


def month_starts(start: pd.Timestamp, end: pd.Timestamp) -> list[pd.Timestamp]:
    tz = start.tz
    months = pd.date_range(start.tz_localize(None), end.tz_localize(None), freq="MS", inclusive="left")
    firsts = [start] + [m.tz_localize(tz) for m in months if m.tz_localize(tz) > start]
    return [*firsts, end]


def expected_coverage(part: pd.DataFrame, series: int, t0: pd.Timestamp, t1: pd.Timestamp, freq: str) -> Coverage:
    """Coverage of ``part`` against every interval ``series`` role/subsystem series should have in [t0, t1):
    an interval without a row at all is missing (a gap), not absent from the count."""
    found = coverage_of(part["quality"])
    expected = series * len(pd.date_range(t0, t1, freq=freq, inclusive="left"))
    return Coverage(found.measured, found.estimated, found.gap + max(expected - found.intervals, 0))


def month_ledger(energy: pd.DataFrame, t0: pd.Timestamp, t1: pd.Timestamp, factors: FactorTable,
                 config: CarbonConfig, freq: str = "h", series: int | None = None) -> MonthLedger:
    """One month (or part of one) of the inventory: balance, Scope 2 location- and market-based.

    ``freq`` is the frame's interval ("h" or "D") and ``series`` the number of role/subsystem series it holds
    (default: those in ``energy``), so the coverage counts intervals that have no row as missing."""
    part = window(energy, t0, t1)
    if series is None:
        series = len(energy.groupby(["role", "subsystem"]).size())
    totals = role_totals(part)
    problem = None
    try:
        balance: EnergyBalance | None = balance_of(totals)
    except EnergyBalanceError as exc:
        balance, problem = None, str(exc)
    imports = hourly(part, "grid_import").fillna(0.0)
    index = imports.index if len(imports) else pd.DatetimeIndex([t0])
    loc_f, loc_used = factors.series("electricity_location", config.factors.location_region, pd.DatetimeIndex(index))
    res_f, res_used = factors.series("electricity_residual", config.factors.residual_region, pd.DatetimeIndex(index))
    applied, covered, surplus = apply_electricity_instruments(
        config.declared_instruments(), _local_date(t0), _local_date(t1), totals["grid_import"])
    null_kwh = balance.self_consumed_kwh if (balance and config.market_based.onsite_gecs_sold) else 0.0
    imports = imports.reindex(index, fill_value=0.0)
    return MonthLedger(
        month=t0.strftime("%Y-%m"), start=t0, end=t1, totals=totals, balance=balance, problem=problem,
        location_kg=scope2_location_kg(imports, loc_f), market_kg=scope2_market_kg(imports, res_f, covered,
                                                                                   null_power_kwh=null_kwh),
        covered_kwh=covered, surplus_kwh=surplus, applied=applied,
        coverage=expected_coverage(part, series, t0, t1, freq),
        factors=[*loc_used, *res_used],
    )


def _local_date(ts: pd.Timestamp) -> date:
    naive = ts.tz_localize(None) if ts.tz is not None else ts
    return date(naive.year, naive.month, naive.day)


def ledgers(energy: pd.DataFrame, t0: pd.Timestamp, t1: pd.Timestamp, factors: FactorTable,
            config: CarbonConfig, freq: str = "h") -> list[MonthLedger]:
    bounds = month_starts(t0, t1)
    series = len(energy.groupby(["role", "subsystem"]).size())
    return [month_ledger(energy, a, b, factors, config, freq, series)
            for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
