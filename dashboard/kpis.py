"""Headline numbers for the Overview, each taken from the carbon module's own functions.

The page only formats what :func:`overview_kpis` returns; tests call the same carbon functions on the same
period and compare, so the console and the carbon report can never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from carbon.offsets import (
    EnergyBalance,
    energy_balance,
    renewable_share,
    self_consumption_ratio,
    self_sufficiency_ratio,
)
from dashboard.context import Console
from dashboard.report_bridge import budget_kg, location_kg, year_before_today_kg
from dashboard.sources import Balance, balance, energy_frame, has_readings, measured_share
from models.errors import CarbonUnavailable, ConfigError, EnergyBalanceError


@dataclass(frozen=True)
class OverviewKpis:
    consumption_kwh: float | None
    generation_kwh: float | None
    self_sufficiency: float | None
    self_consumption: float | None
    renewable_share: float | None
    carbon_today_kg: float | None
    carbon_ytd_kg: float | None
    carbon_budget_kg: float | None
    active_alarms: int | None
    problem: str = ""  # why a number is missing (e.g. an impossible meter balance), shown under the tiles
    measured: bool = True  # False: no meter has reported today (the page says why instead of showing 0 kWh)


def carbon_balance(totals: Balance) -> EnergyBalance:
    """The carbon module's energy balance of a period's meter totals (raises EnergyBalanceError)."""
    return energy_balance(
        import_kwh=totals.grid_import,
        export_kwh=totals.grid_export,
        pv_kwh=totals.pv,
        wind_kwh=totals.wind,
        charge_kwh=totals.battery_charge,
        discharge_kwh=totals.battery_discharge,
    )


def today_balance(console: Console) -> Balance:
    now = console.now()
    return balance(energy_frame(console, console.local_midnight(now), now, by="day"))


def overview_kpis(console: Console, today: Balance | None = None) -> OverviewKpis:
    """The Overview tiles; ``today`` may be passed when the caller already has today's balance.

    An impossible meter balance blanks the ratios (with the reason) but not Scope 2, which needs only the
    grid import; a carbon config problem blanks the carbon tiles only."""
    now = console.now()
    today = today if today is not None else today_balance(console)
    problems: list[str] = []
    try:
        site_balance: EnergyBalance | None = carbon_balance(today)
    except EnergyBalanceError as exc:
        site_balance = None
        problems.append(str(exc))
    try:
        carbon: tuple[float | None, float | None, float | None] = carbon_to_date(console, now)
    except CarbonUnavailable as exc:
        carbon = (None, None, None)
        problems.append(str(exc))
    if not today.measured:
        site_balance = None
    ratio = (lambda f: f(site_balance)) if site_balance is not None else (lambda f: None)
    return OverviewKpis(
        consumption_kwh=site_balance.load_kwh if site_balance else None,
        generation_kwh=today.generation if today.measured else None,
        self_sufficiency=ratio(self_sufficiency_ratio),
        self_consumption=ratio(self_consumption_ratio),
        renewable_share=ratio(lambda b: renewable_share(b)["on_site_share"]),
        carbon_today_kg=carbon[0] if today.measured else None,
        carbon_ytd_kg=carbon[1],
        carbon_budget_kg=carbon[2],
        active_alarms=active_alarm_count(console),
        problem="; ".join(problems),
        measured=today.measured,
    )


def carbon_to_date(console: Console, now: datetime) -> tuple[float | None, float | None, float | None]:
    """(today, year to date, annual budget) in kgCO2e, location-based Scope 2, from the carbon module.

    A missing or broken carbon config shows dashes with the reason, never a made-up factor."""
    today_start = console.local_midnight(now)
    try:
        today_kg = location_kg(console, today_start, now, by="hour")
        before_kg = year_before_today_kg(console, console.year_start(), today_start)
        parts = [kg for kg in (before_kg, today_kg) if kg is not None]
        ytd_kg = sum(parts) if parts else None  # nothing measured this year: a dash, not 0 t
        return today_kg, ytd_kg, budget_kg(console, now.astimezone(console.timezone).year)
    except ConfigError as exc:
        raise CarbonUnavailable(str(exc)) from None



def active_alarm_count(console: Console) -> int | None:
    """Open alarms the operator still has to act on: not back to normal and not shelved. A shelved alarm is
    suppressed on purpose (ISA-18.2 shelving), so counting it would call an operator back to something they
    already put aside. The Overview's tile and the top bar's badge both show this number."""
    if console.journal is None:
        return None
    return len(console.journal.active(include_shelved=False))


@dataclass(frozen=True)
class PeriodSummary:
    """A period's headline figures for comparing it with another: all None when the store has no energy for it
    (an earlier period before the history began), never zeros."""

    consumption_kwh: float | None = None
    generation_kwh: float | None = None
    grid_import_kwh: float | None = None
    self_sufficiency: float | None = None
    scope2_location_kg: float | None = None
    covered: float | None = None  # the share of the period's days with a meter reading (below 1: lower bounds)


def period_summary(console: Console, start: datetime, end: datetime) -> PeriodSummary:
    """Consumption, generation, grid import, self-sufficiency (carbon.offsets) and location-based Scope 2
    (carbon.ledger, via report_bridge) over ``[start, end)``: the figures the Overview and Carbon pages compare."""
    frame = energy_frame(console, start, end, by="day")
    if not has_readings(frame):
        return PeriodSummary()
    totals = balance(frame)
    try:
        site_balance: EnergyBalance | None = carbon_balance(totals)
    except EnergyBalanceError:
        site_balance = None
    try:
        scope2: float | None = location_kg(console, start, end, by="day")  # monthly factors: days give the same kg
    except ConfigError:
        scope2 = None
    return PeriodSummary(
        consumption_kwh=site_balance.load_kwh if site_balance else None,
        generation_kwh=totals.generation,
        grid_import_kwh=totals.grid_import,
        self_sufficiency=self_sufficiency_ratio(site_balance) if site_balance else None,
        scope2_location_kg=scope2,
        covered=measured_share(frame),
    )
