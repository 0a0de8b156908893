"""Overview: today's KPIs, the live power flow and today's energy Sankey; live parts refresh on the tick.

Everything here is a shared snapshot (:mod:`dashboard.snapshot`): every viewer of the Overview gets the same
numbers, computed once per tick, whatever the number of open browsers."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from dash import Dash, Input, Output, State, html, no_update

from dashboard.comparison import PeriodChoice, site_today
from dashboard.components import (
    ROLE_COLOURS,
    drawn_by_layout,
    empty_figure,
    figure_layout,
    graph,
    kpi,
    loading,
    number,
    percent,
    period_controls,
    period_inputs,
    plain_figure,
    section,
    summary_comparison,
)
from dashboard.context import Console
from dashboard.flows import LivePower, live_loads_figure, power_flow_figure, sankey_figure
from dashboard.i18n import t
from dashboard.kpis import OverviewKpis, active_alarm_count, overview_kpis, today_balance
from dashboard.report_bridge import carbon_files, location_kg
from dashboard.sources import Balance, latest_values, power_points, series
from models.errors import ConfigError
from models.vocabulary import EnergyRole

NAME = "overview"
PATH = "/"
TITLE = "page.overview"
# Today's energy and carbon move with the meters' 60 s energy polls, not with the 5 s live tick: recomputing
# them every tick cost the most CPU of a loaded console (bench/bench_console_load.py). The live flow stays at
# the tick.
TODAY_TTL_S = 30.0


def layout(console: Console, lang: str) -> html.Div:
    """The page, shared per tick, with its KPI tiles read now: the alarm count moves with every raise, shelve
    and clear, and a first view must show the count the top bar's badge shows, not one a tick old."""
    title, *rest = console.snapshot(NAME, "layout", lang, lambda: _layout(console, lang))
    tiles = html.Div(kpi_tiles(kpis(console), lang), id="overview-kpis", className="kpi-row")
    return html.Div([title, tiles, *rest], id="overview-page")


def today(console: Console) -> Balance:
    """Today's energy by role: one energy query per tick feeds the tiles and the Sankey of every viewer."""
    return console.snapshot(NAME, "today", "", lambda: today_balance(console), TODAY_TTL_S)


def kpis(console: Console) -> OverviewKpis:
    energy = console.snapshot(NAME, "kpis", "", lambda: overview_kpis(console, today(console)), TODAY_TTL_S)
    # the alarm count moves with every raise, shelve and clear: read each tick, as the top bar's badge is
    return replace(energy, active_alarms=active_alarm_count(console))


def power_now(console: Console) -> LivePower:
    return console.snapshot(NAME, "live", "", lambda: live_power(console))


def _layout(console: Console, lang: str) -> list[Any]:
    """Everything but the KPI tiles (see :func:`layout`)."""
    return [
        html.H2(t(lang, TITLE)),
        html.Div(
            [
                section(t(lang, "overview.power_flow"), *live_graphs(console, lang)),
                section(t(lang, "overview.sankey"),
                        graph("overview-sankey", today_sankey(console, today(console), lang))),
            ],
            className="grid-2",
        ),
        html.Div([
            section(t(lang, "overview.day_curve"), graph("overview-day-curve", day_curve(console, lang))),
            section(t(lang, "overview.carbon"), html.Div(carbon_tiles(console, lang), className="kpi-row",
                                                         id="overview-carbon")),
        ], className="grid-2"),
        section(t(lang, "compare.title"), period_controls(NAME, lang, COMPARED.compare, today=site_today(console)),
                loading(html.Div(compared(console, lang, COMPARED), id="overview-compare-body"),
                        "overview-compare-loading")),
    ]


COMPARED = PeriodChoice("day", "previous")  # what an Overview opens with: today so far against yesterday


def compared(console: Console, lang: str, choice: PeriodChoice) -> Any:
    """The period comparison block, shared like the Overview's energy (its figures move with the 60 s polls)."""
    return console.snapshot(NAME, f"compare|{choice.key}", lang,
                            lambda: summary_comparison(console, lang, "overview-comparison", choice),
                            max(TODAY_TTL_S, choice.ttl_s or 0.0))


def live_graphs(console: Console, lang: str) -> list[Any]:
    power = power_now(console)
    return [graph("overview-flow", power_flow_figure(power, lang)),
            graph("overview-live-loads", live_loads_figure(power, subsystem_names(console, lang), lang))]


