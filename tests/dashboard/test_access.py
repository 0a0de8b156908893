"""Sign-in and roles, checked at the HTTP level against the served console (no browser): what a forged request
can do is what matters, not which buttons are drawn."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from argon2 import PasswordHasher

from dashboard.auth import ADMIN_PASSWORD_ENV, Role, UserBook, ensure_admin
from models.errors import UserError
from tests.dashboard.conftest import PASSWORDS, RunningConsole, sign_in


@contextmanager
def _signed_in(console: RunningConsole, name: str) -> Iterator[httpx.Client]:
    """A client holding the session cookie of ``name``."""
    with httpx.Client(base_url=console.url, follow_redirects=False, timeout=30) as client:
        reply = sign_in(client, name)
        assert reply.status_code == 302, reply.text
        yield client


def _ack_request(alarm_id: int) -> dict[str, object]:
    """The body Dash's renderer posts when the acknowledge button of ``alarm_id`` is clicked."""
    button = {"index": alarm_id, "type": "ack-button"}
    return {
        "output": "..alarm-message.children...alarm-changed.data..",
        "outputs": [{"id": "alarm-message", "property": "children"}, {"id": "alarm-changed", "property": "data"}],
        "inputs": [[{"id": button, "property": "n_clicks", "value": 1}],
                   {"id": "shelve-button", "property": "n_clicks", "value": 0}],
        "changedPropIds": [json.dumps(button, separators=(",", ":"), sort_keys=True) + ".n_clicks"],
        "state": [{"id": "shelve-alarm", "property": "value", "value": None},
                  {"id": "shelve-reason", "property": "value", "value": None},
                  {"id": "shelve-minutes", "property": "value", "value": 60},
                  {"id": "lang", "property": "data", "value": "en"}],
    }


def test_signed_out_requests_are_refused(running_console: RunningConsole) -> None:
    with httpx.Client(base_url=running_console.url, follow_redirects=False) as client:
        page = client.get("/alarms")
        assert page.status_code == 302 and page.headers["location"].startswith("/login?next=/alarms")
        assert client.get("/_dash-layout").status_code == 401
        assert client.post("/_dash-update-component", json=_ack_request(1)).status_code == 401
        assert client.get("/download/report?period=this_month&format=json").status_code == 401


def test_wrong_password_and_default_passwords_do_not_sign_in(running_console: RunningConsole) -> None:
    with httpx.Client(base_url=running_console.url, follow_redirects=False) as client:
        for name, password in [("admin", "admin"), ("admin", "password"), ("admin", ""), ("nobody", "x" * 10)]:
            assert client.post("/login", data={"username": name, "password": password}).status_code == 401
        assert client.get("/_dash-layout").status_code == 401


def test_login_redirect_stays_on_this_site(running_console: RunningConsole) -> None:
    with httpx.Client(base_url=running_console.url, follow_redirects=False) as client:
        reply = client.post("/login?next=https://evil.example/", data={"username": "viewer",
                                                                        "password": PASSWORDS["viewer"]})
        assert reply.headers["location"] == "/"


def test_viewer_cannot_acknowledge_by_forging_the_callback(running_console: RunningConsole) -> None:
    journal = running_console.journal
    target = next(a for a in journal.active() if a.state == "active_unack")
    with _signed_in(running_console, "viewer") as client:
        reply = client.post("/_dash-update-component", json=_ack_request(target.id))
    assert reply.status_code == 200
    assert "Forbidden" in reply.json()["response"]["alarm-message"]["children"]
    assert journal.get(target.id).state == "active_unack"
    assert journal.get(target.id).acked_by is None


def test_operator_acknowledges_through_the_same_callback(running_console: RunningConsole) -> None:
    journal = running_console.journal
    target = next(a for a in journal.active() if a.state == "active_unack" and a.priority == "low")
    with _signed_in(running_console, "operator") as client:
        reply = client.post("/_dash-update-component", json=_ack_request(target.id))
    assert reply.json()["response"]["alarm-message"]["children"] == f"Alarm #{target.id} acknowledged"
    assert journal.get(target.id).acked_by == "operator"


@pytest.mark.parametrize("name", ["viewer", "operator"])
def test_roles_without_export_get_403_on_report_download(running_console: RunningConsole, name: str) -> None:
    with _signed_in(running_console, name) as client:
        assert client.get("/download/report?period=this_month&format=json").status_code == 403


def test_users_file_holds_hashes_not_passwords(running_console: RunningConsole) -> None:
    text = (running_console.data_dir / "users.json").read_text()
    assert all(password not in text for password in PASSWORDS.values())
    assert json.loads(text)["users"]["viewer"]["role"] == "viewer"


