"""Alarms: the live list with priority colours, acknowledge, shelve with a reason, and the filtered history.

Acknowledge and shelve are checked on the server inside the callbacks (:func:`dashboard.auth.allowed`); the
buttons are only drawn for operators and admins as a courtesy, not as the protection.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from dash import ALL, Dash, Input, Output, State, ctx, dcc, html, no_update

from alerts.lifecycle import Alarm, AlarmEvent
from dashboard.alarm_text import alarm_text, device_name
from dashboard.auth import Permission, allowed, audit, authorize
from dashboard.components import KEPT, drawn_by_layout, export_buttons
from dashboard.context import Console
from dashboard.i18n import t
from dashboard.kpis import active_alarm_count
from models.errors import LifecycleError

NAME = "alarms"
PATH = "/alarms"
TITLE = "page.alarms"
PRIORITIES = ("critical", "high", "medium", "low")
HISTORY_EVENTS = ("raised", "re-raised", "cleared", "acknowledged", "shelved", "unshelved", "shelve_expired")


def layout(console: Console, lang: str) -> html.Div:
    return html.Div([
        html.H2(t(lang, TITLE)),
        html.Div(id="alarm-message", className="message", role="status"),
        dcc.Store(id="alarm-changed"),
        dcc.Store(id="alarm-active-key", data=active_key(console, lang)),
        html.Section([html.H3(t(lang, "alarms.active")),
                      html.Div(active_table(console, lang), id="alarm-active")], className="card"),
        html.Section([html.H3(t(lang, "alarms.shelve")), *shelve_form(console, lang)], className="card"),
        html.Section([html.H3(t(lang, "alarms.history")), *history_filters(lang),
                      html.Div(history_table(console, lang, "", 7), id="alarm-history"),
                      export_buttons("alarm-history")], className="card"),
    ], id="alarms-page")


def _when(ts: float | None, console: Console) -> str:
    if ts is None:
        return ""
    return datetime.fromtimestamp(ts, UTC).astimezone(console.timezone).strftime("%Y-%m-%d %H:%M:%S")


def active_key(console: Console, lang: str) -> str:
    """What the open-alarm table shows, as a key. The table is redrawn only when this changes: every redraw
    sends each ack button n_clicks=0, and a tick's redraw landing while an operator's click was on its way
    made that click read as none (the acknowledgement was lost, seen in a browser test at load 12)."""
    now = console.now().timestamp()
    alarms: list[Alarm] = console.journal.active(include_shelved=True, now=now)
    shown = [(a.id, a.state, a.raised_at, a.message, a.shelved_until, a.is_shelved(now)) for a in alarms]
    return json.dumps([lang, allowed(Permission.ACKNOWLEDGE), shown])


def active_table(console: Console, lang: str) -> html.Table | html.P:
    """Open alarms in the reader's language; shelved and cleared ones stay listed but read as such."""
    now = console.now().timestamp()
    alarms: list[Alarm] = console.journal.active(include_shelved=True, now=now)
    if not alarms:
        return html.P(t(lang, "alarms.none"), id="alarm-none")
    can_ack = allowed(Permission.ACKNOWLEDGE)
    head = ["alarms.priority", "alarms.raised", "alarms.device", "alarms.where", "alarms.message", "alarms.state", ""]
    rows = [html.Tr([html.Th(t(lang, k) if k else "") for k in head])]
    for a in alarms:
        rows.append(_active_row(console, a, lang, now, can_ack))
    return html.Table(rows, className="table alarms")


