"""The top bar's tools beside the language switch: the open-alarm count, the theme switch and the page's
"updated" time; their callbacks live here so the shell (``dashboard/app.py``) only places them.

The theme is kept in the browser (local storage) and applied by a client-side callback, so switching it costs
no server round trip and survives a reload.
"""

from __future__ import annotations

from typing import Any

from dash import ALL, ClientsideFunction, Dash, Input, Output, dcc, html, no_update

from dashboard.context import Console
from dashboard.fill_status import status_of
from dashboard.i18n import known_lang, t
from dashboard.pages.alarms import topbar_badge


def topbar_tools() -> list[Any]:
    return [
        dcc.Link("", id="alarm-badge", href="/alarms", className="alarm-badge"),
        html.Button("◐", id="theme-toggle", className="theme-toggle", n_clicks=0, title="dark / light"),
        dcc.Store(id="theme", storage_type="local", data="light"),
        dcc.Store(id="date-locale"),  # the date pickers' language (theme.js dateLocale), set from the console's
        html.Div(id="fill-banner", className="fill-banner", role="status", hidden=True),
        dcc.Store(id="export-request"),
        dcc.Download(id="export-download"),
    ]


def fill_banner(console: Console, lang: str) -> tuple[list[Any], bool]:
    """(children, hidden) of the history-fill banner: shown while a fill runs or when it failed."""
    status = status_of(console)
    view = status.view() if status is not None else None
    if view is None or not (view["running"] or view["problem"]):
        return [], True
    if view["problem"]:
        return [t(lang, "fill.failed", problem=view["problem"])], False
    done, total = int(view["done"]), max(int(view["total"]), 1)  # type: ignore[call-overload]
    remaining = view["remaining_s"]
    left = t(lang, "fill.remaining", minutes=f"{remaining / 60:.1f}") if remaining is not None else ""
    return [html.Div(t(lang, "fill.title", step=t(lang, f"fill.step.{view['step']}"), done=done, total=total,
                       unit=t(lang, f"fill.unit.{view['unit']}")) + left),
            html.Progress(value=str(done), max=str(total), id="fill-progress"),
            html.Div(t(lang, "fill.note"), className="note")], False


def register(app: Dash, console: Console) -> None:
    @app.callback(Output("alarm-badge", "children"), Output("alarm-badge", "className"),
                  Input("tick", "n_intervals"), Input("url", "pathname"), Input("lang", "data"))
    def _badge(_tick: int, _path: str | None, lang: str | None) -> tuple[str, str]:
        return topbar_badge(console, known_lang(lang))

    @app.callback(Output("logout", "children"), Input("lang", "data"))
    def _logout(lang: str | None) -> str:
        return t(known_lang(lang), "nav.logout")

    @app.callback(Output("fill-banner", "children"), Output("fill-banner", "hidden"),
                  Input("tick", "n_intervals"), Input("lang", "data"))
    def _fill(_tick: int, lang: str | None) -> tuple[list[Any], bool]:
        return fill_banner(console, known_lang(lang))

    app.clientside_callback(ClientsideFunction("zerocarbon", "exportView"), Output("export-request", "data"),
                            Input({"type": "export", "target": ALL, "fmt": ALL}, "n_clicks"),
                            prevent_initial_call=True)

    @app.callback(Output("export-download", "data"), Input("export-request", "data"), prevent_initial_call=True)
    def _export(request: dict[str, Any] | None) -> Any:
        from dashboard.exports import MIME, file_bytes, table_of

        if not request or request.get("fmt") not in MIME:
            return no_update
        target, fmt = str(request["target"]), str(request["fmt"])
        body = file_bytes(table_of(request.get("view") or {}), fmt, target)
        stamp = console.now().astimezone(console.timezone).strftime("%Y%m%d-%H%M")
        return dcc.send_bytes(body, f"zerocarbon-{target}-{stamp}.{fmt}", type=MIME[fmt])

    # in the browser, before the page's (server-side) redraw for the new language arrives
    app.clientside_callback(ClientsideFunction("zerocarbon", "dateLocale"), Output("date-locale", "data"),
                            Input("lang", "data"))

    app.clientside_callback(ClientsideFunction("zerocarbon", "toggleTheme"), Output("theme", "data"),
                            Input("theme-toggle", "n_clicks"), Input("theme", "data"))