def subsystem_names(console: Console, lang: str) -> dict[str, str]:
    return {s.id: (s.name_zh if lang == "zh" else s.name_en) for s in console.site.subsystems}


def kpi_tiles(k: OverviewKpis, lang: str) -> list[Any]:
    budget_note = ""
    if k.carbon_ytd_kg is not None and k.carbon_budget_kg:
        budget_note = t(lang, "kpi.of_budget", share=percent(k.carbon_ytd_kg / k.carbon_budget_kg),
                        budget=number(k.carbon_budget_kg / 1000, 0))
    alarm_tone = "alert" if k.active_alarms else ""
    tiles = [
        kpi("kpi-consumption", t(lang, "kpi.consumption"), number(k.consumption_kwh), "kWh"),
        kpi("kpi-generation", t(lang, "kpi.generation"), number(k.generation_kwh), "kWh"),
        kpi("kpi-self-sufficiency", t(lang, "kpi.self_sufficiency"), percent(k.self_sufficiency), "%"),
        kpi("kpi-self-consumption", t(lang, "kpi.self_consumption"), percent(k.self_consumption), "%",
            t(lang, "kpi.no_generation") if k.measured and k.generation_kwh == 0 else ""),  # before sunrise
        kpi("kpi-renewable-share", t(lang, "kpi.renewable_share"), percent(k.renewable_share), "%"),
        kpi("kpi-carbon-today", t(lang, "kpi.carbon_today"), number(k.carbon_today_kg), "kgCO₂e"),
        kpi("kpi-carbon-ytd", t(lang, "kpi.carbon_ytd"), number(None if k.carbon_ytd_kg is None
                                                               else k.carbon_ytd_kg / 1000, 1), "tCO₂e", budget_note),
        kpi("kpi-alarms", t(lang, "kpi.active_alarms"), number(k.active_alarms), "", tone=alarm_tone),
    ]
    if not k.measured:  # blank, not zero: say why and what to check
        tiles.append(html.Div(t(lang, "overview.no_readings_today"), className="kpi-problem", id="kpi-no-readings"))
    if k.problem:
        tiles.append(html.Div(k.problem, className="kpi-problem", id="kpi-problem"))
    return tiles


CARBON_TTL_S = 300.0  # month-to-date Scope 2 moves slowly; recompute every 5 minutes


def carbon_month(console: Console) -> tuple[float | None, float | None, str]:
    """(Scope 2 this month so far kgCO2e, grid factor now kgCO2e/kWh, factor region) from the carbon module's
    ledgers and factor table (location-based); a config problem gives dashes and its reason."""
    def compute() -> tuple[float | None, float | None, str]:
        now = console.now()
        month_start = console.local_midnight(now).astimezone(console.timezone).replace(day=1).astimezone(now.tzinfo)
        try:
            factors, config = carbon_files(console)
            region = config.factors.location_region
            index = pd.DatetimeIndex([pd.Timestamp(now).tz_convert(console.timezone)])
            intensity = float(factors.series("electricity_location", region, index)[0].iloc[0])
            return location_kg(console, month_start, now, by="hour"), intensity, region
        except ConfigError as exc:
            return None, None, str(exc)
    return console.snapshot(NAME, "carbon-month", "", compute, CARBON_TTL_S)


def carbon_tiles(console: Console, lang: str) -> list[Any]:
    month_kg, intensity, region = carbon_month(console)
    note = t(lang, "overview.intensity_note", region=region) if intensity is not None else region
    month_t = None if month_kg is None else month_kg / 1000
    return [kpi("kpi-carbon-month", t(lang, "kpi.carbon_month"), number(month_t, 1), "tCO₂e",
                t(lang, "kpi.location_based")),
            kpi("kpi-grid-intensity", t(lang, "kpi.grid_intensity"), number(intensity, 3), "kgCO₂e/kWh", note)]


