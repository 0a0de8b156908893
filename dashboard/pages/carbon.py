"""Carbon: the four strategies (demand reduction, efficiency, offsets, management), the budget burn-down with
the year-end forecast, and Scope 2 location- and market-based side by side.

Everything here is read from the carbon report model of the current year to date
(:func:`carbon.report.build_report`), so the page and the downloaded report always agree; figures carry their
coverage and a warning when the year rests on too little data. Building the model takes seconds on a long history, so
the page draws at once and fills in from a callback; the model is cached for a few minutes.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import plotly.graph_objects as go
from dash import Dash, Input, Output, State, dcc, html

from carbon.period import year_to_date
from dashboard.comparison import PeriodChoice, site_today
from dashboard.components import (
    ROLE_COLOURS,
    empty_figure,
    figure_layout,
    graph,
    kpi,
    loading,
    number,
    percent,
    period_controls,
    period_inputs,
    section,
    summary_comparison,
)
from dashboard.context import Console
from dashboard.i18n import t
from dashboard.report_bridge import report_model, tariff_placeholder_text
from models.errors import ConfigError

NAME = "carbon"
PATH = "/carbon"
TITLE = "page.carbon"
MODEL_CACHE_S = 300.0


COMPARED = PeriodChoice("month", "previous")  # month on month: the last 30 days against the 30 before


def layout(console: Console, lang: str) -> html.Div:
    return html.Div([
        html.H2(t(lang, TITLE)),
        dcc.Loading(html.Div(id="carbon-body"), type="dot"),
        section(t(lang, "compare.title"),
                period_controls(NAME, lang, COMPARED.compare, COMPARED.preset, site_today(console)),
                loading(html.Div(id="carbon-compare-body"), "carbon-compare-loading")),
    ], id="carbon-page")


def compared(console: Console, lang: str, choice: PeriodChoice) -> Any:
    """Scope 2 and the energy behind it, this period against the earlier one (carbon.ledger's location-based
    Scope 2 through dashboard.kpis.period_summary; the page computes nothing itself)."""
    return console.snapshot(NAME, f"compare|{choice.key}", lang,
                            lambda: summary_comparison(console, lang, "carbon-comparison", choice),
                            choice.ttl_s or MODEL_CACHE_S)


def year_model(console: Console) -> dict[str, Any]:
    """This year's report model to date, one shared snapshot for :data:`MODEL_CACHE_S` (it is rebuilt from hourly
    energy): twenty viewers opening the page at once build it once, not twenty times. The period ends tonight,
    so the days still to come are forecast, not counted as missing data."""
    local = console.now().astimezone(console.timezone)
    period = year_to_date(local.year, local.date() + timedelta(days=1))
    return console.snapshot(NAME, period.label, "", lambda: report_model(console, period), MODEL_CACHE_S)


def body(model: dict[str, Any], lang: str) -> list[Any]:
    s = model["strategies"]
    nothing = [html.P(t(lang, "carbon.no_year_data"), className="kpi-problem", id="carbon-no-data")]
    # No meter read this year: the report model still answers 0 kW peak, 0 yuan saved, 0 kWh/m² (sums over
    # gaps); the tiles drawn from meters then show a dash and say why, never a silent zero.
    metered = not no_year_data(model)
    return [
        *coverage_warning(model, lang),
        *([] if metered else nothing),  # what to do, beside the warning's why
        html.Div([
            section(t(lang, "carbon.demand"), *demand_tiles(s["demand_reduction"], lang, metered)),
            section(t(lang, "carbon.efficiency"), *efficiency_tiles(s["efficiency"], lang, metered)),
            section(t(lang, "carbon.offsets"), *offset_tiles(s["offset"], lang, metered)),
            section(t(lang, "carbon.scope2"), graph("carbon-scope2", scope2_figure(model, lang))),
        ], className="grid-2"),
        section(t(lang, "carbon.burn_down"), *management_tiles(s["management"], lang, metered),
                graph("carbon-burn-down", burn_down_figure(model, lang))),
    ]


def coverage_warning(model: dict[str, Any], lang: str) -> list[Any]:
    """The report's coverage warning, in the page's language: year figures below the threshold are lower bounds."""
    m = model["strategies"]["management"]
    if not m.get("coverage_below_threshold"):
        return []
    share = (m.get("coverage") or {}).get("data_share")
    return [html.P(t(lang, "carbon.coverage_warning", share=percent(share),
                     threshold=percent(model["data_quality"]["coverage_threshold"]),
                     days=m.get("days_with_data"), elapsed=m.get("days_elapsed")),
                   className="kpi-problem", id="carbon-coverage-warning")]


def metered_only(value: Any, metered: bool) -> Any:
    """A figure summed from the meters, or None (a dash) when no meter read in the period."""
    return value if metered else None


def unmetered_note(lang: str, metered: bool, note: str = "") -> str:
    """A tile's note, or why it is blank when no meter read this year."""
    return note if metered else t(lang, "carbon.no_readings_tile")


