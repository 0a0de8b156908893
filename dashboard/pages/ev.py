"""EV charging: the 611 chargers in the 2846-space car park: chargers in use, energy, sessions and the share
charged from on-site renewables.

The renewable share of each interval is the carbon module's on-site share (``carbon.offsets.renewable_share``
of that interval's ``energy_balance``): EV energy in an interval is as renewable as the building's supply was.
Intervals whose meter balance is impossible are left out of the share and counted in its note.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.graph_objects as go
from dash import Dash, html

from carbon.offsets import renewable_share
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
from dashboard.kpis import carbon_balance
from dashboard.periods import energy_interval_for
from dashboard.sources import balance, energy_frame, has_readings, latest_values, series
from models.errors import EnergyBalanceError
from models.vocabulary import EnergyRole

COLUMNS = ["start", "ev_kwh", "renewable_kwh", "measured"]  # measured: the chargers' meter read in the interval
NAME = "ev"
PATH = "/ev"
TITLE = "page.ev"


def layout(console: Console, lang: str) -> html.Div:
    return html.Div([
        *period_header(NAME, lang, t(lang, TITLE), today=site_today(console)),
        loading(html.Div(shared_body(console, lang, PeriodChoice()), id="ev-body"), "ev-loading"),
    ], id="ev-page")


def shared_body(console: Console, lang: str, choice: PeriodChoice) -> list[Any]:
    return console.snapshot(NAME, choice.key, lang, lambda: body(console, lang, choice), choice.ttl_s)


def _fleet_points(console: Console) -> dict[str, str]:
    """Point ids of the charging platform by template point name (chargers_active, sessions, ...)."""
    platform = next((d for d in console.site.devices if "chargers" in d.simulate or d.template == "ev-charging"),
                    None)
    return {} if platform is None else {p.name: p.id for p in console.points if p.device == platform.id}


def renewable_ev(frame: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Per interval: EV kWh and the part from on-site renewables; and how many intervals had no valid balance."""
    rows, skipped = [], 0
    for start, part in frame.groupby("start"):
        chargers = part[part["role"] == str(EnergyRole.EV_CHARGING)]
        ev = float(chargers["energy_kwh"].sum())
        try:
            share = renewable_share(carbon_balance(balance(part)))["on_site_share"]
        except EnergyBalanceError:
            share, skipped = None, skipped + 1
        rows.append({"start": start, "ev_kwh": ev, "renewable_kwh": None if share is None else ev * share,
                     "measured": has_readings(chargers)})
    return pd.DataFrame(rows, columns=COLUMNS), skipped


def charging(console: Console, start: Any, end: Any) -> tuple[pd.DataFrame, int]:
    """:func:`renewable_ev` of ``[start, end)`` at the span's intervals, on the site's local time axis."""
    frame = energy_frame(console, start, end, by=energy_interval_for(end - start))
    if not has_readings(frame[frame["role"] == str(EnergyRole.EV_CHARGING)]):  # the chargers' meter never read
        return pd.DataFrame(columns=COLUMNS), 0  # nothing to say about charging (not "0 kWh charged")
    frame = frame.assign(start=pd.to_datetime(frame["start"], utc=True).dt.tz_convert(console.timezone))
    return renewable_ev(frame)


def headline(console: Console, points: dict[str, str], per_interval: pd.DataFrame,
             span: tuple[Any, Any]) -> tuple[float | None, float | None, float | None]:
    """(EV kWh, sessions started, renewable share) of a period; None where it has no data."""
    energy = float(per_interval["ev_kwh"].sum()) if not per_interval.empty else None
    known = per_interval.dropna(subset=["renewable_kwh"])
    share = float(known["renewable_kwh"].sum() / known["ev_kwh"].sum()) if not known.empty and known[
        "ev_kwh"].sum() > 0 else None
    return energy, sessions_started(console, points, span), share


def compared(console: Console, lang: str, choice: PeriodChoice, points: dict[str, str],
             now: tuple[float | None, float | None, float | None], span: tuple[Any, Any]) -> Any:
    earlier = choice.earlier(*span)
    before: tuple[float | None, ...] = (None, None, None)
    if earlier is not None:
        before = headline(console, points, charging(console, *earlier)[0], earlier)
    pct = [None if v is None else v * 100 for v in (now[2], before[2])]
    rows = [(t(lang, "ev.energy_kwh"), now[0], before[0], "kWh", 0), (t(lang, "ev.sessions"), now[1], before[1], "", 0),
            (t(lang, "ev.renewable_share"), pct[0], pct[1], "%", 1)]
    return comparison_table("ev-comparison", rows, choice.compare, earlier, console.timezone, lang)


