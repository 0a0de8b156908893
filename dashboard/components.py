"""Small building blocks shared by the pages: KPI tiles, period picker, number formatting, empty figures."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
from dash import dcc, html

from dashboard.i18n import t
from dashboard.periods import PRESET_DAYS

# Colour per energy role, the same on every chart so a facility manager learns them once.
ROLE_COLOURS = {
    "grid": "#6c757d",
    "pv": "#f2a900",
    "wind": "#2a9d8f",
    "storage": "#7b5ea7",
    "ev": "#1d70b8",
    "building": "#d1495b",
    "export": "#90a955",
}


def number(value: float | None, digits: int = 0) -> str:
    """Thousands-separated, or an em dash when the value is unknown (never a silent 0)."""
    if value is None:
        return "—"
    return f"{value:,.{digits}f}"


def percent(ratio: float | None) -> str:
    return "—" if ratio is None else f"{ratio * 100:.1f}"


def kpi(tile_id: str, label: str, value: str, unit: str, note: str = "", tone: str = "") -> html.Div:
    return html.Div(
        [
            html.Div(label, className="kpi-label"),
            html.Div([html.Span(value, id=tile_id, className="kpi-value"), html.Span(unit, className="kpi-unit")]),
            html.Div(note, className="kpi-note"),
        ],
        className=f"kpi {tone}".strip(),
    )


def period_picker(picker_id: str, lang: str, value: str = "day") -> dcc.RadioItems:
    return dcc.RadioItems(
        id=picker_id,
        options=[{"label": t(lang, f"period.{name}"), "value": name} for name in PRESET_DAYS],
        value=value,
        inline=True,
        className="period-picker",
    )


def section(title: str, *children: Any, section_id: str | None = None) -> html.Section:
    extra = {"id": section_id} if section_id else {}
    return html.Section([html.H3(title), *children], className="card", **extra)


def figure_layout(fig: go.Figure, height: int = 320) -> go.Figure:
    fig.update_layout(
        height=height,
        margin={"l": 50, "r": 20, "t": 30, "b": 40},
        paper_bgcolor="rgba(0,0,0,0)",  # the card shows through: the same figure reads in the light and dark theme
        plot_bgcolor="rgba(0,0,0,0)",
        font={"family": "Noto Sans CJK SC, Noto Sans, sans-serif", "size": 12},
        legend={"orientation": "h", "y": -0.2},
    )
    return fig


def empty_figure(message: str, height: int = 320) -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(text=message, showarrow=False, font={"size": 14, "color": "#888"})
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return figure_layout(fig, height)


def graph(graph_id: str, figure: go.Figure | dict[str, Any] | None = None) -> html.Div:
    """A chart with its CSV and Excel download buttons (what it shows, see dashboard/exports.py)."""
    return html.Div([dcc.Graph(id=graph_id, figure=plain_figure(figure), config={"displaylogo": False},
                               className="graph"),
                     export_buttons(graph_id)])


def plain_figure(figure: go.Figure | dict[str, Any] | None) -> dict[str, Any]:
    """The figure as the plain dict Dash sends. A go.Figure is deep-copied and its arrays base64-encoded on
    every response that carries it (90 % of an Overview routing response, measured): converted once here,
    a shared snapshot serves the result to every viewer without that work."""
    if figure is None:
        return {}
    return figure.to_plotly_json() if isinstance(figure, go.Figure) else figure


def export_buttons(target_id: str) -> html.Div:
    """CSV / Excel buttons for the chart or table ``target_id``: the same words in both languages."""
    return html.Div([html.Button(label, id={"type": "export", "target": target_id, "fmt": fmt}, n_clicks=0,
                                 className="export", title=f"{label}: {target_id}")
                     for fmt, label in (("csv", "CSV"), ("xlsx", "Excel"))], className="exports")


def loading(child: Any, loading_id: str) -> dcc.Loading:
    """While a period switch recomputes ``child``, a spinner sits over it and the old charts fade to 30 %, so
    stale numbers are never read as the new period's."""
    return dcc.Loading(child, id=loading_id, type="circle", delay_show=200, className="loading",
                       overlay_style={"visibility": "visible", "opacity": 0.3, "filter": "grayscale(1)"})


def updated_note(when: Any, timezone: Any, lang: str) -> html.Div:
    """When the numbers below were computed (site time), so nobody takes a cached page for a live one."""
    return html.Div(t(lang, "common.updated", time=when.astimezone(timezone).strftime("%Y-%m-%d %H:%M:%S")),
                    className="updated")
