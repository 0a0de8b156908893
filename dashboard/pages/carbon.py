"""Carbon: the four strategies (demand reduction, efficiency, offsets, management), the budget burn-down with
the year-end forecast, and Scope 2 location- and market-based side by side.

Everything here is read from the carbon report model of the current year (:func:`carbon.report.build_report`),
so the page and the downloaded report always agree. Building the model takes seconds on a long history, so
the page draws at once and fills in from a callback; the model is cached for a few minutes.
"""

from __future__ import annotations

import re
from typing import Any

import plotly.graph_objects as go
from dash import Dash, Input, Output, State, dcc, html

from carbon.period import parse_period
from dashboard.components import ROLE_COLOURS, figure_layout, graph, kpi, number, percent, section
from dashboard.context import Console
from dashboard.i18n import t
from dashboard.report_bridge import report_model
from models.errors import ConfigError

NAME = "carbon"
PATH = "/carbon"
TITLE = "page.carbon"
MODEL_CACHE_S = 300.0


def layout(console: Console, lang: str) -> html.Div:
    return html.Div([
        html.H2(t(lang, TITLE)),
        dcc.Loading(html.Div(id="carbon-body"), type="dot"),
    ], id="carbon-page")


def year_model(console: Console) -> dict[str, Any]:
    """This year's report model, one shared snapshot for :data:`MODEL_CACHE_S` (it is rebuilt from hourly
    energy): twenty viewers opening the page at once build it once, not twenty times."""
    year = str(console.now().astimezone(console.timezone).year)
    return console.snapshot(NAME, year, "", lambda: report_model(console, parse_period(year)), MODEL_CACHE_S)


def body(model: dict[str, Any], lang: str) -> list[Any]:
    s = model["strategies"]
    return [
        html.Div([
            section(t(lang, "carbon.demand"), *demand_tiles(s["demand_reduction"], lang)),
            section(t(lang, "carbon.efficiency"), *efficiency_tiles(s["efficiency"], lang)),
            section(t(lang, "carbon.offsets"), *offset_tiles(s["offset"], lang)),
            section(t(lang, "carbon.scope2"), graph("carbon-scope2", scope2_figure(model, lang))),
        ], className="grid-2"),
        section(t(lang, "carbon.burn_down"), *management_tiles(s["management"], lang),
                graph("carbon-burn-down", burn_down_figure(model, lang))),
    ]


def demand_tiles(d: dict[str, Any], lang: str) -> list[Any]:
    peak = d.get("peak_demand") or {}
    return [html.Div([
        kpi("carbon-peak", t(lang, "carbon.peak_kw"), number(peak.get("peak_kw")), "kW"),
        kpi("carbon-peak-reduction", t(lang, "carbon.peak_reduction"), number(peak.get("reduction_kw")), "kW"),
        kpi("carbon-avoided-energy", t(lang, "carbon.avoided_energy"), number(d.get("avoided_energy_kwh")), "kWh"),
    ], className="kpi-row"), html.P(baseline_status(d.get("status"), lang), className="muted",
                                    id="carbon-baseline-status")]


def baseline_status(status: str | None, lang: str) -> str:
    """The carbon module's baseline status in the page's language (the module writes English, for reports)."""
    short = re.match(r"insufficient baseline data: (\d+) (\w+) rows", status or "")
    if short is None:
        return status or ""
    rows, granularity = short.groups()
    return t(lang, "carbon.baseline_insufficient", rows=rows, granularity=t(lang, f"carbon.granularity.{granularity}"))


def efficiency_tiles(e: dict[str, Any], lang: str) -> list[Any]:
    pr = (e.get("pv_performance") or {}).get("performance_ratio")
    return [html.Div([
        kpi("carbon-eui", t(lang, "carbon.eui"), number(e.get("eui_kwh_per_m2_a"), 1), "kWh/m²·a"),
        kpi("carbon-intensity", t(lang, "carbon.intensity"),
            number(e.get("carbon_intensity_location_kgco2e_per_m2_a"), 2), "kgCO₂e/m²·a"),
        kpi("carbon-pr", t(lang, "carbon.pr"), percent(pr), "%"),
        kpi("carbon-wind-cf", t(lang, "carbon.wind_cf"), percent(e.get("wind_capacity_factor")), "%"),
        kpi("carbon-cop", t(lang, "carbon.cop"), number(e.get("chiller_plant_cop"), 2), ""),
    ], className="kpi-row")]


