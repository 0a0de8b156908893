"""Subsystems: all 17 with status, consumption, trend and top consumers; drill down to a device and its points
with their quality flags."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from dash import Dash, Input, Output, State, dcc, html, no_update

from dashboard.comparison import PeriodChoice, change, site_today
from dashboard.components import (
    KEPT,
    ROLE_COLOURS,
    drawn_by_layout,
    empty_figure,
    export_buttons,
    figure_layout,
    graph,
    loading,
    number,
    percent,
    period_header,
    period_inputs,
    register_period_body,
    section,
    updated_note,
)
from dashboard.context import Console
from dashboard.i18n import known_lang, t
from dashboard.pages.subsystem_detail import POWER_DISTRIBUTION, focus_body, split_section
from dashboard.sources import balance, energy_frame, series
from models.vocabulary import EnergyRole, PointKind

NAME = "subsystems"
PATH = "/subsystems"
TITLE = "page.subsystems"
STALE_AFTER_POLLS = 3  # a point is stale after three missed polls: one late answer is not an outage


def layout(console: Console, lang: str) -> html.Div:
    return html.Div([
        *period_header(NAME, lang, t(lang, TITLE), today=site_today(console)),
        loading(html.Div(shared_body(console, lang, PeriodChoice()), id="subsystems-body"), "subsystems-loading"),
        section(t(lang, "subsystems.focus"),
                dcc.Dropdown(id="subsystem-focus", options=[{"label": _name(console, s.id, lang), "value": s.id}
                                                            for s in console.site.subsystems],
                             placeholder=t(lang, "subsystems.choose_subsystem"), **KEPT),
                loading(html.Div(focus_body(console, None, PeriodChoice(), lang), id="subsystem-focus-body"),
                        "subsystem-focus-loading"), section_id="subsystem-focus-section"),
        section(t(lang, "subsystems.drill"), *drill_controls(console, lang),
                html.Div(id="subsystems-points", children=points_table(console, lang, None)),
                export_buttons("subsystems-points")),
    ], id="subsystems-page")


def _name(console: Console, subsystem_id: str, lang: str) -> str:
    s = console.site.subsystem(subsystem_id)
    return s.name_zh if lang == "zh" else s.name_en


def subsystem_status(console: Console) -> dict[str, str]:
    """ok / degraded / offline per subsystem from its reporting points' newest quality and age.

    Points that never reported are left out (a template may list registers a device model lacks);
    ``not_implemented`` is the device saying so, not a fault."""
    latest = console.store.latest(None)
    now = console.now()
    by_point = {str(r.point_id): r for r in latest.itertuples()}
    status: dict[str, str] = {}
    for sub in console.site.subsystems:
        rows = [(by_point[p.id], p.interval_s) for p in console.points
                if p.subsystem == sub.id and p.id in by_point]
        healthy = sum(1 for row, interval in rows if _fresh_and_healthy(row, interval, now))
        status[sub.id] = "ok" if rows and healthy == len(rows) else ("offline" if healthy == 0 else "degraded")
    return status


def _fresh_and_healthy(row: Any, interval_s: float, now: Any) -> bool:
    if row.quality not in ("good", "not_implemented"):
        return False
    return now - row.ts.to_pydatetime() <= timedelta(seconds=interval_s * STALE_AFTER_POLLS + 60)


def shared_body(console: Console, lang: str, choice: PeriodChoice) -> list[Any]:
    """:func:`body` computed once per tick (a minute for long ranges) for every viewer of the same choice."""
    return console.snapshot(NAME, choice.key, lang, lambda: body(console, lang, choice), choice.ttl_s)


def body(console: Console, lang: str, choice: PeriodChoice) -> list[Any]:
    start, end, resolution = choice.span(console)
    compare = choice.compare
    measured = balance(energy_frame(console, start, end, by="day"))
    totals = measured.subsystems if measured.measured else {}  # no readings: dashes and a reason, not 17 zeros
    earlier_span = choice.earlier(start, end)
    before = balance(energy_frame(console, *earlier_span, by="day")) if earlier_span else None
    earlier = (before.subsystems if before.measured else {}) if before is not None else None
    status = subsystem_status(console)
    cards = [html.Div([
        html.Div(_name(console, s.id, lang), className="sub-name"),
        html.Div(t(lang, f"status.{status[s.id]}"), className=f"status {status[s.id]}"),
        html.Div(f"{number(totals.get(s.id))} kWh", className="sub-energy", id=f"sub-energy-{s.id}"),
        _versus(earlier, totals, s.id, compare, lang),
    ], className="sub-card", id=f"sub-{s.id}") for s in console.site.subsystems]
    return [updated_note(end, console.timezone, lang), html.Div(cards, className="sub-grid"),
            section(t(lang, "subsystems.split", name=_name(console, POWER_DISTRIBUTION, lang)),
                    *split_section(console, POWER_DISTRIBUTION, start, end, lang, "power-distribution-split")[1:]),
            html.Div([section(t(lang, "subsystems.top"), graph("subsystems-top", top_figure(console, totals, lang))),
                      section(t(lang, "subsystems.trend"), graph("subsystems-trend", trend_figure(
                          console, start, end, resolution, lang)))], className="grid-2")]


def _versus(earlier: dict[str, float] | None, totals: dict[str, float], subsystem: str, compare: str,
            lang: str) -> Any:
    if earlier is None:
        return ""
    if earlier.get(subsystem) is None:  # the history does not reach back: say so, not "previous — kWh, —%"
        return html.Div(t(lang, f"compare.vs_{compare}_none"), className="sub-versus", id=f"sub-versus-{subsystem}")
    delta = change(totals.get(subsystem), earlier.get(subsystem))
    arrow = "" if delta is None else ("▲" if delta > 0 else "▼")
    return html.Div(t(lang, f"compare.vs_{compare}", kwh=number(earlier.get(subsystem)),
                      change=f"{arrow}{percent(None if delta is None else abs(delta))}%"),
                    className="sub-versus", id=f"sub-versus-{subsystem}")


def top_figure(console: Console, totals: dict[str, float], lang: str) -> go.Figure:
    """Every subsystem ranked (not a top 10), each with its share of the sub-metered total and kWh per m² of
    the site's gross floor area."""
    if not totals:
        return empty_figure(t(lang, "subsystems.no_readings"))
    ranked = sorted(totals.items(), key=lambda kv: kv[1])
    whole = sum(totals.values()) or 1.0
    area = console.site.info.gross_floor_area_m2
    labels = [f"{v:,.0f} kWh · {v / whole * 100:.1f}% · {v / area:.3f} kWh/m²" for _, v in ranked]
    fig = go.Figure(go.Bar(x=[v for _, v in ranked], y=[_name(console, k, lang) for k, _ in ranked], orientation="h",
                           marker_color=ROLE_COLOURS["building"], text=labels, textposition="outside",
                           cliponaxis=False))
    fig.update_xaxes(title_text="kWh", range=[0, max(totals.values()) * 1.9])  # room for the labels
    return figure_layout(fig, 24 * len(ranked) + 90)