def demand_tiles(d: dict[str, Any], lang: str, metered: bool = True) -> list[Any]:
    peak = d.get("peak_demand") or {}
    why = unmetered_note(lang, metered)
    return [html.Div([
        kpi("carbon-peak", t(lang, "carbon.peak_kw"), number(metered_only(peak.get("peak_kw"), metered), 1), "kW",
            note=why),
        kpi("carbon-peak-reduction", t(lang, "carbon.peak_reduction"),
            number(metered_only(peak.get("reduction_kw"), metered), 1), "kW",
            note=why or (t(lang, "carbon.peak_raised_note") if (peak.get("reduction_kw") or 0) < 0 else "")),
        kpi("carbon-avoided-energy", t(lang, "carbon.avoided_energy"),
            number(metered_only(d.get("avoided_energy_kwh"), metered)), "kWh", note=why),
    ], className="kpi-row"), *storage_tiles(d.get("storage_dispatch") or {}, lang, metered),
        html.P(baseline_status(d.get("status"), lang, d.get("baseline")), className="muted",
               id="carbon-baseline-status")]


def storage_tiles(s: dict[str, Any], lang: str, metered: bool = True) -> list[Any]:
    """The report's storage rows under 降碳需: yuan and tCO2e the storage saved (planning.realised), with the
    tariff placeholders those yuan rest on."""
    if s.get("saved_yuan") is None or not metered:
        reason = s.get("status", "") if metered else t(lang, "carbon.no_readings_tile")
        return [html.P(t(lang, "carbon.storage_not_computed", reason=reason), className="muted",
                       id="carbon-storage-unavailable")]
    return [html.Div([
        kpi("carbon-storage-saved-yuan", t(lang, "carbon.storage_saved_yuan"), number(s["saved_yuan"]), "¥",
            note=t(lang, "carbon.storage_cost_note") if s["saved_yuan"] < 0 else ""),  # a "saving" below 0 is a cost
        kpi("carbon-storage-saved-co2", t(lang, "carbon.storage_saved_co2"), number(s.get("saved_tco2e"), 2),
            "tCO₂e", note=t(lang, "carbon.storage_co2_note") if (s.get("saved_tco2e") or 0) < 0 else ""),
    ], className="kpi-row"), html.P(tariff_placeholder_text(s.get("tariff_placeholders"), lang),
                                    className="kpi-problem", id="carbon-tariff-placeholder")]


def baseline_status(status: str | None, lang: str, baseline: dict[str, Any] | None = None) -> str:
    """The carbon module's baseline status (English, for reports) said to the person at the console, in the
    page's language: what is missing and what happens next, not where the settings file is."""
    short = re.match(r"insufficient baseline data: (\d+) (\w+) rows", status or "")
    if short is not None:
        rows, granularity = short.groups()
        return t(lang, "carbon.baseline_insufficient", rows=rows,
                 granularity=t(lang, f"carbon.granularity.{granularity}"))
    known = {"no baseline configured": "carbon.baseline_none", "valid": "carbon.baseline_valid",
             "indicative: baseline below G14 criteria": "carbon.baseline_indicative",
             "no temperature/visitor data in the reporting period": "carbon.baseline_no_conditions"}
    if status in known:
        b = baseline or {}
        return t(lang, known[status], cv=number(b.get("cv_rmse_pct"), 1), n=b.get("n") or 0)
    return status or ""


