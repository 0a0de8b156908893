"""The Subsystems page's detail parts (not a page of its own): one subsystem's trend with its share of the
building and kWh/m² against the earlier period, and a subsystem's energy split by kind of device.

"Power distribution" holds the grid meters, the PV inverters, the wind turbines and the storage besides its
own sub-meter, so its one number mixed purchase, generation and storage; the split shows each kind apart.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from dash import html

from dashboard.comparison import PeriodChoice
from dashboard.components import (
    ROLE_COLOURS,
    comparison_table,
    empty_figure,
    figure_layout,
    graph,
    kpi,
    number,
    percent,
)
from dashboard.context import Console
from dashboard.i18n import t
from dashboard.sources import balance, energy_frame, point_energy, series
from models.vocabulary import EnergyRole, PointKind

LOAD_ROLES = (EnergyRole.CONSUMPTION, EnergyRole.EV_CHARGING)
SPLIT_ROLES = {EnergyRole.GRID_IMPORT: "grid", EnergyRole.GRID_EXPORT: "export", EnergyRole.PV: "pv",
               EnergyRole.WIND: "wind", EnergyRole.BATTERY_CHARGE: "storage", EnergyRole.BATTERY_DISCHARGE: "storage",
               EnergyRole.CONSUMPTION: "building", EnergyRole.EV_CHARGING: "ev"}
POWER_DISTRIBUTION = "power_distribution"


def subsystem_name(console: Console, subsystem_id: str, lang: str) -> str:
    s = console.site.subsystem(subsystem_id)
    return s.name_zh if lang == "zh" else s.name_en


def figures(console: Console, subsystem_id: str, start: datetime, end: datetime) -> tuple[float | None, ...]:
    """(kWh, share of the building's load, kWh/m² of gross floor area) of one subsystem; None without data."""
    frame = energy_frame(console, start, end, by="day")
    if frame.empty:
        return None, None, None
    totals = balance(frame)
    kwh = totals.subsystems.get(subsystem_id)
    load = totals.load
    share = kwh / load if kwh is not None and load and load > 0 else None
    area = console.site.info.gross_floor_area_m2
    return kwh, share, (kwh / area if kwh is not None and area else None)


def load_kw(console: Console, subsystem_id: str, start: datetime, end: datetime, resolution: Any) -> pd.Series:
    """The subsystem's load, kW: the sum of its sub-meters' power at the period's resolution."""
    meters = [p.id for role in LOAD_ROLES for p in console.points_by_role(role)
              if p.kind is PointKind.POWER and p.subsystem == subsystem_id]
    frame = series(console, meters, start, end, resolution) if meters else pd.DataFrame()
    if frame.empty:
        return pd.Series(dtype=float)
    return frame.groupby("ts")["value"].sum()


def trend_figure(console: Console, subsystem_id: str, choice: PeriodChoice, lang: str) -> go.Figure:
    """The subsystem's load over the period; the earlier period drawn on the same time axis (shifted), dashed."""
    start, end, resolution = choice.span(console)
    now = load_kw(console, subsystem_id, start, end, resolution)
    if now.empty:
        return empty_figure(t(lang, "subsystems.no_meter"))
    fig = go.Figure(go.Scatter(x=now.index, y=now.values, mode="lines", name=t(lang, "compare.this_period"),
                               line={"color": ROLE_COLOURS["building"], "width": 2}))
    earlier = choice.earlier(start, end)
    if earlier is not None:
        before = load_kw(console, subsystem_id, *earlier, resolution)
        if not before.empty:
            shift = pd.Timestamp(start) - pd.Timestamp(earlier[0])
            fig.add_trace(go.Scatter(x=before.index + shift, y=before.values, mode="lines",
                                     name=t(lang, "compare.earlier"),
                                     line={"color": ROLE_COLOURS["grid"], "width": 1.5, "dash": "dash"}))
    fig.update_yaxes(title_text="kW", rangemode="tozero")
    return figure_layout(fig)


def focus_body(console: Console, subsystem_id: str | None, choice: PeriodChoice, lang: str) -> list[Any]:
    """Tiles (kWh, share of the building, kWh/m²), the comparison table, the trend and the split by kind."""
    if not subsystem_id:
        return [html.P(t(lang, "subsystems.pick_focus"), className="muted")]
    start, end, _ = choice.span(console)
    now = figures(console, subsystem_id, start, end)
    earlier = choice.earlier(start, end)
    before = figures(console, subsystem_id, *earlier) if earlier else (None, None, None)
    tiles = [kpi("focus-kwh", t(lang, "subsystems.energy"), number(now[0]), "kWh"),
             kpi("focus-share", t(lang, "subsystems.share"), percent(now[1]), "%", t(lang, "subsystems.share_note")),
             kpi("focus-intensity", t(lang, "subsystems.intensity"), number(now[2], 3), "kWh/m²")]
    pct = [None if v is None else v * 100 for v in (now[1], before[1])]
    rows = [(t(lang, "subsystems.energy"), now[0], before[0], "kWh", 0),
            (t(lang, "subsystems.share"), pct[0], pct[1], "%", 1),
            (t(lang, "subsystems.intensity"), now[2], before[2], "kWh/m²", 3)]
    return [html.Div(tiles, className="kpi-row"),
            comparison_table("focus-comparison", rows, choice.compare, earlier, console.timezone, lang),
            graph("subsystem-focus-trend", trend_figure(console, subsystem_id, choice, lang)),
            *split_section(console, subsystem_id, start, end, lang, "focus-split")]


def split_by_kind(console: Console, subsystem_id: str, start: datetime, end: datetime) -> pd.DataFrame:
    """kWh per kind of device and energy role of one subsystem's counters (kind, role, energy_kwh)."""
    from dashboard.pages.subsystems import device_kind

    kinds = {d.id: device_kind(console, d) for d in console.site.devices if d.subsystem == subsystem_id}
    counters = [p for p in console.points if p.device in kinds and p.kind is PointKind.ENERGY_COUNTER
                and p.role in SPLIT_ROLES]
    energy = point_energy(console, counters, start, end, "day")
    if energy.empty:
        return pd.DataFrame(columns=["kind", "role", "energy_kwh"])
    energy = energy.assign(kind=energy["device"].map(kinds))
    return energy.groupby(["kind", "role"], as_index=False)["energy_kwh"].sum()


def split_section(console: Console, subsystem_id: str, start: datetime, end: datetime, lang: str,
                  graph_id: str) -> list[Any]:
    """The split as horizontal bars ("PV inverter · PV 1,234 kWh"); nothing for a subsystem of one kind."""
    split = split_by_kind(console, subsystem_id, start, end)
    title = html.H4(t(lang, "subsystems.split", name=subsystem_name(console, subsystem_id, lang)))
    if split.empty and len({d.template for d in console.site.devices if d.subsystem == subsystem_id}) > 1:
        return [title, html.P(t(lang, "subsystems.no_counters"), className="muted", id=f"{graph_id}-empty")]
    if split["kind"].nunique() < 2:
        return []
    split = split.sort_values("energy_kwh")
    labels = [f"{t(lang, 'kind.' + k)} · {t(lang, 'energy_role.' + r)}" for k, r in zip(split["kind"], split["role"],
                                                                                     strict=True)]
    colours = [ROLE_COLOURS[SPLIT_ROLES[EnergyRole(r)]] for r in split["role"]]
    fig = go.Figure(go.Bar(x=split["energy_kwh"], y=labels, orientation="h", marker_color=colours,
                           text=[f"{v:,.0f} kWh" for v in split["energy_kwh"]], textposition="outside",
                           cliponaxis=False))
    fig.update_xaxes(title_text="kWh", range=[0, float(split["energy_kwh"].max()) * 1.35 or 1])
    return [title, graph(graph_id, figure_layout(fig, 28 * len(split) + 90))]