def day_curve(console: Console, lang: str) -> go.Figure:
    """Today's load, PV, wind and grid import, kW at 15 minutes (Home Assistant's energy day curve)."""
    def compute() -> go.Figure:
        roles = {"building": (EnergyRole.CONSUMPTION, EnergyRole.EV_CHARGING), "pv": (EnergyRole.PV,),
                 "wind": (EnergyRole.WIND,), "grid": (EnergyRole.GRID_IMPORT,)}
        points = {key: [p for r in rs for p in power_points(console, r)] for key, rs in roles.items()}
        scale = {p.id: (1000.0 if p.unit == "W" else 1.0) for ps in points.values() for p in ps}
        frame = series(console, list(scale), console.local_midnight(), console.now(), "15min")
        if frame.empty:
            return empty_figure(t(lang, "overview.no_curve"))
        frame = frame.assign(kw=frame["value"].astype(float) / frame["point_id"].map(scale))
        fig = go.Figure()
        for key, ps in points.items():
            ids = {p.id for p in ps}
            kw = frame[frame["point_id"].isin(ids)].groupby("ts")["kw"].sum()
            if not kw.empty:
                fig.add_trace(go.Scatter(x=kw.index, y=kw.values, mode="lines", name=t(lang, f"flow.{key}"),
                                         line={"color": ROLE_COLOURS[key], "width": 2},
                                         fill="tozeroy" if key == "pv" else None))
        fig.update_yaxes(title_text="kW", rangemode="tozero")
        return figure_layout(fig)
    return console.snapshot(NAME, "day-curve", lang, compute)


def live_power(console: Console) -> LivePower:
    """Sum of the newest good power reading per role (one store query for all of them)."""
    roles = (EnergyRole.GRID_IMPORT, EnergyRole.PV, EnergyRole.WIND, EnergyRole.BATTERY_POWER,
             EnergyRole.EV_CHARGING, EnergyRole.CONSUMPTION)
    points = {role: power_points(console, role) for role in roles}
    values = latest_values(console, [p for group in points.values() for p in group])

    def total(role: EnergyRole) -> float | None:
        """kW; SunSpec inverters report W."""
        found = [values[p.id] / (1000.0 if p.unit == "W" else 1.0) for p in points[role] if p.id in values]
        return sum(found) if found else None

    loads: dict[str, float] = {}
    for p in points[EnergyRole.CONSUMPTION] + points[EnergyRole.EV_CHARGING]:
        if p.id in values:
            loads[p.subsystem] = loads.get(p.subsystem, 0.0) + values[p.id]
    return LivePower(grid=total(EnergyRole.GRID_IMPORT), pv=total(EnergyRole.PV), wind=total(EnergyRole.WIND),
                     storage=total(EnergyRole.BATTERY_POWER), ev=total(EnergyRole.EV_CHARGING),
                     building=total(EnergyRole.CONSUMPTION), subsystems=loads)


def today_sankey(console: Console, totals: Balance, lang: str) -> Any:
    if not totals.measured:
        return empty_figure(t(lang, "overview.no_energy_today"), 420)
    return sankey_figure(totals, subsystem_names(console, lang), lang)


def register(app: Dash, console: Console) -> None:
    # Two callbacks: the live flow is one cheap store query and must keep moving even when the KPI tiles
    # (energy and carbon for the day) take longer than a tick on a busy server.
    @app.callback(Output("overview-flow", "figure"), Output("overview-live-loads", "figure"),
                  Input("tick", "n_intervals"), State("lang", "data"), prevent_initial_call=True)
    def _refresh_flow(_n: int, lang: str) -> tuple[Any, Any]:
        return console.snapshot(NAME, "flow", lang, lambda: _flow_figures(console, lang))

    @app.callback(Output("overview-compare-body", "children"), *period_inputs(NAME), State("lang", "data"))
    def _compare(preset: str, compare: str | None, first: str | None, last: str | None, lang: str) -> Any:
        choice = PeriodChoice.of(preset, compare, first, last)
        if drawn_by_layout(choice == COMPARED):
            return no_update
        return compared(console, lang, choice)

    @app.callback(Output("overview-kpis", "children"), Input("tick", "n_intervals"), State("lang", "data"),
                  prevent_initial_call=True)
    def _refresh_kpis(_n: int, lang: str) -> list[Any]:
        return kpi_tiles(kpis(console), lang)  # energy shared for 30 s; the alarm count read now, as the badge


def _flow_figures(console: Console, lang: str) -> tuple[Any, Any]:
    power = power_now(console)
    return (plain_figure(power_flow_figure(power, lang)),
            plain_figure(live_loads_figure(power, subsystem_names(console, lang), lang)))