def efficiency_tiles(e: dict[str, Any], lang: str, metered: bool = True) -> list[Any]:
    pv = e.get("pv_performance") or {}
    covered = e.get("covered_days") or 0.0
    annualised = unmetered_note(lang, metered, t(lang, "carbon.annualised_from", days=number(covered, 1)))
    return [html.Div([
        kpi("carbon-eui-ytd", t(lang, "carbon.eui_ytd"), number(metered_only(e.get("eui_period_kwh_per_m2"), metered),
                                                                1), "kWh/m²", note=unmetered_note(lang, metered)),
        kpi("carbon-eui", t(lang, "carbon.eui_annualised"), number(e.get("eui_kwh_per_m2_a"), 1), "kWh/m²·a",
            note=annualised),
        kpi("carbon-intensity", t(lang, "carbon.intensity"),
            number(e.get("carbon_intensity_location_kgco2e_per_m2_a"), 2), "kgCO₂e/m²·a", note=annualised),
        kpi("carbon-pr", t(lang, "carbon.pr"), percent(pv.get("performance_ratio_temperature_corrected")), "%",
            note=unmetered_note(lang, metered, t(lang, "carbon.pr_definition"))),
        kpi("carbon-wind-cf", t(lang, "carbon.wind_cf"), percent(e.get("wind_capacity_factor")), "%",
            note=unmetered_note(lang, metered, t(lang, "carbon.measured_hours",
                                                 hours=number(e.get("wind_measured_hours"))))),
        kpi("carbon-cop", t(lang, "carbon.cop"), number(e.get("chiller_plant_cop"), 2), "",
            note=unmetered_note(lang, metered)),
    ], className="kpi-row")]


def offset_tiles(o: dict[str, Any], lang: str, metered: bool = True) -> list[Any]:
    why = unmetered_note(lang, metered)
    return [html.Div([
        kpi("carbon-self-sufficiency", t(lang, "kpi.self_sufficiency"), percent(o.get("self_sufficiency_ratio")), "%",
            note=why),
        kpi("carbon-self-consumption", t(lang, "kpi.self_consumption"), percent(o.get("self_consumption_ratio")),
            "%", note=why),
        kpi("carbon-on-site-share", t(lang, "carbon.on_site_share"), percent(o.get("on_site_share")), "%", note=why),
        kpi("carbon-total-share", t(lang, "carbon.total_share"), percent(o.get("total_share")), "%", note=why),
        kpi("carbon-avoided", t(lang, "carbon.avoided"),
            number(metered_only(o.get("avoided_emissions_tco2e"), metered), 1), "tCO₂e", note=why),
    ], className="kpi-row"), html.P(o.get("problem") or "", className="kpi-problem")]


def management_tiles(m: dict[str, Any], lang: str, metered: bool = True) -> list[Any]:
    share = (m.get("coverage") or {}).get("data_share")
    # without meter readings the year's tonnes are the fuel deliveries entered in config/carbon.yaml alone
    coverage = t(lang, "carbon.ytd_coverage", share=percent(share), days=m.get("days_with_data"),
                 elapsed=m.get("days_elapsed"))
    return [html.Div([
        kpi("carbon-ytd", t(lang, "carbon.ytd"), number(m.get("ytd_tco2e"), 1), "tCO₂e",
            note=coverage if metered else t(lang, "carbon.ytd_fuel_only")),
        kpi("carbon-budget", t(lang, "carbon.budget"), number(m.get("budget_tco2e")), "tCO₂e"),
        kpi("carbon-forecast", t(lang, "carbon.forecast"), number(m.get("forecast_tco2e"), 1), "tCO₂e",
            note=forecast_note(m, lang)),
    ], className="kpi-row")]


def forecast_note(m: dict[str, Any], lang: str) -> str:
    """How the forecast was made and its range, or that there is none and why, in the page's language."""
    method = m.get("forecast_method") or "none"
    if m.get("forecast_tco2e") is None:
        return t(lang, "carbon.cannot_forecast")
    return t(lang, "carbon.forecast_range", low=number(m.get("forecast_low_tco2e"), 1),
             high=number(m.get("forecast_high_tco2e"), 1), method=t(lang, f"carbon.forecast_method.{method}"))