def trend_figure(console: Console, start: Any, end: Any, resolution: Any, lang: str) -> go.Figure:
    meters = [p for role in (EnergyRole.CONSUMPTION, EnergyRole.EV_CHARGING) for p in console.points_by_role(role)
              if p.kind is PointKind.POWER]
    frame = series(console, [p.id for p in meters], start, end, resolution)
    subsystem_of = {p.id: _name(console, p.subsystem, lang) for p in meters}
    fig = go.Figure([go.Scatter(x=g["ts"], y=g["value"], name=subsystem_of.get(pid, pid), mode="lines",
                                stackgroup="load") for pid, g in frame.groupby("point_id")])
    fig.update_yaxes(title_text="kW")
    figure_layout(fig, 460)
    # 17 names in a horizontal legend ate the plot; a scrolling column beside it leaves the chart its width
    fig.update_layout(legend={"orientation": "v", "x": 1.01, "y": 1, "font": {"size": 10}},
                      margin={"l": 50, "r": 10, "t": 30, "b": 40})
    return fig


DEVICE_KINDS = {"sunspec-inverter": "pv_inverter", "storage-pcs": "storage", "wind-turbine": "wind",
                "weather-station": "weather"}


def device_kind(console: Console, device: Any) -> str:
    """What a device is, for grouping the drill-down: power distribution holds meters, inverters and storage."""
    if device.template == "energy-meter":
        grid = {"grid_import", "grid_export"}
        return "grid_meter" if grid & {str(r) for r in device.roles.values()} else "sub_meter"
    return DEVICE_KINDS.get(device.template, "gateway")


