"""Reports: choose a period and a format, download the carbon report (auditors and admins only)."""

from __future__ import annotations

from urllib.parse import urlencode

from dash import Dash, Input, Output, dcc, html

from dashboard.auth import Permission, allowed
from dashboard.context import Console
from dashboard.downloads import FORMATS, PERIODS
from dashboard.i18n import t

NAME = "reports"
PATH = "/reports"
TITLE = "page.reports"


def download_href(period: str, fmt: str) -> str:
    return "/download/report?" + urlencode({"period": period, "format": fmt})


def layout(console: Console, lang: str) -> html.Div:
    may = allowed(Permission.EXPORT)
    link = (html.A(t(lang, "reports.download"), id="report-download", href=download_href("this_month", "pdf"),
                   className="button", download="")
            if may else html.P(t(lang, "reports.not_allowed"), id="report-not-allowed", className="muted"))
    return html.Div([
        html.H2(t(lang, TITLE)),
        html.Section([
            html.P(t(lang, "reports.intro")),
            html.Div([
                html.Label([t(lang, "reports.period"), dcc.Dropdown(
                    id="report-period", value="this_month", clearable=False,
                    options=[{"label": t(lang, f"reports.{p}"), "value": p} for p in PERIODS])], className="grow"),
                html.Label([t(lang, "reports.format"), dcc.Dropdown(
                    id="report-format", value="pdf", clearable=False,
                    options=[{"label": f.upper(), "value": f} for f in FORMATS])], className="grow"),
            ], className="form-row"),
            link,
        ], className="card"),
    ], id="reports-page")


def register(app: Dash, console: Console) -> None:
    @app.callback(Output("report-download", "href"), Input("report-period", "value"), Input("report-format", "value"),
                  prevent_initial_call=True)
    def _href(period: str, fmt: str) -> str:
        return download_href(period, fmt)