def _active_row(console: Console, a: Alarm, lang: str, now: float, can_ack: bool) -> html.Tr:
    text = alarm_text(console.site, a, lang)
    shelved = a.is_shelved(now)
    badges = [html.Span(t(lang, "alarms.shelved_badge"), className="badge shelved")] if shelved else []
    if a.state == "cleared_unack":
        badges.append(html.Span(t(lang, "alarms.cleared_badge"), className="badge cleared"))
    until = t(lang, "alarms.shelved_until", until=_when(a.shelved_until, console)) if shelved else ""
    action = (html.Button(t(lang, "alarms.ack"), id={"type": "ack-button", "index": a.id}, className="ack",
                          n_clicks=0) if can_ack and a.state in ("active_unack", "cleared_unack") else "")
    return html.Tr([
        html.Td(t(lang, f"priority.{a.priority}"), className=f"priority {a.priority}"),
        html.Td(_when(a.raised_at, console)),
        html.Td(text.device, title=a.point_id),
        html.Td(text.where),
        html.Td(text.text, title=a.message, className="alarm-text"),  # the stored English message on hover
        html.Td([t(lang, f"state.{a.state}"), *badges, html.Br() if until else "", until], className="state"),
        html.Td(action),
    ], id=f"alarm-row-{a.id}", className=f"alarm-row {a.priority} {a.state}{' shelved' if shelved else ''}")


def shelve_form(console: Console, lang: str) -> list[Any]:
    """Always drawn (the callbacks need its ids); disabled, with a note, for roles that may not shelve."""
    may = allowed(Permission.SHELVE)
    options = shelve_options(console, lang)
    note = [] if may else [html.P(t(lang, "alarms.shelve_not_allowed"), className="muted", id="shelve-not-allowed")]
    return [*note, html.Div([
        dcc.Dropdown(id="shelve-alarm", options=options, placeholder=t(lang, "alarms.choose"), className="grow",
                     disabled=not may, **KEPT),  # a half-filled form survives a language switch
        dcc.Input(id="shelve-reason", placeholder=t(lang, "alarms.reason"), className="grow", disabled=not may,
                  **KEPT),
        dcc.Input(id="shelve-minutes", type="number", value=60, min=1, max=480, className="narrow",
                  disabled=not may, **KEPT),
        html.Button(t(lang, "alarms.shelve_button"), id="shelve-button", n_clicks=0, disabled=not may),
    ], className="form-row")]


def shelve_options(console: Console, lang: str) -> list[dict[str, Any]]:
    """Open alarms to choose from; none for roles that may not shelve."""
    if not allowed(Permission.SHELVE):
        return []
    return [{"label": f"#{a.id} {device_name(console.site, a.device, lang)} · {alarm_text(console.site, a, lang).text}",
             "value": a.id} for a in console.journal.active()]


def history_filters(lang: str) -> list[Any]:
    return [html.Div([
        dcc.Dropdown(id="history-event", options=[{"label": t(lang, f"event.{e}"), "value": e}
                                                  for e in HISTORY_EVENTS],
                     placeholder=t(lang, "alarms.all_events"), className="grow", **KEPT),
        dcc.RadioItems(id="history-days", options=[{"label": t(lang, f"alarms.last_{d}d"), "value": d}
                                                   for d in (1, 7, 30)], value=7, inline=True, **KEPT),
    ], className="form-row")]


def history_table(console: Console, lang: str, event: str | None, days: int) -> html.Table:
    since = (console.now() - timedelta(days=days)).timestamp()
    events: list[AlarmEvent] = [e for e in console.journal.history(since=since, limit=500)
                                if not event or e.event == event]
    alarms: dict[int, Alarm] = {}
    for e in events:  # one lookup per alarm, not per event
        if e.alarm_id not in alarms:
            alarms[e.alarm_id] = console.journal.get(e.alarm_id)
    head = ["alarms.time", "alarms.alarm", "alarms.device", "alarms.message", "alarms.event", "alarms.user",
            "alarms.note"]
    rows = [html.Tr([html.Th(t(lang, k)) for k in head])]
    for e in events:
        alarm = alarms[e.alarm_id]
        text = alarm_text(console.site, alarm, lang)
        rows.append(html.Tr([html.Td(_when(e.ts, console)), html.Td(f"#{e.alarm_id}"), html.Td(text.device),
                             html.Td(text.text, title=alarm.message), html.Td(t(lang, f"event.{e.event}")),
                             html.Td(e.user), html.Td(e.note)], className=f"history-row {e.event}"))
    if not events:  # a caption, not a row: the table's download stays the header alone
        rows.insert(0, html.Caption(t(lang, "alarms.no_history", days=days), className="muted",
                                    id="alarm-history-empty"))
    return html.Table(rows, className="table history", id="alarm-history-table")


