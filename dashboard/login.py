"""Login, logout and the request guard on the console's Flask server.

The login page is plain server-rendered HTML (no JavaScript needed to sign in). Everything else needs a
signed-in user: pages redirect to ``/login``, Dash's own endpoints and downloads answer 401.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from urllib.parse import urlparse

from flask import Flask, Response, redirect, request
from flask_login import LoginManager, current_user, login_user, logout_user

from dashboard.auth import UserBook, secret_key
from dashboard.i18n import LANGUAGES, t

OPEN_PREFIXES = ("/login", "/logout", "/assets/", "/_dash-component-suites/", "/_favicon.ico")


def install_login(server: Flask, users: UserBook, data_dir: Path) -> None:
    server.secret_key = secret_key(data_dir)
    server.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax")
    manager = LoginManager()
    manager.init_app(server)
    manager.user_loader(users.get)

    @server.before_request
    def _guard() -> Response | None:
        if request.path.startswith(OPEN_PREFIXES) or current_user.is_authenticated:
            return None
        if request.path.startswith(("/_dash", "/download")):
            return Response("sign in first", status=401)
        return redirect(f"/login?next={request.full_path.rstrip('?')}")

    @server.route("/login", methods=["GET", "POST"])
    def _login() -> Response | str:
        lang = _language()
        if request.method == "GET":
            return _login_page(lang, error=False)
        user = users.check(request.form.get("username", ""), request.form.get("password", ""))
        if user is None:
            return Response(_login_page(lang, error=True), status=401)
        login_user(user)
        return redirect(_safe_next(request.args.get("next", "/")))

    @server.route("/logout")
    def _logout() -> Response:
        logout_user()
        return redirect("/login")


def _language() -> str:
    lang = request.args.get("lang") or request.accept_languages.best_match(LANGUAGES) or "zh"
    return lang if lang in LANGUAGES else "zh"


def _safe_next(target: str) -> str:
    """Only same-site paths: an open redirect after login would hand the session to a phishing page."""
    parsed = urlparse(target)
    return target if not parsed.scheme and not parsed.netloc and target.startswith("/") else "/"


def _login_page(lang: str, error: bool) -> str:
    other = "en" if lang == "zh" else "zh"
    message = f'<p class="login-error" id="login-error">{escape(t(lang, "login.failed"))}</p>' if error else ""
    action = escape(request.full_path.rstrip("?"))
    return f"""<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><title>{escape(t(lang, "app.title"))}</title>
<link rel="stylesheet" href="/assets/console.css"></head>
<body class="login-body"><form class="login-card" method="post" action="{action}">
<h1>{escape(t(lang, "app.title"))}</h1>{message}
<label>{escape(t(lang, "login.username"))}<input id="username" name="username" autocomplete="username"></label>
<label>{escape(t(lang, "login.password"))}<input id="password" name="password" type="password"
 autocomplete="current-password"></label>
<button id="login-button" type="submit">{escape(t(lang, "login.submit"))}</button>
<a class="lang-link" href="/login?lang={other}">{escape(t(other, "lang.name"))}</a>
</form></body></html>"""
