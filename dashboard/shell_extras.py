"""The top bar's tools beside the language switch: the open-alarm count, the theme switch and the page's
"updated" time; their callbacks live here so the shell (``dashboard/app.py``) only places them.

The theme is kept in the browser (local storage) and applied by a client-side callback, so switching it costs
no server round trip and survives a reload.
"""

from __future__ import annotations

from typing import Any

from dash import ClientsideFunction, Dash, Input, Output, dcc, html

from dashboard.context import Console
from dashboard.pages.alarms import topbar_badge


def topbar_tools() -> list[Any]:
    return [
        dcc.Link("", id="alarm-badge", href="/alarms", className="alarm-badge"),
        html.Button("◐", id="theme-toggle", className="theme-toggle", n_clicks=0, title="dark / light"),
        dcc.Store(id="theme", storage_type="local", data="light"),
    ]


def register(app: Dash, console: Console) -> None:
    @app.callback(Output("alarm-badge", "children"), Output("alarm-badge", "className"),
                  Input("tick", "n_intervals"), Input("url", "pathname"), Input("lang", "data"))
    def _badge(_tick: int, _path: str | None, lang: str | None) -> tuple[str, str]:
        return topbar_badge(console, lang if lang in ("zh", "en") else "zh")

    app.clientside_callback(ClientsideFunction("zerocarbon", "toggleTheme"), Output("theme", "data"),
                            Input("theme-toggle", "n_clicks"), Input("theme", "data"))
