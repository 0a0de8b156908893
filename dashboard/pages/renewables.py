"""Renewables: PV per inverter with performance ratio against pvlib's expected power, wind power curves and
capacity factor, storage SOC, charge/discharge, cycles and peak shaving."""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.graph_objects as go
from dash import Dash, html

from carbon.efficiency import performance_ratio, wind_capacity_factor
from dashboard.alarm_text import device_name
from dashboard.comparison import PeriodChoice, site_today
from dashboard.components import (
    ROLE_COLOURS,
    comparison_table,
    empty_figure,
    figure_layout,
    graph,
    kpi,
    loading,
    number,
    percent,
    period_header,
    register_period_body,
    section,
    updated_note,
)
from dashboard.context import Console
from dashboard.i18n import t
from dashboard.periods import energy_interval_for
from dashboard.sources import has_readings, measured_share, point_energy, series
from models.vocabulary import EnergyRole, PointKind

NAME = "renewables"
PATH = "/renewables"
TITLE = "page.renewables"
INTERVAL_H = {"15min": 0.25, "hour": 1.0, "day": 24.0, "month": 730.0}


def layout(console: Console, lang: str) -> html.Div:
    return html.Div([
        *period_header(NAME, lang, t(lang, TITLE), today=site_today(console)),
        loading(html.Div(id="renewables-body", children=shared_body(console, lang, PeriodChoice())),
                "renewables-loading"),
    ], id="renewables-page")


def shared_body(console: Console, lang: str, choice: PeriodChoice) -> list[Any]:
    """:func:`body` computed once per tick (a minute for long ranges) for every viewer of the same choice."""
    return console.snapshot(NAME, choice.key, lang, lambda: body(console, lang, choice), choice.ttl_s)


def produced(console: Console, start: Any, end: Any) -> tuple[float | None, float | None, float | None]:
    """(PV kWh, wind kWh, storage discharged kWh) over ``[start, end)`` from their counters; None without data."""
    roles = (EnergyRole.PV, EnergyRole.WIND, EnergyRole.BATTERY_DISCHARGE)
    points = [p for r in roles for p in console.points_by_role(r) if p.kind is PointKind.ENERGY_COUNTER]
    energy = point_energy(console, points, start, end, "day")
    if not has_readings(energy):
        return None, None, None
    by_role = energy.groupby("role")["energy_kwh"].sum()
    pv, wind, discharge = (float(by_role.get(str(r), 0.0)) for r in roles)
    return pv, wind, discharge


def compared(console: Console, lang: str, choice: PeriodChoice, start: Any, end: Any) -> Any:
    earlier = choice.earlier(start, end)
    if earlier is None:
        return comparison_table("renewables-comparison", [], choice.compare, None, console.timezone, lang)
    now, before = produced(console, start, end), produced(console, *earlier)
    labels = ("renewables.pv", "renewables.wind", "renewables.discharged")
    rows = [(t(lang, k), a, b, "kWh", 0) for k, a, b in zip(labels, now, before, strict=True)]
    return comparison_table("renewables-comparison", rows, choice.compare, earlier, console.timezone, lang)


def body(console: Console, lang: str, choice: PeriodChoice) -> list[Any]:
    start, end, _ = choice.span(console)
    by = energy_interval_for(end - start)
    return [
        updated_note(end, console.timezone, lang),
        compared(console, lang, choice, start, end),
        section(t(lang, "renewables.pv"), *pv_section(console, lang, start, end, by)),
        section(t(lang, "renewables.wind"), *wind_section(console, lang, start, end, by)),
        section(t(lang, "renewables.storage"), *storage_section(console, lang, start, end, by)),
    ]


