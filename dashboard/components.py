"""Small building blocks shared by the pages: KPI tiles, period picker, number formatting, empty figures."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from typing import Any

import plotly.graph_objects as go
from dash import Dash, Input, Output, State, ctx, dcc, html, no_update

from dashboard.comparison import COMPARE, PeriodChoice, change
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


# A control the user sets keeps its value when its page is drawn again: a language switch redraws the page
# (every label changes) and must not reset the chosen period, comparison, range or subsystem. Dash restores a
# user's edit to a redrawn component of the same id (persistence); "session": a reload keeps it too.
KEPT: dict[str, Any] = {"persistence": True, "persistence_type": "session"}


def drawn_by_layout(as_drawn: bool) -> bool:
    """Whether a callback runs only because its page was drawn (no control changed: Dash's initial call) while
    its controls hold what the layout already drew (``as_drawn``): nothing to recompute. A choice kept over a
    language switch (:data:`KEPT`) differs from the layout's default and is drawn by that initial call."""
    return ctx.triggered_id is None and as_drawn


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
        **KEPT,
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


def wrapped(message: str, width: int = 56) -> str:
    """A chart annotation on several lines (plotly does not wrap; a long reason was clipped at both sides).
    Chinese has no spaces: it breaks after punctuation, or after ``width // 2`` characters (never inside a
    command such as ``zerocarbon simulate --backfill``)."""
    if any("\u4e00" <= ch <= "\u9fff" for ch in message):
        lines, line = [], ""
        for ch in message:
            line += ch
            if (len(line) >= width // 2 and not ch.isascii()) or (ch in "：；。，" and len(line) >= width // 4):
                lines.append(line)
                line = ""
        return "<br>".join([*lines, line] if line else lines)
    return "<br>".join(textwrap.wrap(message, width))


def empty_figure(message: str, height: int = 320) -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(text=wrapped(message), showarrow=False, font={"size": 14, "color": "#888"})
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return figure_layout(fig, height)


def graph(graph_id: str, figure: go.Figure | dict[str, Any] | None = None) -> html.Div:
    """A chart with its CSV and Excel download buttons (what it shows, see dashboard/exports.py)."""
    return html.Div([html.Div(dcc.Graph(id=graph_id, figure=plain_figure(figure), config={"displaylogo": False},
                                        className="graph"), className="graph-scroll"),
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


def period_header(page: str, lang: str, title: str, compare: str = "none", today: Any = None) -> list[Any]:
    """The header of every period page: its title, the preset picker, a free date range (whole local days;
    it wins over the preset) and the comparison. Ids are ``<page>-period``, ``-range``, ``-compare``; a page's
    callback takes :func:`period_inputs` and builds a :class:`dashboard.comparison.PeriodChoice` of them."""
    return [html.H2(title), period_controls(page, lang, compare, today=today)]


def period_controls(page: str, lang: str, compare: str = "none", preset: str = "day", today: Any = None) -> html.Div:
    """The header's controls alone (the Overview and Carbon pages place them in a card of their own). ``today``
    (the site's local date) is the last day the range picker offers: there are no readings after it."""
    return html.Div([
        period_picker(f"{page}-period", lang, preset),
        dcc.DatePickerRange(id=f"{page}-range", clearable=True, display_format="YYYY-MM-DD", max_date_allowed=today,
                            initial_visible_month=today, first_day_of_week=1,  # weeks start on Monday in China
                            month_format="YYYY年M月" if lang == "zh" else "MMMM YYYY",
                            start_date_placeholder_text=t(lang, "compare.from"),
                            end_date_placeholder_text=t(lang, "compare.to"), **KEPT),
        dcc.RadioItems(id=f"{page}-compare", value=compare, inline=True, className="period-picker",
                       options=[{"label": t(lang, f"compare.{c}"), "value": c} for c in COMPARE], **KEPT),
    ], className="form-row")


def period_inputs(page: str) -> list[Input]:
    """The header's inputs in :meth:`PeriodChoice.of`'s order: preset, comparison, first day, last day."""
    return [Input(f"{page}-period", "value"), Input(f"{page}-compare", "value"),
            Input(f"{page}-range", "start_date"), Input(f"{page}-range", "end_date")]


def register_period_body(app: Dash, page: str, body: Callable[[str, PeriodChoice], Any]) -> None:
    """``{page}-body`` redrawn by ``body(lang, choice)`` when the page's period header changes. Dash's first call
    is skipped while the header holds the layout's own choice (a choice kept over a language switch is drawn)."""

    @app.callback(Output(f"{page}-body", "children"), *period_inputs(page), State("lang", "data"))
    def _period(preset: str, compare: str | None, first: str | None, last: str | None, lang: str) -> Any:
        choice = PeriodChoice.of(preset, compare, first, last)
        if drawn_by_layout(choice == PeriodChoice()):
            return no_update
        return body(lang, choice)


Row = tuple[str, float | None, float | None, str, int]  # label, this period, the earlier one, unit, digits


def comparison_table(table_id: str, rows: list[Row], compare: str, earlier: tuple[Any, Any] | None,
                     timezone: Any, lang: str, partial: str = "") -> Any:
    """This period beside the earlier one with the change, or nothing when no comparison is chosen. An
    earlier period without data says so (the store's history may not reach back a year) instead of -100 %;
    ``partial`` says which period has meter data for only part of its days, and no change is computed then
    (3 days of data against 30 is not a fall of 90 %)."""
    if compare == "none" or earlier is None:
        return html.Div(id=table_id)
    days = f"{earlier[0].astimezone(timezone):%Y-%m-%d %H:%M} – {earlier[1].astimezone(timezone):%Y-%m-%d %H:%M}"
    head = html.Tr([html.Th(t(lang, k)) for k in ("compare.what", "compare.this_period", "compare.earlier",
                                                   "compare.change")])
    body = [html.Tr([html.Td(label), html.Td(f"{number(now, digits)} {unit}"),
                     html.Td(f"{number(before, digits)} {unit}" if before else t(lang, "compare.no_earlier")),
                     html.Td("—" if partial else _change_text(now, before, unit, lang))])
            for label, now, before, unit, digits in rows]
    return html.Div([html.Div(t(lang, f"compare.{compare}") + f" · {days}", className="note"),
                     html.Table([head, *body], className="table comparison"), export_buttons(table_id),
                     *coverage_line(partial, table_id)], id=table_id, className="comparison-block")


def coverage_line(partial: str, table_id: str) -> list[Any]:
    return [html.P(partial, className="kpi-problem", id=f"{table_id}-coverage")] if partial else []


def partial_periods(now: Any, before: Any, lang: str) -> str:
    """Which of two :class:`dashboard.kpis.PeriodSummary` rest on meter data for only part of their days."""
    said = [t(lang, key, share=percent(s.covered)) for key, s in (("compare.covered_now", now),
                                                                  ("compare.covered_earlier", before))
            if s.covered is not None and 0 < s.covered < 1]
    return " ".join(said)


def _change_text(now: float | None, before: float | None, unit: str, lang: str) -> str:
    """Relative change; a share (%) changes by percentage points (17.8 % after 13.9 % is +3.9 points, not +28 %)."""
    if unit == "%":
        delta = None if now is None or before is None else now - before
        return "—" if delta is None else f"{'▲' if delta > 0 else '▼'}" + t(lang, "compare.points",
                                                                           value=f"{abs(delta):.1f}")
    ratio = change(now, before)
    return "—" if ratio is None else f"{'▲' if ratio > 0 else '▼'}{abs(ratio) * 100:.1f}%"


def summary_comparison(console: Any, lang: str, table_id: str, choice: Any) -> Any:
    """The headline figures of the chosen period beside the earlier one (:func:`dashboard.kpis.period_summary`:
    energy from the meters, self-sufficiency from carbon.offsets, Scope 2 from carbon.ledger)."""
    from dashboard.kpis import PeriodSummary, period_summary

    start, end, _ = choice.span(console)
    earlier = choice.earlier(start, end)
    now = period_summary(console, start, end)
    before = period_summary(console, *earlier) if earlier else PeriodSummary()

    def pct(v: float | None) -> float | None:
        return None if v is None else v * 100

    rows: list[Row] = [
        (t(lang, "compare.consumption"), now.consumption_kwh, before.consumption_kwh, "kWh", 0),
        (t(lang, "compare.generation"), now.generation_kwh, before.generation_kwh, "kWh", 0),
        (t(lang, "compare.grid_import"), now.grid_import_kwh, before.grid_import_kwh, "kWh", 0),
        (t(lang, "kpi.self_sufficiency"), pct(now.self_sufficiency), pct(before.self_sufficiency), "%", 1),
        (t(lang, "compare.scope2"), now.scope2_location_kg, before.scope2_location_kg, "kgCO₂e", 0),
    ]
    if choice.compare == "none" or earlier is None:  # no comparison chosen: the period's own figures
        partial = partial_periods(now, PeriodSummary(), lang)
        return html.Div([html.Table([html.Tr([html.Td(r[0]), html.Td(f"{number(r[1], r[4])} {r[3]}")])
                                     for r in rows], className="table comparison", id=table_id),
                         *coverage_line(partial, table_id)])
    return comparison_table(table_id, rows, choice.compare, earlier, console.timezone, lang,
                            partial_periods(now, before, lang))
