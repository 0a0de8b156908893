"""Reports: choose a period and a format, download the carbon report (auditors and admins only)."""

from __future__ import annotations

from urllib.parse import urlencode

from dash import Dash, Input, Output, dcc, html

from dashboard.auth import Permission, allowed
from dashboard.components import KEPT
from dashboard.context import Console
from dashboard.downloads import FORMATS, PERIODS
from dashboard.i18n import t

NAME = "reports"
PATH = "/reports"
TITLE = "page.reports"


def download_href(period: str, fmt: str) -> str:
    return "/download/report?" + urlencode({"period": period, "format": fmt})


def period_options(console: Console, lang: str) -> list[dict[str, str]]:
    """The named periods, then every month of the last two years, quarter of the last three and year of the
    last five (newest first), as labels ``zerocarbon report --period`` takes."""
    local = console.now().astimezone(console.timezone)
    named = [{"label": t(lang, f"reports.{p}"), "value": p} for p in PERIODS]
    months = [(local.year * 12 + local.month - 1 - k) for k in range(24)]
    month_labels = [f"{m // 12}-{m % 12 + 1:02d}" for m in months]
    quarter_now = local.year * 4 + (local.month - 1) // 3
    quarter_labels = [f"{q // 4}-Q{q % 4 + 1}" for q in range(quarter_now, quarter_now - 12, -1)]
    year_labels = [str(local.year - k) for k in range(5)]
    return named + [{"label": label, "value": label} for label in month_labels + quarter_labels + year_labels]


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
                    options=period_options(console, lang), searchable=True, **KEPT)], className="grow"),
                html.Label([t(lang, "reports.format"), dcc.Dropdown(
                    id="report-format", value="pdf", clearable=False,
                    options=[{"label": f.upper(), "value": f} for f in FORMATS], **KEPT)], className="grow"),
            ], className="form-row"),
            link,
        ], className="card"),
    ], id="reports-page")


def register(app: Dash, console: Console) -> None:
    # also on the page's first draw: a period and format kept over a language switch must be what is downloaded
    @app.callback(Output("report-download", "href"), Input("report-period", "value"), Input("report-format", "value"))
    def _href(period: str, fmt: str) -> str:
        return download_href(period, fmt)