def body(console: Console, lang: str, choice: PeriodChoice) -> list[Any]:
    start, end, resolution = choice.span(console)
    per_interval, skipped = charging(console, start, end)
    points = _fleet_points(console)
    return [updated_note(end, console.timezone, lang),
            html.Div(tiles(console, lang, per_interval, skipped, points, (start, end)), className="kpi-row",
                     id="ev-kpis"),
            compared(console, lang, choice, points, headline(console, points, per_interval, (start, end)),
                     (start, end)),
            html.Div([section(t(lang, "ev.energy"), graph("ev-energy", energy_figure(per_interval, lang))),
                      section(t(lang, "ev.in_use"), graph("ev-in-use", in_use_figure(
                          console, points, start, end, resolution, lang)))], className="grid-2")]


def tiles(console: Console, lang: str, per_interval: pd.DataFrame, skipped: int, points: dict[str, str],
          span: tuple[Any, Any]) -> list[Any]:
    fleet = next((int(float(d.simulate["chargers"])) for d in console.site.devices if "chargers" in d.simulate), None)
    spaces = next((int(float(d.simulate["spaces"])) for d in console.site.devices if "spaces" in d.simulate), None)
    now = latest_values(console, [p for p in console.points if p.id in points.values()
                                  or p.device == "parking-guidance"])
    energy, sessions, share = headline(console, points, per_interval, span)
    note = t(lang, "ev.share_note", skipped=skipped) if skipped else t(lang, "ev.share_basis")
    covered = float(per_interval["measured"].mean()) if not per_interval.empty else None
    part = t(lang, "common.covered", share=percent(covered)) if covered is not None and covered < 1 else ""
    return [
        kpi("ev-chargers-in-use", t(lang, "ev.chargers_in_use"), number(now.get(points.get("chargers_active", ""))),
            f"/ {number(fleet)}", t(lang, "ev.faulted", count=number(now.get(points.get("chargers_fault", ""))))),
        kpi("ev-energy-kwh", t(lang, "ev.energy_kwh"), number(energy), "kWh", part),  # a lower bound: says so
        kpi("ev-sessions", t(lang, "ev.sessions"), number(sessions), "", part),
        kpi("ev-renewable-share", t(lang, "ev.renewable_share"), percent(share), "%", note),
        kpi("ev-parking", t(lang, "ev.parking"), number(now.get("parking-guidance.occupied")), f"/ {number(spaces)}"),
    ]


def sessions_started(console: Console, points: dict[str, str], span: tuple[Any, Any]) -> float | None:
    """The platform's session counter: its rise over the period (hour rollups' max less the first min)."""
    point = points.get("sessions")
    if point is None:
        return None
    frame = console.store.read([point], span[0], span[1], "hour")
    good = frame[frame["count"] > 0] if not frame.empty else frame
    return None if good.empty else float(good["max"].max() - good["min"].min())


def energy_figure(per_interval: pd.DataFrame, lang: str) -> go.Figure:
    if per_interval.empty:
        return empty_figure(t(lang, "common.no_data"))
    if per_interval["ev_kwh"].sum() <= 0:
        return empty_figure(t(lang, "ev.no_charging"))
    renewable = per_interval["renewable_kwh"].fillna(0.0)
    fig = go.Figure([
        go.Bar(x=per_interval["start"], y=renewable, name=t(lang, "ev.from_renewables"),
               marker_color=ROLE_COLOURS["pv"]),
        go.Bar(x=per_interval["start"], y=per_interval["ev_kwh"] - renewable, name=t(lang, "ev.from_grid"),
               marker_color=ROLE_COLOURS["grid"]),
    ])
    fig.update_layout(barmode="stack")
    fig.update_yaxes(title_text="kWh")
    return figure_layout(fig)


def in_use_figure(console: Console, points: dict[str, str], start: Any, end: Any, resolution: Any,
                  lang: str) -> go.Figure:
    point = points.get("chargers_active")
    frame = series(console, [point], start, end, resolution) if point else pd.DataFrame()
    if frame.empty:
        return empty_figure(t(lang, "common.no_data"))
    fig = go.Figure(go.Scatter(x=frame["ts"], y=frame["value"], mode="lines", fill="tozeroy",
                               name=t(lang, "ev.chargers_in_use"), line={"color": ROLE_COLOURS["ev"]}))
    fig.update_yaxes(title_text=t(lang, "ev.chargers_axis"), rangemode="tozero")
    return figure_layout(fig)


def register(app: Dash, console: Console) -> None:
    register_period_body(app, NAME, lambda lang, choice: shared_body(console, lang, choice))