def no_year_data(model: dict[str, Any]) -> bool:
    """No interval of the year has data: charts say so instead of drawing bars of 0 t."""
    share = (model["strategies"]["management"].get("coverage") or {}).get("data_share")
    return not share


def scope2_figure(model: dict[str, Any], lang: str) -> go.Figure:
    if no_year_data(model):
        return empty_figure(t(lang, "carbon.no_year_data"), 280)
    s2 = model["scope2"]
    values = [s2["location_based_kgco2e"] / 1000, s2["market_based_kgco2e"] / 1000]
    fig = go.Figure(go.Bar(x=[t(lang, "carbon.location"), t(lang, "carbon.market")], y=values,
                           marker_color=[ROLE_COLOURS["grid"], ROLE_COLOURS["wind"]],
                           text=[f"{v:,.1f} t" for v in values], textposition="outside"))
    fig.update_yaxes(title_text="tCO₂e")
    return figure_layout(fig, 280)


def burn_down_figure(model: dict[str, Any], lang: str) -> go.Figure:
    """Cumulative emissions month by month (Scope 1 + Scope 2 location-based, as the budget is set: the same
    months that add up to the YTD tile), the cumulative estimates for days without data stacked on top in a
    lighter shade, the budget line and the year-end forecast with its range."""
    m = model["strategies"]["management"]
    if no_year_data(model):
        return empty_figure(t(lang, "carbon.no_year_data"))
    rows = m.get("monthly") or []
    months = [row["month"] for row in rows]
    recorded, estimated, used, guessed = [], [], 0.0, 0.0
    for row in rows:  # cumulative, both: the top of December's stack is the forecast
        used += row.get("recorded_tco2e") or 0.0
        guessed += row.get("estimated_missing_tco2e") or 0.0
        recorded.append(used)
        estimated.append(guessed)
    fig = go.Figure(go.Bar(x=months, y=recorded, name=t(lang, "carbon.ytd"), marker_color=ROLE_COLOURS["grid"]))
    if m.get("forecast_tco2e") is not None:
        fig.add_trace(go.Bar(x=months, y=estimated, name=t(lang, "carbon.estimated_missing"), opacity=0.35,
                             marker_color=ROLE_COLOURS["grid"]))
        fig.add_trace(go.Scatter(
            x=[months[-1] if months else f"{m.get('year')}-12"], y=[m["forecast_tco2e"]], mode="markers",
            marker={"size": 12, "symbol": "diamond"}, name=t(lang, "carbon.forecast"),
            error_y={"type": "data", "symmetric": False,
                     "array": [(m.get("forecast_high_tco2e") or m["forecast_tco2e"]) - m["forecast_tco2e"]],
                     "arrayminus": [m["forecast_tco2e"] - (m.get("forecast_low_tco2e") or m["forecast_tco2e"])]}))
    budget = m.get("budget_tco2e")
    if budget:
        fig.add_hline(y=budget, line_dash="dash", line_color=ROLE_COLOURS["building"],
                      annotation_text=t(lang, "carbon.budget"))
    fig.update_layout(barmode="stack")
    fig.update_yaxes(title_text="tCO₂e")
    return figure_layout(fig)


def register(app: Dash, console: Console) -> None:
    @app.callback(Output("carbon-compare-body", "children"), *period_inputs(NAME), Input("url", "pathname"),
                  State("lang", "data"))
    def _compare(preset: str, compare: str | None, first: str | None, last: str | None, path: str | None,
                 lang: str) -> Any:
        if path != PATH:
            return []
        return compared(console, lang, PeriodChoice.of(preset, compare, first, last))

    @app.callback(Output("carbon-body", "children"), Input("url", "pathname"), State("lang", "data"))
    def _fill(path: str | None, lang: str) -> list[Any]:
        if path != PATH:
            return []
        try:
            return body(year_model(console), lang)
        except (ConfigError, ValueError) as exc:
            return [html.P(t(lang, "carbon.unavailable", reason=str(exc)), className="kpi-problem")]
