"""Tomorrow's plan · 明日计划: the day-ahead PV and load forecast, the storage plan the LP advises, and what it is
expected to save against leaving the storage idle. Advice only: the console never writes to a device.

Everything comes from :func:`planning.tomorrow.plan_tomorrow`, the function ``zerocarbon plan`` prints; the
files are the site's ``tariffs.yaml``, ``calendar.yaml``, ``planning.yaml`` and ``emission_factors.yaml``. Tomorrow's
PV rests on the latest weather forecast kept in ``<data_dir>/weather_forecasts/`` that spans the day (the MQTT
feed's, or a file an operator put there), else on clear sky × recent clearness; the page says which, with the
forecast's issue time, and when the load models were fitted (the scheduled service fits them ahead, in
``<data_dir>/forecast_models/``). The plan
shown is saved as ``<data_dir>/plans/<day>.json`` (:mod:`models.plan_file`), as ``zerocarbon plan`` saves it: the
simulated site (the demo) follows it that day. Yuan resting on placeholder tariff prices say so.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from dash import Dash, html

from dashboard.components import ROLE_COLOURS, empty_figure, figure_layout, graph, kpi, number, section
from dashboard.context import Console
from dashboard.i18n import t
from dashboard.report_bridge import tariff_placeholder_text
from models.errors import TooLittleHistory, ZeroCarbonError
from models.plan_file import PLANS_DIR, write_plan
from planning.calendar import load_calendar
from planning.config import load_planning_config
from planning.model_cache import MODELS_DIR, keep_in
from planning.tariffs import load_tariffs
from planning.tomorrow import CLEAR_SKY, plan_tomorrow
from storage.weather_forecasts import FORECASTS_DIR, ForecastArchive

NAME = "plan"
PATH = "/plan"
TITLE = "page.plan"
log = logging.getLogger("dashboard.plan")
PLAN_TTL_S = 600.0  # the plan changes only with new history or a new forecast: solve it at most every ten minutes


def tomorrow(console: Console) -> Any:
    """Tomorrow's local date (the console's midnight is given in UTC)."""
    return (console.now().astimezone(console.timezone) + pd.Timedelta(days=1)).date()


def layout(console: Console, lang: str) -> html.Div:
    day = tomorrow(console)
    forecasts = Path(console.settings.data_dir) / FORECASTS_DIR  # a newly kept forecast is a new plan at once
    newest = max((p.name for p in forecasts.glob("*.json")), default="") if forecasts.is_dir() else ""
    body = console.snapshot(NAME, f"{day} {newest}", lang, lambda: _body(console, lang, day), PLAN_TTL_S)
    return html.Div([html.H2(t(lang, TITLE)), html.P(t(lang, "plan.advice"), className="note"), *body],
                    id="plan-page")


def compute(console: Console, day: Any) -> dict[str, Any]:
    folder = console.config_dir
    config = load_planning_config(folder / "planning.yaml")
    factors = console.carbon.factors

    def factor_of(index: pd.DatetimeIndex) -> pd.Series:
        return factors.series("electricity_location", config.carbon.factor_region, index)[0]

    tariffs = load_tariffs(folder / "tariffs.yaml")
    data_dir = Path(console.settings.data_dir)
    keep_in(data_dir / MODELS_DIR)  # the fits the scheduled service made ahead (or a fit made here, kept there)
    start = pd.Timestamp(day).tz_localize(console.site.info.timezone)
    weather = ForecastArchive(data_dir / FORECASTS_DIR).latest_for(start, start + pd.Timedelta(days=1))
    record = plan_tomorrow(console.store, console.site, tariffs, load_calendar(folder / "calendar.yaml"), config,
                           factor_of, day, weather)
    record["tariff_placeholders"] = tariffs.placeholders(day, day + timedelta(days=1))
    try:
        write_plan(console.settings.data_dir / PLANS_DIR, record, console.site.info.timezone, record["setpoints"])
    except OSError as exc:  # a read-only data dir: the page still shows the plan
        log.warning("plan for %s not saved: %s", day, exc)
    return record


def _body(console: Console, lang: str, day: Any) -> list[Any]:
    try:
        record = compute(console, day)
    except TooLittleHistory as exc:  # a fresh install: say it in the page's language, and what to do
        why = t(lang, "plan.too_little_history").format(days=f"{exc.days:.1f}", needed=exc.needed)
        return [html.Div([html.P(t(lang, "plan.unavailable")), html.P(why)], id="plan-unavailable")]
    except (ValueError, ZeroCarbonError) as exc:  # a broken file: the message names it and the fix
        return [html.Div([html.P(t(lang, "plan.unavailable")), html.Pre(str(exc))], id="plan-unavailable")]
    e = record["expected"]
    tiles = html.Div([
        kpi("plan-saved-yuan", t(lang, "plan.saved_yuan"), number(e["saved_yuan"]), "¥",
            t(lang, "plan.vs_idle").format(plan=number(e["plan_yuan"]), idle=number(e["idle_yuan"]))),
        kpi("plan-saved-co2", t(lang, "plan.saved_co2"), number(e["saved_tco2e"], 3), "tCO₂e",
            t(lang, "plan.saved_co2_negative") if e["saved_tco2e"] < 0 else ""),
        kpi("plan-peak", t(lang, "plan.peak"), number(e["peak_kw_plan"]), "kW", _peak_note(record, lang)),
    ], className="kpi-row")
    return [tiles, html.P(_source_note(record, lang, console), id="plan-source", className="note"),
            html.P(tariff_placeholder_text(record.get("tariff_placeholders"), lang), id="plan-tariff-placeholder",
                   className="kpi-problem"),
            section(t(lang, "plan.chart"), graph("plan-chart", _figure(record, lang)))]


def _peak_note(record: dict[str, Any], lang: str) -> str:
    """The idle peak, and the month's peak so far when the plan reaches above the idle one: the LP charges up to
    the month's peak at no demand cost (planning/dispatch.py), which reads as a fault without it said."""
    e = record["expected"]
    note = t(lang, "plan.peak_idle").format(kw=number(e["peak_kw_idle"]))
    if e["peak_kw_plan"] > e["peak_kw_idle"]:
        note += t(lang, "plan.peak_month").format(kw=number(record["month_peak_kw_so_far"]))
    return note