def test_fresh_install_admin_password_comes_from_the_environment(tmp_path: Path) -> None:
    book = UserBook(tmp_path / "users.json")
    assert ensure_admin(book, {ADMIN_PASSWORD_ENV: "from-the-env-1"}) is None
    assert book.check("admin", "from-the-env-1") == book.get("admin")
    assert ensure_admin(book, {}) is None  # only on a fresh install


def test_fresh_install_without_env_generates_a_password_once(tmp_path: Path) -> None:
    first, second = UserBook(tmp_path / "a" / "users.json"), UserBook(tmp_path / "b" / "users.json")
    generated = ensure_admin(first, {})
    assert generated and len(generated) >= 12
    assert first.check("admin", generated) is not None
    assert ensure_admin(second, {}) != generated  # random, not a built-in default
    assert first.check("admin", "admin") is None


def test_hashes_are_argon2id_at_owasp_minimum_and_older_hashes_are_rewritten_on_sign_in(tmp_path: Path) -> None:
    from werkzeug.security import generate_password_hash

    book = UserBook(tmp_path / "users.json")
    book.add("ops", "long-enough", Role.OPERATOR)

    def stored(name: str) -> str:
        return str(json.loads(book.path.read_text())["users"][name]["password_hash"])

    # OWASP Password Storage Cheat Sheet: Argon2id, at least 19 MiB, 2 iterations, 1 degree of parallelism
    assert stored("ops").startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    users = json.loads(book.path.read_text())
    # users files written before: werkzeug's default scrypt (N=2^15), the N=2^14 of session 3, and an Argon2id
    # hash with weaker parameters; each still signs in, and is then rewritten
    weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash("weak-argon2")
    users["users"].update({
        "old": {"role": "viewer", "password_hash": generate_password_hash("old-password")},
        "s3": {"role": "viewer", "password_hash": generate_password_hash("s3-password", "scrypt:16384:8:1")},
        "weak": {"role": "viewer", "password_hash": weak}})
    book.path.write_text(json.dumps(users))
    assert stored("old").startswith("scrypt:32768:8:1$")
    assert book.check("old", "wrong-password") is None
    assert stored("old").startswith("scrypt:32768:8:1$")  # a wrong password rewrites nothing
    for name, password in (("old", "old-password"), ("s3", "s3-password"), ("weak", "weak-argon2")):
        assert book.check(name, password) == book.get(name)
        assert stored(name).startswith("$argon2id$v=19$m=19456,t=2,p=1$"), name
        assert book.check(name, password) == book.get(name)
        assert book.check(name, password + "x") is None
    broken = json.loads(book.path.read_text())
    broken["users"]["old"]["password_hash"] = "$argon2id$v=19$m=19456,t=2,p=1$not-a-hash"
    book.path.write_text(json.dumps(broken))
    assert book.check("old", "old-password") is None  # a damaged hash refuses, it does not raise


def test_weak_passwords_and_duplicate_users_are_refused(tmp_path: Path) -> None:
    book = UserBook(tmp_path / "users.json")
    with pytest.raises(UserError, match="at least 8"):
        book.add("ops", "short", Role.OPERATOR)
    book.add("ops", "long-enough", Role.OPERATOR)
    with pytest.raises(UserError, match="already exists"):
        book.add("ops", "long-enough", Role.VIEWER)


def _shelve_request(alarm_id: int, reason: str) -> dict[str, object]:
    body = _ack_request(alarm_id)
    body["inputs"] = [[], {"id": "shelve-button", "property": "n_clicks", "value": 1}]
    body["changedPropIds"] = ["shelve-button.n_clicks"]
    body["state"] = [{"id": "shelve-alarm", "property": "value", "value": alarm_id},
                     {"id": "shelve-reason", "property": "value", "value": reason},
                     {"id": "shelve-minutes", "property": "value", "value": 30},
                     {"id": "lang", "property": "data", "value": "en"}]
    return body


def test_shelving_needs_the_role_and_a_reason(running_console: RunningConsole) -> None:
    journal = running_console.journal
    target = next(a for a in journal.active() if a.priority == "high")
    with _signed_in(running_console, "viewer") as client:
        denied = client.post("/_dash-update-component", json=_shelve_request(target.id, "maintenance"))
    assert "Forbidden" in denied.json()["response"]["alarm-message"]["children"]
    with _signed_in(running_console, "operator") as client:
        no_reason = client.post("/_dash-update-component", json=_shelve_request(target.id, " "))
        assert "needs a reason" in no_reason.json()["response"]["alarm-message"]["children"]
        assert journal.get(target.id).shelved_until is None
        done = client.post("/_dash-update-component", json=_shelve_request(target.id, "inverter 3 under maintenance"))
    assert done.json()["response"]["alarm-message"]["children"] == f"Alarm #{target.id} shelved"
    shelved = journal.get(target.id)
    assert (shelved.shelved_by, shelved.shelve_reason) == ("operator", "inverter 3 under maintenance")