def pv_section(console: Console, lang: str, start: Any, end: Any, by: str) -> list[Any]:
    pv_points = [p for p in console.points_by_role(EnergyRole.PV) if p.kind is PointKind.ENERGY_COUNTER]
    energy = point_energy(console, pv_points, start, end, by)
    if not has_readings(energy):
        return [graph("pv-inverters", empty_figure(t(lang, "renewables.no_pv_readings")))]
    irradiance = _weather_per_interval(console, EnergyRole.IRRADIANCE_POA, energy, start, end, by)
    module_c = _weather_per_interval(console, EnergyRole.MODULE_TEMPERATURE, energy, start, end, by)
    rows = []
    for array in console.site.energy_systems.pv:
        kwp = array.capacity_kwp / len(array.inverters)
        for inverter in array.inverters:
            own = energy[energy["device"] == inverter].set_index("start")["energy_kwh"]
            pr = performance_ratio(own, irradiance.reindex(own.index), kwp, INTERVAL_H[by],
                                   module_temperature_c=module_c.reindex(own.index),
                                   gamma_pdc_per_c=array.gamma_pdc_per_c)
            rows.append({"inverter": inverter, "energy_kwh": float(own.sum()),
                         "pr": pr["performance_ratio_temperature_corrected"]})
    table = pd.DataFrame(rows)
    # PR against pvlib's expected energy (PVWatts with module temperature): 100 % = as the model expects
    fig = go.Figure(go.Bar(x=table["inverter"], y=table["energy_kwh"], marker_color=ROLE_COLOURS["pv"],
                           text=[pr_label(v, lang) for v in table["pr"]], textposition="outside"))
    fig.update_yaxes(title_text="kWh")
    return [graph("pv-inverters", figure_layout(fig))]


def pr_label(pr: float | None, lang: str) -> str:
    """The PR over a bar; without enough sun (before sunrise, heavy cloud) it says so instead of 'PR —%'."""
    if pr is None or pr != pr:  # None or NaN: no interval had irradiance to judge against
        return t(lang, "renewables.pr_no_sun")
    return f"PR {percent(pr)}%"


def _weather_per_interval(
    console: Console, role: EnergyRole, energy: pd.DataFrame, start: Any, end: Any, by: str
) -> pd.Series:
    """Interval means of the weather station's ``role`` keyed like the energy intervals (UTC starts)."""
    points = console.points_by_role(role)
    if not points:
        return pd.Series(dtype=float)
    resolution = "15min" if by == "15min" else ("hour" if by == "hour" else "day")
    frame = series(console, [points[0].id], start, end, resolution)
    if frame.empty:  # no weather readings: PR cannot be judged (pr_label says so), no crash on an empty index
        return pd.Series(dtype=float, index=pd.DatetimeIndex([], tz="UTC"))
    values = frame.set_index("ts")["value"].astype(float)
    values.index = pd.DatetimeIndex(values.index).tz_convert("UTC")  # energy intervals are keyed in UTC
    if by == "day":  # day rollups hold the daily mean; PR wants W/m² averaged over the interval, which it is
        return values
    return values.reindex(pd.DatetimeIndex(energy["start"].unique()).tz_convert("UTC")).astype(float)


def wind_section(console: Console, lang: str, start: Any, end: Any, by: str) -> list[Any]:
    speed_points = console.points_by_role(EnergyRole.WIND_SPEED)
    power_points = [p for p in console.points_by_role(EnergyRole.WIND) if p.kind is PointKind.POWER]
    counters = [p for p in console.points_by_role(EnergyRole.WIND) if p.kind is PointKind.ENERGY_COUNTER]
    hours = (end - start).total_seconds() / 3600
    energy = point_energy(console, counters, start, end, by)
    tiles, fig = [], go.Figure()
    speeds = series(console, [p.id for p in speed_points], start, end, "hour").set_index("ts")["value"]
    measured = has_readings(energy)
    for turbine in console.site.energy_systems.wind:
        metered = energy[energy["device"] == turbine.device]
        kwh = float(metered["energy_kwh"].sum()) if measured else 0.0
        # over the hours its meter read, not the whole period: a week with 3 days of data is not a calm week
        share = measured_share(metered) if measured else None
        cf = wind_capacity_factor(kwh, turbine.rated_kw, hours * share) if share else None
        name = device_name(console.site, turbine.device, lang)  # 1号风机, not wind-1
        tiles.append(kpi(f"wind-cf-{turbine.id}", t(lang, "renewables.capacity_factor", turbine=name),
                         percent(cf), "%", t(lang, "carbon.measured_hours", hours=number(hours * share))
                         if share is not None and share < 1 else ""))
        own = [p.id for p in power_points if p.device == turbine.device]
        power = series(console, own, start, end, "hour").set_index("ts")["value"]
        both = pd.concat({"speed": speeds, "power": power}, axis=1).dropna()
        fig.add_trace(go.Scatter(x=both["speed"], y=both["power"], mode="markers", name=name))
    fig.update_xaxes(title_text="m/s")
    fig.update_yaxes(title_text="kW")
    if not fig.data or all(len(trace.x) == 0 for trace in fig.data):
        fig = empty_figure(t(lang, "renewables.no_wind_readings"))
    return [html.Div(tiles, className="kpi-row"), graph("wind-power-curve", figure_layout(fig))]


