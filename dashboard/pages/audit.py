"""Audit log (admins only): sign-ins, failures, lockouts and role-protected actions, newest first.

The same rows as ``zerocarbon users audit``. The role is checked here on the server; the navigation link is
only drawn for admins as a courtesy.
"""

from __future__ import annotations

from datetime import UTC, datetime

from dash import Dash, html
from flask import current_app

from dashboard.audit import AuditEntry
from dashboard.auth import Permission, authorize
from dashboard.context import Console
from dashboard.i18n import t

NAME = "audit"
PATH = "/audit"
TITLE = "page.audit"
PERMISSION = Permission.READ_AUDIT
ROWS = 300


def layout(console: Console, lang: str) -> html.Div:
    if not authorize(PERMISSION, "read", "audit log"):
        return html.Div([html.H2(t(lang, TITLE)), html.P(t(lang, "audit.not_allowed"), id="audit-not-allowed")],
                        id="audit-page")
    entries: list[AuditEntry] = current_app.extensions["zerocarbon.audit"].entries(limit=ROWS)
    head = ["audit.time", "audit.event", "audit.user", "audit.address", "audit.detail"]
    rows = [html.Tr([html.Th(t(lang, k)) for k in head])]
    rows += [html.Tr([
        html.Td(datetime.fromtimestamp(e.ts, UTC).astimezone(console.timezone).strftime("%Y-%m-%d %H:%M:%S")),
        html.Td(event_name(e.event, lang), title=e.event), html.Td(e.user), html.Td(e.address), html.Td(e.detail),
    ], className=f"audit-row {e.event}") for e in entries]
    return html.Div([
        html.H2(t(lang, TITLE)),
        html.Section([html.P(t(lang, "audit.intro"), className="muted"),
                      html.Table(rows, className="table audit", id="audit-table")], className="card"),
    ], id="audit-page")


def event_name(event: str, lang: str) -> str:
    """An audit event in the reader's language; one the catalog does not know yet stays as recorded."""
    key = f"audit.event.{event}"
    named = t(lang, key)
    return event if named == key else named


def register(app: Dash, console: Console) -> None:
    """No callbacks: the table is read when the page is opened."""