def acknowledge(console: Console, alarm_id: int, lang: str) -> str:
    """Server-side: only operators and admins; the journal records who."""
    from flask_login import current_user

    if not authorize(Permission.ACKNOWLEDGE, "acknowledge", f"alarm #{alarm_id}"):
        return t(lang, "auth.forbidden")
    try:
        console.journal.acknowledge(alarm_id, current_user.name, "console")
    except LifecycleError as exc:
        return str(exc)
    audit("acknowledge", f"alarm #{alarm_id}")
    return t(lang, "alarms.acked", id=alarm_id)


def shelve(console: Console, alarm_id: int | None, reason: str | None, minutes: float | None, lang: str) -> str:
    from flask_login import current_user

    if not authorize(Permission.SHELVE, "shelve", f"alarm #{alarm_id}"):
        return t(lang, "auth.forbidden")
    if alarm_id is None:
        return t(lang, "alarms.choose")
    try:
        console.journal.shelve(int(alarm_id), current_user.name, reason or "", float(minutes or 0))
    except LifecycleError as exc:
        return str(exc)
    audit("shelve", f"alarm #{alarm_id} for {minutes} min: {reason}")
    return t(lang, "alarms.shelved", id=alarm_id)


def register(app: Dash, console: Console) -> None:
    # Actions and the live refresh are separate callbacks: a tick arriving while an acknowledgement is in
    # flight must not supersede it (Dash drops the older of two pending calls of the same callback).
    @app.callback(
        Output("alarm-message", "children"), Output("alarm-changed", "data"),
        Input({"type": "ack-button", "index": ALL}, "n_clicks"), Input("shelve-button", "n_clicks"),
        State("shelve-alarm", "value"), State("shelve-reason", "value"), State("shelve-minutes", "value"),
        State("lang", "data"), prevent_initial_call=True,
    )
    def _act(ack_clicks: list[int], _shelve: int, alarm_id: int | None, reason: str | None,
             minutes: float | None, lang: str) -> tuple[Any, Any]:
        trigger = ctx.triggered_id
        if isinstance(trigger, dict) and trigger.get("type") == "ack-button" and any(ack_clicks):
            return acknowledge(console, int(trigger["index"]), lang), time.time()
        if trigger == "shelve-button":
            return shelve(console, alarm_id, reason, minutes, lang), time.time()
        return no_update, no_update

    # The open alarms follow every change (a raise or clear arrives with the tick, an acknowledgement or shelve
    # with alarm-changed), redrawn only when what they show changed (see active_key).
    @app.callback(Output("alarm-active", "children"), Output("shelve-alarm", "options"),
                  Output("alarm-active-key", "data"), Input("tick", "n_intervals"), Input("alarm-changed", "data"),
                  State("alarm-active-key", "data"), State("lang", "data"), prevent_initial_call=True)
    def _refresh_active(_tick: int, _changed: float, shown: str | None, lang: str) -> Any:
        key = active_key(console, lang)
        if key == shown:
            return no_update, no_update, no_update
        return active_table(console, lang), shelve_options(console, lang), key

    # The history follows the same changes and its filters.
    @app.callback(Output("alarm-history", "children"), Input("tick", "n_intervals"), Input("alarm-changed", "data"),
                  Input("history-event", "value"), Input("history-days", "value"), State("lang", "data"))
    def _refresh_history(_tick: int, _changed: float, event: str | None, days: int | None, lang: str) -> Any:
        if drawn_by_layout(not event and days in (None, 7)):  # filters kept over a language switch are drawn
            return no_update
        return history_table(console, lang, event, int(days or 7))


def topbar_badge(console: Console, lang: str) -> tuple[str, str]:
    """The top bar's count of unshelved open alarms (the operator's shift view), red while any is open: the
    same function as the Overview's tile (:func:`dashboard.kpis.active_alarm_count`)."""
    count = active_alarm_count(console) or 0
    if not count:
        return t(lang, "alarms.topbar_none"), "alarm-badge"
    return t(lang, "alarms.topbar", count=count), "alarm-badge alerting"