def test_alarm_history_filters_by_event(running_console: RunningConsole) -> None:
    body = {"output": "alarm-history.children", "outputs": {"id": "alarm-history", "property": "children"},
            "inputs": [{"id": "tick", "property": "n_intervals", "value": 1},
                       {"id": "alarm-changed", "property": "data", "value": None},
                       {"id": "history-event", "property": "value", "value": "raised"},
                       {"id": "history-days", "property": "value", "value": 30}],
            "changedPropIds": ["history-event.value"], "state": [{"id": "lang", "property": "data", "value": "en"}]}
    with _signed_in(running_console, "viewer") as client:
        table = json.dumps(client.post("/_dash-update-component", json=body).json()["response"]["alarm-history"])
    raised = [e for e in running_console.journal.history(limit=500) if e.event == "raised"]  # type: ignore[attr-defined]
    assert len(raised) >= 3  # the fixture's three alarms at least
    assert table.count("history-row raised") == len(raised)
    assert "history-row acknowledged" not in table


def test_login_page_speaks_both_languages(running_console: RunningConsole) -> None:
    with httpx.Client(base_url=running_console.url) as client:
        assert "用户名" in client.get("/login?lang=zh").text
        assert "User name" in client.get("/login?lang=en").text
        assert "Wrong user name or password" in client.post(
            "/login?lang=en", data={"username": "viewer", "password": "nope-nope"}).text


def test_reports_offer_any_month_quarter_or_year_and_refuse_other_labels(running_console: RunningConsole) -> None:
    from dashboard.pages.reports import period_options

    values = [o["value"] for o in period_options(running_console.console, "zh")]  # type: ignore[arg-type]
    local = running_console.console.now().astimezone(running_console.console.timezone)  # type: ignore[attr-defined]
    assert values[:4] == ["this_month", "last_month", "this_year", "last_year"]
    assert f"{local.year}-{local.month:02d}" in values and f"{local.year - 1}-{local.month:02d}" in values
    assert f"{local.year}-Q{(local.month - 1) // 3 + 1}" in values and str(local.year - 4) in values
    assert len(values) == 4 + 24 + 12 + 5
    with _signed_in(running_console, "auditor") as client:
        bad = client.get("/download/report?period=2026-13&format=json")
    assert bad.status_code == 400 and "YYYY-Qn" in bad.text


def _active_refresh(key: str | None) -> dict[str, object]:
    """The body Dash's renderer posts when the live tick refreshes the open-alarm table it drew under ``key``."""
    outputs = [("alarm-active", "children"), ("shelve-alarm", "options"), ("alarm-active-key", "data")]
    return {"output": "..alarm-active.children...shelve-alarm.options...alarm-active-key.data..",
            "outputs": [{"id": i, "property": p} for i, p in outputs],
            "inputs": [{"id": "tick", "property": "n_intervals", "value": 7},
                       {"id": "alarm-changed", "property": "data", "value": None}],
            "changedPropIds": ["tick.n_intervals"],
            "state": [{"id": "alarm-active-key", "property": "data", "value": key},
                      {"id": "lang", "property": "data", "value": "en"}]}


def test_a_tick_redraws_the_open_alarms_only_when_they_changed(running_console: RunningConsole) -> None:
    # a redraw resets every ack button's n_clicks: one landing while a click is on its way would lose the click
    journal = running_console.journal
    with _signed_in(running_console, "operator") as client:
        first = client.post("/_dash-update-component", json=_active_refresh(None))
        key = first.json()["response"]["alarm-active-key"]["data"]
        assert "ack-button" in json.dumps(first.json()["response"]["alarm-active"])
        assert client.post("/_dash-update-component", json=_active_refresh(key)).json()["response"] == {}  # kept
        now = time.time()
        raised = journal.condition_raised("tick-test:meter-lighting.p_kw", "tick-test", "meter-lighting.p_kw",  # type: ignore[attr-defined]
                                          "low", "tick test", 1.0, now).alarm
        try:
            changed = client.post("/_dash-update-component", json=_active_refresh(key)).json()["response"]
        finally:  # leave the shared journal's open alarms as the other tests expect them
            journal.condition_cleared("tick-test:meter-lighting.p_kw", "tick test over", 0.0, now + 1)  # type: ignore[attr-defined]
            journal.acknowledge(raised.id, "operator")  # type: ignore[attr-defined]
    assert changed["alarm-active-key"]["data"] != key and f"alarm-row-{raised.id}" in json.dumps(changed)