def _source_note(record: dict[str, Any], lang: str, console: Console) -> str:
    """Which PV forecast the plan used (with a forecast's issue time and provider) and when the models were fitted."""
    fc = record["pv_forecast"]
    if fc["source"] == CLEAR_SKY:
        source = t(lang, "plan.source_clear")
    elif fc["issued"]:
        source = t(lang, "plan.source_feed").format(issued=_local(fc["issued"], console), provider=fc["provider"])
    else:
        source = t(lang, "plan.source_weather")
    note = t(lang, "plan.source").format(day=record["day"], source=source, days=record["history_days"])
    return f"{note} {t(lang, 'plan.models_fitted').format(when=_local(record['load_models_fitted_at'], console))}"


def _local(iso: str, console: Console) -> str:
    return pd.Timestamp(iso).tz_convert(console.timezone).strftime("%Y-%m-%d %H:%M") if iso else "?"


def _figure(record: dict[str, Any], lang: str) -> go.Figure:
    q = pd.DataFrame(record["quarters"])
    if q.empty:
        return empty_figure(t(lang, "common.no_data"))
    x = pd.to_datetime(q["time"])
    fig = go.Figure()
    fig.add_scatter(x=x, y=q["load_kw"], name=t(lang, "plan.load"), line={"color": "#555"})
    fig.add_scatter(x=x, y=q["pv_kw"], name=t(lang, "plan.pv"), line={"color": ROLE_COLOURS["pv"]})
    fig.add_bar(x=x, y=q["storage_kw"], name=t(lang, "plan.storage"), marker_color="#7b61ff")
    fig.add_scatter(x=x, y=q["grid_kw"], name=t(lang, "plan.grid"), line={"color": "#d9534f", "dash": "dot"})
    fig.update_yaxes(title_text="kW")
    return figure_layout(fig, height=380)


def register(app: Dash, console: Console) -> None:
    """The page has no callbacks of its own: it is recomputed when shown (and cached for ten minutes)."""