def unit_name(console: Console, point_id: str, lang: str) -> str:
    """A chart legend names the unit in the reader's language (1号光储单元), not its point id (storage-1.soc_pct)."""
    device = next((p.device for p in console.points if p.id == point_id), point_id)
    return device_name(console.site, device, lang)


def storage_section(console: Console, lang: str, start: Any, end: Any, by: str) -> list[Any]:
    soc = [p.id for p in console.points_by_role(EnergyRole.SOC)]
    resolution = "15min" if by == "15min" else "hour"
    frame = series(console, soc, start, end, resolution)
    fig = go.Figure([go.Scatter(x=g["ts"], y=g["value"], name=unit_name(console, pid, lang), mode="lines")
                     for pid, g in frame.groupby("point_id")])
    fig.update_yaxes(title_text="SOC %", range=[0, 100])
    counters = [p for role in (EnergyRole.BATTERY_CHARGE, EnergyRole.BATTERY_DISCHARGE)
                for p in console.points_by_role(role)]
    energy = point_energy(console, counters, start, end, by)
    measured = has_readings(energy)
    charged = float(energy.loc[energy["role"] == "battery_charge", "energy_kwh"].sum()) if measured else None
    discharged = float(energy.loc[energy["role"] == "battery_discharge", "energy_kwh"].sum()) if measured else None
    capacity = sum(s.capacity_kwh for s in console.site.energy_systems.storage)
    shaved = _peak_shaved_kw(console, start, end)
    tiles = [
        kpi("storage-charged", t(lang, "renewables.charged"), number(charged), "kWh"),
        kpi("storage-discharged", t(lang, "renewables.discharged"), number(discharged), "kWh"),
        # equivalent full cycles: discharged energy over usable capacity (IEC 62933 convention)
        kpi("storage-cycles", t(lang, "renewables.cycles"),
            number(discharged / capacity if capacity and discharged is not None else None, 2),
            ""),
        kpi("storage-peak-shaving", t(lang, "renewables.peak_shaving"), number(shaved), "kW",
            t(lang, "carbon.peak_raised_note") if (shaved or 0) < 0 else ""),  # charging in the peak raised it
    ]
    battery = series(console, [p.id for p in console.points_by_role(EnergyRole.BATTERY_POWER)], start, end,
                     resolution)
    power = go.Figure([go.Scatter(x=g["ts"], y=g["value"], name=unit_name(console, pid, lang), mode="lines",
                                  fill="tozeroy") for pid, g in battery.groupby("point_id")])
    power.update_yaxes(title_text=t(lang, "renewables.battery_kw"))
    if frame.empty:
        fig = empty_figure(t(lang, "renewables.no_storage_readings"))
    if battery.empty:
        power = empty_figure(t(lang, "renewables.no_storage_readings"))
    return [html.Div(tiles, className="kpi-row"),
            html.Div([graph("storage-soc", figure_layout(fig)), graph("storage-power", figure_layout(power))],
                     className="grid-2")]


def _peak_shaved_kw(console: Console, start: Any, end: Any) -> float | None:
    """Grid peak without the battery minus the peak with it (15-min means: the demand-charge interval)."""
    grid = [p.id for p in console.points_by_role(EnergyRole.GRID_IMPORT) if p.kind is PointKind.POWER]
    battery = [p.id for p in console.points_by_role(EnergyRole.BATTERY_POWER)]
    frame = series(console, grid + battery, start, end, "15min")
    if frame.empty:
        return None
    wide = frame.pivot_table(index="ts", columns="point_id", values="value", aggfunc="mean").fillna(0.0)
    with_battery = wide[[c for c in grid if c in wide]].sum(axis=1)
    without = with_battery + wide[[c for c in battery if c in wide]].sum(axis=1)  # + discharge was covering load
    return float(without.max() - with_battery.max())


def register(app: Dash, console: Console) -> None:
    register_period_body(app, NAME, lambda lang, choice: shared_body(console, lang, choice))