def offset_tiles(o: dict[str, Any], lang: str) -> list[Any]:
    return [html.Div([
        kpi("carbon-self-sufficiency", t(lang, "kpi.self_sufficiency"), percent(o.get("self_sufficiency_ratio")), "%"),
        kpi("carbon-self-consumption", t(lang, "kpi.self_consumption"), percent(o.get("self_consumption_ratio")),
            "%"),
        kpi("carbon-on-site-share", t(lang, "carbon.on_site_share"), percent(o.get("on_site_share")), "%"),
        kpi("carbon-total-share", t(lang, "carbon.total_share"), percent(o.get("total_share")), "%"),
        kpi("carbon-avoided", t(lang, "carbon.avoided"), number(o.get("avoided_emissions_tco2e"), 1), "tCO₂e"),
    ], className="kpi-row"), html.P(o.get("problem") or "", className="kpi-problem")]


def management_tiles(m: dict[str, Any], lang: str) -> list[Any]:
    return [html.Div([
        kpi("carbon-ytd", t(lang, "carbon.ytd"), number(m.get("ytd_tco2e"), 1), "tCO₂e"),
        kpi("carbon-budget", t(lang, "carbon.budget"), number(m.get("budget_tco2e")), "tCO₂e"),
        kpi("carbon-forecast", t(lang, "carbon.forecast"), number(m.get("forecast_tco2e"), 1), "tCO₂e",
            note=t(lang, "carbon.method", method=m.get("forecast_method") or "")),
    ], className="kpi-row")]


def scope2_figure(model: dict[str, Any], lang: str) -> go.Figure:
    s2 = model["scope2"]
    values = [s2["location_based_kgco2e"] / 1000, s2["market_based_kgco2e"] / 1000]
    fig = go.Figure(go.Bar(x=[t(lang, "carbon.location"), t(lang, "carbon.market")], y=values,
                           marker_color=[ROLE_COLOURS["grid"], ROLE_COLOURS["wind"]],
                           text=[f"{v:,.1f} t" for v in values], textposition="outside"))
    fig.update_yaxes(title_text="tCO₂e")
    return figure_layout(fig, 280)


def burn_down_figure(model: dict[str, Any], lang: str) -> go.Figure:
    """Budget left after each month (location-based, as the budget is set), with the year-end forecast."""
    m = model["strategies"]["management"]
    budget = m.get("budget_tco2e")
    months = [row["month"] for row in model["monthly"]]
    used, cumulative = 0.0, []
    for row in model["monthly"]:
        used += row["scope2_location_kgco2e"] / 1000
        cumulative.append(used)
    fig = go.Figure(go.Bar(x=months, y=cumulative, name=t(lang, "carbon.ytd"), marker_color=ROLE_COLOURS["grid"]))
    if budget:
        fig.add_hline(y=budget, line_dash="dash", line_color=ROLE_COLOURS["building"],
                      annotation_text=t(lang, "carbon.budget"))
        fig.add_trace(go.Scatter(x=months, y=[budget - used for used in cumulative], mode="lines+markers",
                                 name=t(lang, "carbon.remaining"), line={"color": ROLE_COLOURS["wind"]}))
    if m.get("forecast_tco2e") is not None:
        fig.add_trace(go.Scatter(x=[f"{m.get('year')}-12"], y=[m["forecast_tco2e"]], mode="markers",
                                 marker={"size": 12, "symbol": "diamond"}, name=t(lang, "carbon.forecast")))
    fig.update_yaxes(title_text="tCO₂e")
    return figure_layout(fig)


def register(app: Dash, console: Console) -> None:
    @app.callback(Output("carbon-body", "children"), Input("url", "pathname"), State("lang", "data"))
    def _fill(path: str | None, lang: str) -> list[Any]:
        if path != PATH:
            return []
        try:
            return body(year_model(console), lang)
        except (ConfigError, ValueError) as exc:
            return [html.P(t(lang, "carbon.unavailable", reason=str(exc)), className="kpi-problem")]
