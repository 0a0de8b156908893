"""Login, logout and the request guard on the console's Flask server.

The login page is plain server-rendered HTML (no JavaScript needed to sign in). Everything else needs a
signed-in user: pages redirect to ``/login``, Dash's own endpoints and downloads answer 401.

Signing in goes through the throttle (:mod:`dashboard.throttle`: 429 while locked), opens a server-side
session (:mod:`dashboard.sessions`) and sets two cookies: Flask's signed session (HttpOnly, SameSite=Lax,
``Secure`` with ``ZEROCARBON_COOKIE_SECURE``) holding only the session id, and ``_csrf_token`` for Dash's
renderer to echo. Signing out revokes the session on the server. Every outcome is in the audit log.
"""

from __future__ import annotations

from dataclasses import replace
from html import escape
from pathlib import Path
from urllib.parse import urlparse

from flask import Flask, Response, redirect, request, session
from flask_login import LoginManager, current_user, login_user, logout_user

from dashboard.audit import AuditLog
from dashboard.auth import User, UserBook, audit, secret_key
from dashboard.i18n import LANGUAGES, t
from dashboard.security import CSRF_COOKIE, check_csrf_token, same_origin
from dashboard.sessions import SessionBook
from dashboard.throttle import LoginThrottle

OPEN_PREFIXES = ("/login", "/logout", "/assets/", "/_dash-component-suites/", "/_favicon.ico")


def install_login(server: Flask, users: UserBook, data_dir: Path, cookie_secure: bool = False) -> None:
    server.secret_key = secret_key(data_dir)
    server.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
                         SESSION_COOKIE_SECURE=cookie_secure)
    sessions, throttle = SessionBook(data_dir), LoginThrottle()
    server.extensions["zerocarbon.audit"] = AuditLog(data_dir)
    server.extensions["zerocarbon.sessions"] = sessions
    server.extensions["zerocarbon.throttle"] = throttle
    manager = LoginManager()
    manager.init_app(server)

    @manager.user_loader
    def _load(sid: str) -> User | None:
        found = sessions.get(sid)
        user = users.get(found.user) if found else None
        return replace(user, sid=found.sid, csrf=found.csrf) if user and found else None

    @server.before_request
    def _guard() -> Response | None:
        if request.path.startswith(OPEN_PREFIXES) or current_user.is_authenticated:
            return check_csrf_token()
        if request.path.startswith(("/_dash", "/download")):
            return Response("sign in first", status=401)
        return redirect(f"/login?next={request.full_path.rstrip('?')}")

    @server.route("/login", methods=["GET", "POST"])
    def _login() -> Response | str:
        lang = _language()
        if request.method == "GET":
            return _login_page(lang)
        return _sign_in(users, sessions, throttle, lang, cookie_secure)

    @server.route("/logout", methods=["GET", "POST"])
    def _logout() -> Response | str:
        # A GET from another site (a link or an <img>) must not sign anyone out: only our own pages' links,
        # which carry our Referer, or the confirmation form's POST (checked for its Origin before this).
        if request.method == "GET" and not same_origin(required=True) and current_user.is_authenticated:
            return _logout_confirm_page(_language())
        if current_user.is_authenticated:
            sessions.revoke(current_user.sid)
            audit("logout")
        logout_user()
        session.clear()
        reply = redirect("/login")
        reply.delete_cookie(CSRF_COOKIE)
        return reply


def _sign_in(users: UserBook, sessions: SessionBook, throttle: LoginThrottle, lang: str,
             cookie_secure: bool) -> Response:
    name, password = request.form.get("username", ""), request.form.get("password", "")
    address = request.remote_addr or ""
    wait_s = throttle.wait_s(name, address)
    if wait_s > 0:  # refused before the password is looked at: a lockout holds even for the right one
        audit("login_locked", f"{wait_s:.0f} s left", user=name)
        reply = Response(_login_page(lang, t(lang, "login.locked", seconds=f"{wait_s:.0f}")), status=429)
        reply.headers["Retry-After"] = str(int(wait_s) + 1)
        return reply
    user = users.check(name, password)
    if user is None:
        audit("login_failed", "unknown user" if users.get(name) is None else "wrong password", user=name)
        for lockout in throttle.failed(name, address):
            audit("lockout", f"{lockout.scope} {lockout.key} locked for {lockout.seconds:.0f} s", user=name)
        return Response(_login_page(lang, t(lang, "login.failed")), status=401)
    throttle.succeeded(name)
    session.clear()  # no state from before sign-in survives it (session fixation)
    opened = sessions.open(user.name, address)
    login_user(replace(user, sid=opened.sid, csrf=opened.csrf))
    audit("login", f"role {user.role}", user=user.name)
    reply = redirect(_safe_next(request.args.get("next", "/")))
    # readable by Dash's renderer (not HttpOnly) and worthless to another site, which cannot read it
    reply.set_cookie(CSRF_COOKIE, opened.csrf, samesite="Strict", secure=cookie_secure, httponly=False)
    return reply


def _language() -> str:
    lang = request.args.get("lang") or request.accept_languages.best_match(LANGUAGES) or "zh"
    return lang if lang in LANGUAGES else "zh"


def _safe_next(target: str) -> str:
    """Only same-site paths: an open redirect after login would hand the session to a phishing page."""
    parsed = urlparse(target)
    return target if not parsed.scheme and not parsed.netloc and target.startswith("/") else "/"


def _login_page(lang: str, error: str = "") -> str:
    other = "en" if lang == "zh" else "zh"
    message = f'<p class="login-error" id="login-error">{escape(error)}</p>' if error else ""
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


def _logout_confirm_page(lang: str) -> str:
    return f"""<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><title>{escape(t(lang, "app.title"))}</title>
<link rel="stylesheet" href="/assets/console.css"></head>
<body class="login-body"><form class="login-card" method="post" action="/logout">
<h1>{escape(t(lang, "app.title"))}</h1>
<button id="logout-button" type="submit">{escape(t(lang, "login.sign_out"))}</button>
</form></body></html>"""
