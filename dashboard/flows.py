"""The two energy-flow pictures of the Overview: the live power-flow diagram and today's energy Sankey."""

from __future__ import annotations

from dataclasses import dataclass, field

import plotly.graph_objects as go

from dashboard.components import ROLE_COLOURS, empty_figure, figure_layout, number
from dashboard.i18n import t
from dashboard.sources import Balance

# Node positions of the power-flow diagram (x, y in 0..1): sources left and top, loads right, the bus centre.
NODES = {
    "grid": (0.05, 0.5),
    "pv": (0.3, 0.95),
    "wind": (0.7, 0.95),
    "storage": (0.3, 0.05),
    "ev": (0.7, 0.05),
    "building": (0.95, 0.5),
    "bus": (0.5, 0.5),
}


@dataclass(frozen=True)
class LivePower:
    """Instantaneous power, kW. ``grid`` > 0 imports; ``storage`` > 0 discharges (the site's sign convention)."""

    grid: float | None
    pv: float | None
    wind: float | None
    storage: float | None
    ev: float | None
    building: float | None
    subsystems: dict[str, float] = field(default_factory=dict)  # live load per subsystem sub-meter, kW


def power_flow_figure(power: LivePower, lang: str) -> go.Figure:
    fig = go.Figure()
    for node, (x, y) in NODES.items():
        if node != "bus":
            fig.add_trace(_node_marker(node, x, y, lang, getattr(power, node)))
    for node, into_bus in _flow_directions(power).items():
        fig.add_annotation(**_arrow(node, into_bus, getattr(power, node)))
    fig.update_xaxes(visible=False, range=[-0.08, 1.08])
    fig.update_yaxes(visible=False, range=[-0.15, 1.12])
    fig.update_layout(showlegend=False)
    return figure_layout(fig, 360)


def _node_marker(node: str, x: float, y: float, lang: str, kw: float | None) -> go.Scatter:
    label = f"{t(lang, 'flow.' + node)}<br><b>{number(kw, 0 if kw is None or abs(kw) >= 10 else 1)} kW</b>"
    return go.Scatter(
        x=[x], y=[y], mode="markers+text", text=[label], textposition="middle center", hoverinfo="skip",
        marker={"size": 78, "color": ROLE_COLOURS[node], "opacity": 0.18, "line": {"width": 2,
                                                                                   "color": ROLE_COLOURS[node]}},
    )


def _flow_directions(power: LivePower) -> dict[str, bool]:
    """Which way each branch flows right now: True = into the bus (supplying), False = out of it (consuming)."""
    return {
        "grid": (power.grid or 0.0) >= 0,
        "pv": True,
        "wind": True,
        "storage": (power.storage or 0.0) >= 0,
        "ev": False,
        "building": False,
    }


def _arrow(node: str, into_bus: bool, kw: float | None) -> dict[str, object]:
    x, y = NODES[node]
    bx, by = NODES["bus"]
    # shorten both ends so arrows start and end at the circles' rims, not their centres
    sx, sy = x + (bx - x) * 0.22, y + (by - y) * 0.22
    ex, ey = bx + (x - bx) * 0.12, by + (y - by) * 0.12
    head, tail = ((ex, ey), (sx, sy)) if into_bus else ((sx, sy), (ex, ey))
    width = 1 + min(abs(kw or 0.0) / 400.0, 6)  # wider for bigger flows, capped so small ones stay visible
    return dict(x=head[0], y=head[1], ax=tail[0], ay=tail[1], xref="x", yref="y", axref="x", ayref="y",
                showarrow=True, arrowhead=2, arrowwidth=width, arrowcolor=ROLE_COLOURS[node], text="")


def live_loads_figure(power: LivePower, subsystem_names: dict[str, str], lang: str) -> go.Figure:
    """Each subsystem's live load (kW), largest first: where the building's power goes right now."""
    if not power.subsystems:  # an empty axis from -1 to 6 said nothing
        return empty_figure(t(lang, "overview.no_live"), 26 * 4 + 80)
    ranked = sorted(power.subsystems.items(), key=lambda kv: kv[1])
    fig = go.Figure(go.Bar(x=[kw for _, kw in ranked], y=[subsystem_names.get(k, k) for k, _ in ranked],
                           orientation="h", marker_color=ROLE_COLOURS["building"],
                           text=[f"{kw:,.0f} kW" for _, kw in ranked], textposition="outside", cliponaxis=False))
    fig.update_xaxes(title_text=t(lang, "overview.live_kw"))
    return figure_layout(fig, 26 * max(len(ranked), 4) + 80)


def _faded(hex_colour: str, alpha: float = 0.35) -> str:
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def sankey_figure(totals: Balance, subsystem_names: dict[str, str], lang: str) -> go.Figure:
    """Today's energy: sources -> the site bus -> subsystems, EV, battery charge and export (kWh)."""
    sources = [("grid", totals.grid_import), ("pv", totals.pv), ("wind", totals.wind),
               ("storage", totals.battery_discharge)]
    sinks = [(subsystem_names.get(k, k), v) for k, v in sorted(totals.subsystems.items(), key=lambda kv: -kv[1])]
    sinks += [(t(lang, "flow.battery_charge"), totals.battery_charge), (t(lang, "flow.export"), totals.grid_export)]
    if totals.ev_charging and not any(k == "ev_charging" for k in totals.subsystems):
        sinks.append((t(lang, "flow.ev"), totals.ev_charging))
    # numbers on the nodes, not only on hover: a facility manager reads the day's kWh at a glance
    labels = ([f"{t(lang, f'flow.{k}')} {number(v)} kWh" for k, v in sources]
              + [f"{t(lang, 'flow.bus')} {number(totals.load)} kWh"] + [f"{name} {number(v)} kWh" for name, v in sinks])
    bus = len(sources)
    links = [(i, bus, v) for i, (_, v) in enumerate(sources) if v > 0]
    links += [(bus, bus + 1 + j, v) for j, (_, v) in enumerate(sinks) if v > 0]
    colours = [ROLE_COLOURS[k] for k, _ in sources] + [ROLE_COLOURS["building"]] + ["#adb5bd"] * len(sinks)
    fig = go.Figure(go.Sankey(
        valueformat=",.0f", valuesuffix=" kWh",
        node={"label": labels, "color": colours, "pad": 12, "thickness": 14},
        # explicit link colours: plotly derives the default from the paper colour, white on a transparent one
        link={"source": [a for a, _, _ in links], "target": [b for _, b, _ in links],
              "value": [v for _, _, v in links], "color": [_faded(colours[a]) for a, _, _ in links]},
    ))
    return figure_layout(fig, 420)