def drill_controls(console: Console, lang: str) -> list[Any]:
    return [html.Div([
        dcc.Dropdown(id="drill-subsystem", options=[{"label": _name(console, s.id, lang), "value": s.id}
                                                    for s in console.site.subsystems],
                     placeholder=t(lang, "subsystems.choose_subsystem"), className="grow", **KEPT),
        dcc.Dropdown(id="drill-device", placeholder=t(lang, "subsystems.choose_device"), className="grow", **KEPT),
    ], className="form-row")]


def points_table(console: Console, lang: str, device_id: str | None) -> Any:
    if not device_id:
        return html.P(t(lang, "subsystems.pick_device"), className="muted")
    points = [p for p in console.points if p.device == device_id]
    latest = console.store.latest([p.id for p in points])
    by_point = {str(r.point_id): r for r in latest.itertuples()}
    head = ["subsystems.point", "subsystems.value", "subsystems.unit", "subsystems.quality", "subsystems.time"]
    rows = [html.Tr([html.Th(t(lang, k)) for k in head])]
    for p in points:
        row = by_point.get(p.id)
        value = "—" if row is None or pd.isna(row.value) else f"{row.value:,.2f}"
        quality = "gap" if row is None else str(row.quality)
        when = "" if row is None else row.ts.tz_convert(console.timezone).strftime("%Y-%m-%d %H:%M:%S")
        rows.append(html.Tr([html.Td(p.name), html.Td(value), html.Td(p.unit),
                             html.Td(t(lang, f"quality.{quality}"), className=f"quality {quality}"), html.Td(when)]))
    return html.Table(rows, className="table points", id="points-table")


def register(app: Dash, console: Console) -> None:
    register_period_body(app, NAME, lambda lang, choice: shared_body(console, lang, choice))

    @app.callback(Output("subsystem-focus-body", "children"), Input("subsystem-focus", "value"),
                  *period_inputs(NAME), State("lang", "data"))
    def _focus(subsystem_id: str | None, preset: str, compare: str | None, first: str | None, last: str | None,
               lang: str) -> Any:
        choice = PeriodChoice.of(preset, compare, first, last)
        if drawn_by_layout(subsystem_id is None and choice == PeriodChoice()):
            return no_update
        return console.snapshot(NAME, f"focus|{subsystem_id}|{choice.key}", lang,
                                lambda: focus_body(console, subsystem_id, choice, lang), choice.ttl_s)

    @app.callback(Output("drill-device", "options"), Output("drill-device", "value"),
                  Input("drill-subsystem", "value"), State("drill-device", "value"), State("lang", "data"))
    def _devices(subsystem_id: str | None, device_id: str | None,
                 lang: str | None) -> tuple[list[dict[str, str]], str | None]:
        devices = sorted((d for d in console.site.devices if d.subsystem == subsystem_id),
                         key=lambda d: (device_kind(console, d), d.id))
        lang = known_lang(lang)
        return [{"label": f"{t(lang, 'kind.' + device_kind(console, d))} · {d.id} · "
                          f"{d.name_zh if lang == 'zh' and d.name_zh else d.name}", "value": d.id}
                for d in devices], device_id if device_id in {d.id for d in devices} else None  # kept over a redraw

    @app.callback(Output("subsystems-points", "children"), Input("drill-device", "value"), State("lang", "data"))
    def _points(device_id: str | None, lang: str) -> Any:
        if drawn_by_layout(device_id is None):
            return no_update
        return points_table(console, lang, device_id)
