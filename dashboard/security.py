"""What every response and every state-changing request of the console goes through.

- **Headers** on every response: a Content-Security-Policy Dash runs under (scripts only from this origin plus
  the hashes of Dash's own inline scripts; plotly needs inline styles), ``frame-ancestors 'none'`` and
  ``X-Frame-Options: DENY`` (no clickjacking), ``X-Content-Type-Options: nosniff``,
  ``Referrer-Policy: same-origin``. ``tests/dashboard/test_security_browser.py`` loads every page in Chromium
  and fails on any CSP violation.
- **Cross-site requests**: a POST (or any non-GET) whose ``Origin`` (or, without one, ``Referer``) is another
  site, or ``null``, is refused with 403 and audited. Browsers send ``Origin`` on every POST, so a forged
  form or fetch from another site always carries it; a client without either header is not a browser and
  cannot carry a victim's cookie. Signed-in Dash requests must also carry the session's CSRF token in
  ``X-CSRFToken`` (Dash's renderer copies it from the ``_csrf_token`` cookie): double submit, checked
  against the server-side session.
- **Bad asset paths** (``/_dash-component-suites/dash/..%2f..%2fetc%2fpasswd``) answer 404, not a 500 with a
  traceback in the log per request.
- **Gone clients**: waitress (``dashboard.server``, one request read ahead) skips a queued request whose
  client hung up; one whose client leaves just as it starts is dropped here before any callback runs
  (``waitress.client_disconnected``).
"""

from __future__ import annotations

import hmac
from urllib.parse import urlparse

from dash.exceptions import DependencyException
from flask import Flask, Response, abort, request
from flask_login import current_user

from dashboard.auth import audit

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
CSRF_COOKIE = "_csrf_token"  # the names Dash's renderer reads and sends (dash.Dash csrf_token_name/_header_name)
CSRF_HEADER = "X-CSRFToken"
ASSET_PREFIXES = ("/_dash-component-suites/", "/assets/")
CLIENT_GONE = 499  # nginx's code for "client closed request": never seen by the client, only in access logs


def content_security_policy(script_hashes: list[str]) -> str:
    """The console's CSP. ``style-src 'unsafe-inline'``: plotly.js and Dash set element styles at run time;
    styles cannot run code, scripts stay locked to this origin and Dash's hashed inline bootstrap."""
    return "; ".join([
        "default-src 'self'",
        "script-src 'self' " + " ".join(script_hashes),
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "worker-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])


def install(server: Flask, script_hashes: list[str]) -> None:
    """Install the checks above on the console's Flask server (after the login guard, before Dash's routes)."""
    headers = {
        "Content-Security-Policy": content_security_policy(script_hashes),
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
    }

    @server.after_request
    def _headers(response: Response) -> Response:
        for name, value in headers.items():
            response.headers.setdefault(name, value)
        return response

    server.before_request_funcs.setdefault(None, []).insert(0, _first_checks)
    server.register_error_handler(DependencyException, lambda _exc: Response("not found", status=404))


def _first_checks() -> Response | None:
    """Before the login guard: cheap refusals that need no user."""
    gone = request.environ.get("waitress.client_disconnected")
    if gone is not None and gone():
        return Response(status=CLIENT_GONE)
    if request.path.startswith(ASSET_PREFIXES) and ".." in request.path.split("/"):
        abort(404)
    if request.method not in SAFE_METHODS and not same_origin():
        audit("csrf_refused", f"{request.method} {request.path} from {_origin() or '?'}")
        return Response("cross-site request refused", status=403)
    return None


def check_csrf_token() -> Response | None:
    """For signed-in state-changing requests (after the login guard has loaded the user)."""
    if request.method in SAFE_METHODS or not current_user.is_authenticated:
        return None
    if request.path in ("/login", "/logout"):
        return None  # plain forms: the Origin check above covers them
    sent = request.headers.get(CSRF_HEADER, "")
    if sent and hmac.compare_digest(sent.encode(), current_user.csrf.encode()):
        return None
    audit("csrf_refused", f"{request.method} {request.path}: {'wrong' if sent else 'no'} {CSRF_HEADER}")
    return Response("missing or wrong CSRF token: reload the page", status=403)


def _origin() -> str | None:
    origin = request.headers.get("Origin")
    if origin:
        return origin
    referer = request.headers.get("Referer")
    return referer or None


def same_origin(required: bool = False) -> bool:
    """Whether the request's Origin (else Referer) is this console's own host. Without either header: True
    unless ``required`` (a non-browser client, which holds no victim's cookie)."""
    origin = _origin()
    if origin is None:
        return not required
    if origin == "null":  # sandboxed frames and some privacy modes: never our own page
        return False
    return urlparse(origin).netloc == request.host
