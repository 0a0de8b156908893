"""The console's app factory: the shell (navigation, language switch, live tick) and explicit page routing.

``create_app`` only builds; it opens nothing. The caller (``zerocarbon dashboard`` or ``zerocarbon demo``)
owns the store and journal and serves ``app.server`` with :func:`dashboard.server.serve` or gunicorn.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from types import ModuleType
from typing import Any

import dash
from dash import Input, Output, dcc, html
from flask_login import current_user

from dashboard import downloads, security, shell_extras
from dashboard.auth import UserBook, allowed, ensure_admin
from dashboard.context import Console, ConsoleSettings
from dashboard.i18n import known_lang, t
from dashboard.login import install_login
from dashboard.pages import alarms, audit, carbon, ev, overview, plan, renewables, reports, subsystems
from dashboard.server import Lanes
from models.site import Site
from storage.base import Store

log = logging.getLogger("zerocarbon.dashboard")
PAGES: list[ModuleType] = [overview, renewables, subsystems, ev, carbon, alarms, reports, plan, audit]
LIVE_REFRESH_MS = 5000  # live values every 5 s: fresh enough for a control room, light on the store
ASSETS = Path(__file__).parent / "assets"


def create_app(store: Store, site: Site, journal: Any, settings: ConsoleSettings, **options: Any) -> dash.Dash:
    """The console as a Dash app. ``options``: ``users`` (a UserBook), ``clock``, ``config_dir``, ``carbon_files``
    (the process's one reader of the carbon files, carbon.files.CarbonFiles),
    ``refresh_ms``, ``warm_up`` (default True: compute the Overview once in a background thread).
    A fresh install gets its admin here; a generated password is printed once."""
    refresh_ms = options.get("refresh_ms", LIVE_REFRESH_MS)
    console = Console(store, site, journal, settings, refresh_s=refresh_ms / 1000, **_console_options(options))
    users = options.get("users") or UserBook(Path(settings.data_dir) / "users.json")
    generated = ensure_admin(users)
    if generated:
        print(f"zerocarbon console: created user 'admin' with password {generated} (shown once; "
              f"change it with 'zerocarbon users passwd admin')", flush=True)
    app = dash.Dash(
        __name__,
        assets_folder=str(ASSETS),
        suppress_callback_exceptions=True,  # page components appear only when their page is shown
        title=t("zh", "app.title"),
        update_title=None,
    )
    # page requests share PAGE_SLOTS, sign-in has its own (dashboard.server.Lanes), under any WSGI server
    app.server.wsgi_app = Lanes(app.server.wsgi_app)  # type: ignore[method-assign]
    _trust_proxies(app, int(getattr(settings, "proxy_hops", 0)))
    # ZEROCARBON_COOKIE_SECURE: cookies only over HTTPS (set it when a TLS proxy is in front)
    install_login(app.server, users, Path(settings.data_dir), bool(getattr(settings, "cookie_secure", False)))
    downloads.install(app.server, console)
    app.layout = _shell(refresh_ms)
    app.zerocarbon_console = console  # type: ignore[attr-defined]  # for in-process callers and tests
    _register_shell(app, console)
    shell_extras.register(app, console)
    for page in PAGES:
        page.register(app, console)
    security.install(app.server, app.csp_hashes())  # after every callback: the hashes cover Dash's inline scripts
    if options.get("warm_up", True):
        threading.Thread(target=_warm_up, args=(console,), name="console-warm-up", daemon=True).start()
    return app


def _trust_proxies(app: dash.Dash, hops: int) -> None:
    """Behind ``hops`` reverse proxies, take the client address, scheme and host from their X-Forwarded-*
    headers (the audit log and the login throttle need the real client address). Never without a proxy:
    anyone could then claim any address."""
    if hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.server.wsgi_app = ProxyFix(app.server.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]


def _warm_up(console: Console) -> None:
    """Fill the Overview's snapshot, the year-to-date cache and the store's page cache before the first visitor
    needs them (the first visitors then share this computation instead of starting their own)."""
    try:
        overview.layout(console, "zh")
    except Exception as exc:  # a warm-up must never stop the console; the page will show the problem itself
        log.warning("console warm-up failed (the Overview will retry): %s", exc)


def _console_options(options: dict[str, Any]) -> dict[str, Any]:
    return {k: options[k] for k in ("clock", "config_dir", "carbon_files") if k in options}


def _shell(refresh_ms: int) -> html.Div:
    """The parts that never re-render: the language buttons live here so a page change cannot click them."""
    return html.Div(
        [
            dcc.Location(id="url"),
            dcc.Store(id="lang", storage_type="local", data="zh"),
            dcc.Interval(id="tick", interval=refresh_ms),
            html.Header([
                html.Div(id="topbar", className="topbar-nav"),
                html.Div([
                    *shell_extras.topbar_tools(),
                    html.Button("中文", id="lang-zh", className="lang-switch", n_clicks=0),
                    html.Button("English", id="lang-en", className="lang-switch", n_clicks=0),
                    html.A("退出 / Sign out", href="/logout", id="logout", className="logout"),
                ], className="topbar-tools"),
            ], className="topbar"),
            html.Main(id="page", className="page"),
        ]
    )


def _nav(lang: str, path: str) -> list[Any]:
    links = [
        dcc.Link(t(lang, page.TITLE), href=page.PATH, id=f"nav-{page.NAME}",
                 className="nav-link active" if page.PATH == path else "nav-link")
        for page in PAGES if not hasattr(page, "PERMISSION") or allowed(page.PERMISSION)
    ]
    user = f"{current_user.name} · {t(lang, 'role.' + current_user.role)}" if current_user.is_authenticated else ""
    return [
        html.Span(t(lang, "app.title"), className="brand"),
        html.Nav(links, className="nav"),
        html.Span(user, id="who", className="who"),
    ]


def _register_shell(app: dash.Dash, console: Console) -> None:
    @app.callback(Output("topbar", "children"), Output("page", "children"), Input("url", "pathname"),
                  Input("lang", "data"))
    def _route(path: str | None, lang: str | None) -> tuple[list[Any], Any]:
        lang = known_lang(lang)
        page = next((p for p in PAGES if p.PATH == path), overview if path in (None, "/") else None)
        if page is None:
            return _nav(lang, path or "/"), html.H2(t(lang, "page.not_found"), className="not-found")
        return _nav(lang, page.PATH), page.layout(console, lang)

    @app.callback(Output("lang", "data"), Input("lang-zh", "n_clicks"), Input("lang-en", "n_clicks"),
                  prevent_initial_call=True)
    def _choose_language(_zh: int, _en: int) -> str:
        return "en" if dash.ctx.triggered_id == "lang-en" else "zh"
