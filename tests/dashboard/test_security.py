"""Each attack of issue 15, replayed with a real HTTP client against the served console, is refused and recorded:
password guessing, user-name probing by timing, a cookie kept after sign-out or a password change, framing,
cross-site POSTs, path traversal on Dash's asset route, and a client that hangs up while queued."""

from __future__ import annotations

import socket
import statistics
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from tests.dashboard.conftest import PASSWORDS, RunningConsole, sign_in
from tests.support.processes import free_port

ROUTE = {"output": "..topbar.children...page.children..",
         "outputs": [{"id": "topbar", "property": "children"}, {"id": "page", "property": "children"}],
         "inputs": [{"id": "url", "property": "pathname", "value": "/alarms"},
                    {"id": "lang", "property": "data", "value": "en"}],
         "changedPropIds": ["url.pathname"], "state": []}


@pytest.fixture
def serve(site, console_store, tmp_path: Path) -> Iterator[Callable[..., RunningConsole]]:  # type: ignore[no-untyped-def]
    """A console of its own (own users, sessions, throttle and audit log), so lockouts stay in the test."""
    from alerts.journal import AlarmJournal
    from dashboard.app import create_app
    from dashboard.auth import Role, UserBook
    from dashboard.server import ConsoleServer
    from zerocarbon.settings import Settings

    started: list[tuple[ConsoleServer, AlarmJournal]] = []

    def start(**settings: object) -> RunningConsole:
        data_dir = tmp_path / f"console-{len(started)}"
        book = UserBook(data_dir / "users.json")
        for name, password in PASSWORDS.items():
            book.add(name, password, Role(name))
        journal = AlarmJournal(data_dir / "alarms.sqlite")
        app = create_app(console_store, site, journal, Settings(data_dir=data_dir, **settings), users=book,
                         warm_up=False)
        server = ConsoleServer(app, "127.0.0.1", free_port()).start()
        started.append((server, journal))
        return RunningConsole(server.url, app, app.zerocarbon_console, journal, data_dir)  # type: ignore[attr-defined]

    yield start
    for server, journal in started:
        server.stop()
        journal.close()


def _audit(console: RunningConsole, event: str) -> list:  # type: ignore[type-arg]
    from dashboard.audit import AuditLog

    log = AuditLog(console.data_dir)
    try:
        return log.entries(event=event)
    finally:
        log.close()


def _login(client: httpx.Client, name: str, password: str) -> int:
    return client.post("/login", data={"username": name, "password": password}).status_code


class SteppedClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_guessing_locks_the_account_with_growing_delays_even_for_the_right_password(serve) -> None:  # type: ignore[no-untyped-def]
    console = serve()
    clock = console.app.server.extensions["zerocarbon.throttle"].clock = SteppedClock()  # type: ignore[attr-defined]
    with httpx.Client(base_url=console.url, timeout=30) as client:
        assert [_login(client, "operator", f"guess-{i}") for i in range(5)] == [401] * 5  # the free failures
        assert _login(client, "operator", "guess-5") == 401  # the 6th starts a 1 s lockout
        locked = client.post("/login", data={"username": "operator", "password": PASSWORDS["operator"]})
        assert locked.status_code == 429 and locked.headers["Retry-After"] == "2"
        clock.now += 1.1
        assert _login(client, "operator", "guess-6") == 401  # the 7th: 2 s this time
        clock.now += 1.1
        assert _login(client, "operator", PASSWORDS["operator"]) == 429  # still locked: the delay grew
        clock.now += 1.0
        assert _login(client, "operator", PASSWORDS["operator"]) == 302  # after the lockout the owner gets in
        assert _login(client, "viewer", PASSWORDS["viewer"]) == 302  # another account was never locked
    lockouts = [e.detail for e in reversed(_audit(console, "lockout"))]
    assert lockouts == ["account operator locked for 1 s", "account operator locked for 2 s"]
    assert len(_audit(console, "login_failed")) == 7
    assert {(e.user, e.address) for e in _audit(console, "login_locked")} == {("operator", "127.0.0.1")}


def test_one_address_guessing_many_names_is_locked_out_for_every_account(serve) -> None:  # type: ignore[no-untyped-def]
    console = serve()
    with httpx.Client(base_url=console.url, timeout=30) as client:
        assert {_login(client, f"name-{i}", "password-1") for i in range(20)} == {401}
        assert _login(client, "name-20", "password-1") == 401  # the address's 21st failure locks the address
        assert _login(client, "viewer", PASSWORDS["viewer"]) == 429
    assert [e.detail for e in _audit(console, "lockout")] == ["address 127.0.0.1 locked for 1 s"]


def test_unknown_user_names_take_as_long_as_wrong_passwords(serve) -> None:  # type: ignore[no-untyped-def]
    """Before: 3-5 ms for an unknown name, 158-209 ms for a real one; now both pay one scrypt check."""
    console = serve()

    def timed(name: str) -> float:
        t0 = time.perf_counter()
        assert _login(client, name, "not-the-password") == 401
        return time.perf_counter() - t0

    with httpx.Client(base_url=console.url, timeout=30) as client:
        _login(client, "warm-up", "x" * 8)  # the dummy hash is made on first use
        unknown = statistics.median(timed(f"nobody-{i}") for i in range(4))
        known = statistics.median(timed(name) for name in PASSWORDS)
    assert unknown > 0.5 * known, (unknown, known)


def test_a_cookie_kept_from_before_sign_out_is_refused(serve) -> None:  # type: ignore[no-untyped-def]
    console = serve()
    with httpx.Client(base_url=console.url, timeout=30) as client:
        assert sign_in(client, "viewer").status_code == 302
        saved = dict(client.cookies)
        assert client.get("/_dash-layout").status_code == 200
        client.get("/logout", headers={"Referer": f"{console.url}/"})
    with httpx.Client(base_url=console.url, timeout=30, cookies=saved) as replay:
        assert replay.get("/_dash-layout").status_code == 401
    assert [e.user for e in _audit(console, "logout")] == ["viewer"]


def test_a_password_change_ends_every_session_of_that_user(serve, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from zerocarbon.cli import app as cli

    console = serve()
    with httpx.Client(base_url=console.url, timeout=30) as one, \
            httpx.Client(base_url=console.url, timeout=30) as two, \
            httpx.Client(base_url=console.url, timeout=30) as other:
        for client, name in ((one, "operator"), (two, "operator"), (other, "viewer")):
            assert sign_in(client, name).status_code == 302
        monkeypatch.setenv("ZEROCARBON_DATA_DIR", str(console.data_dir))
        changed = CliRunner().invoke(cli, ["users", "passwd", "operator"], input="new-secret-9\nnew-secret-9\n")
        assert changed.exit_code == 0 and "2 open console session(s) ended" in changed.output
        assert one.get("/_dash-layout").status_code == 401
        assert two.get("/_dash-layout").status_code == 401
        assert other.get("/_dash-layout").status_code == 200  # only that user's sessions
    audit = CliRunner().invoke(cli, ["users", "audit", "--event", "password_changed"])
    assert "password_changed\toperator\tcli\t2 open console session(s) ended" in audit.output


def test_a_get_to_logout_from_another_site_does_not_sign_out(serve) -> None:  # type: ignore[no-untyped-def]
    console = serve()
    with httpx.Client(base_url=console.url, timeout=30) as client:
        sign_in(client, "viewer")
        forced = client.get("/logout", headers={"Referer": "https://evil.example/page"})
        assert forced.status_code == 200 and 'action="/logout"' in forced.text  # asks instead
        assert client.get("/_dash-layout").status_code == 200


def test_security_headers_on_pages_login_and_dash_endpoints(running_console: RunningConsole) -> None:
    with httpx.Client(base_url=running_console.url, timeout=30) as client:
        replies = [client.get("/login")]
        sign_in(client, "viewer")
        replies += [client.get("/"), client.get("/_dash-layout"), client.post("/_dash-update-component", json=ROUTE)]
    for reply in replies:
        assert reply.status_code == 200
        csp = reply.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp and "script-src 'self' 'sha256-" in csp
        assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]  # scripts: never inline
        assert reply.headers["X-Frame-Options"] == "DENY"
        assert reply.headers["X-Content-Type-Options"] == "nosniff"
        assert reply.headers["Referrer-Policy"] == "same-origin"


def test_cross_site_posts_and_posts_without_the_csrf_token_are_refused(serve) -> None:  # type: ignore[no-untyped-def]
    console = serve()
    with httpx.Client(base_url=console.url, timeout=30) as client:
        sign_in(client, "admin")
        token = client.headers.pop("X-CSRFToken")
        assert client.post("/_dash-update-component", json=ROUTE).status_code == 403  # no token
        assert client.post("/_dash-update-component", json=ROUTE, headers={"X-CSRFToken": "forged"}).status_code == 403
        evil = {"X-CSRFToken": token, "Origin": "https://evil.example"}
        assert client.post("/_dash-update-component", json=ROUTE, headers=evil).status_code == 403
        assert client.post("/_dash-update-component", json=ROUTE, headers={"X-CSRFToken": token,
                                                                          "Origin": "null"}).status_code == 403
        own = {"X-CSRFToken": token, "Origin": console.url}
        assert client.post("/_dash-update-component", json=ROUTE, headers=own).status_code == 200
        cross_login = client.post("/login", data={"username": "admin", "password": PASSWORDS["admin"]},
                                  headers={"Origin": "https://evil.example"})
        assert cross_login.status_code == 403
    refused = [e.detail for e in _audit(console, "csrf_refused")]
    assert len(refused) == 5 and any("https://evil.example" in d for d in refused)


def test_cookie_secure_setting_marks_both_cookies_secure(serve) -> None:  # type: ignore[no-untyped-def]
    console = serve(cookie_secure=True)
    with httpx.Client(base_url=console.url, timeout=30) as client:
        reply = client.post("/login", data={"username": "viewer", "password": PASSWORDS["viewer"]})
    cookies = reply.headers.get_list("set-cookie")
    assert {c.split("=")[0] for c in cookies} == {"session", "_csrf_token"}
    assert all("Secure" in c for c in cookies)
    assert any("HttpOnly" in c for c in cookies if c.startswith("session="))


@pytest.mark.parametrize("path", ["/_dash-component-suites/dash/..%2f..%2fetc%2fpasswd",
                                  "/_dash-component-suites/dash/%2e%2e/%2e%2e/etc/passwd",
                                  "/_dash-component-suites/dash/no-such-file.js",
                                  "/assets/..%2f..%2fapp.py"])
def test_bad_asset_paths_are_404_not_500(running_console: RunningConsole, path: str) -> None:
    with httpx.Client(base_url=running_console.url, timeout=30) as client:
        reply = client.send(client.build_request("GET", httpx.URL(running_console.url + path)))
    assert reply.status_code == 404
    assert "root:" not in reply.text


def test_role_protected_actions_and_refusals_are_audited(serve) -> None:  # type: ignore[no-untyped-def]
    console = serve()
    with httpx.Client(base_url=console.url, timeout=60) as client:
        sign_in(client, "viewer")
        assert client.get("/download/report?period=this_month&format=json").status_code == 403
        audit_page = dict(ROUTE, inputs=[{"id": "url", "property": "pathname", "value": "/audit"},
                                         {"id": "lang", "property": "data", "value": "en"}])
        assert "audit-not-allowed" in client.post("/_dash-update-component", json=audit_page).text
    with httpx.Client(base_url=console.url, timeout=120) as client:
        sign_in(client, "auditor")
        assert client.get("/download/report?period=this_month&format=json").status_code == 200
    with httpx.Client(base_url=console.url, timeout=60) as client:
        sign_in(client, "admin")
        table = client.post("/_dash-update-component", json=audit_page).text
    forbidden = {(e.user, e.detail.split(":")[0]) for e in _audit(console, "forbidden")}
    assert forbidden == {("viewer", "export /download/report?period=this_month&format=json"),
                         ("viewer", "read audit log")}
    assert [e.user for e in _audit(console, "export")] == ["auditor"]
    assert "audit-row login" in table and "audit-row forbidden" in table and "audit-row export" in table


def test_a_request_whose_client_hung_up_while_queued_is_dropped(site, console_store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Fill every page slot, queue a request, hang up: it never runs (before: waitress computed it anyway)."""
    import dash

    from dashboard import security
    from dashboard.server import PAGE_SLOTS, ConsoleServer, Lanes

    app = dash.Dash(__name__)
    app.server.wsgi_app = Lanes(app.server.wsgi_app)  # type: ignore[method-assign]  # as create_app does
    app.layout = dash.html.Div()  # Dash refuses every request of an app without one
    ran: list[str] = []
    busy_now: list[int] = []
    release = threading.Event()
    app.server.add_url_rule("/slow", "slow", lambda: (busy_now.append(1), release.wait(30), "slow")[2])
    app.server.add_url_rule("/work", "work", lambda: (ran.append("work"), "done")[1])
    security.install(app.server, [])
    server = ConsoleServer(app, "127.0.0.1", free_port()).start()
    busy = [threading.Thread(target=httpx.get, args=(f"{server.url}/slow",), kwargs={"timeout": 40})
            for _ in range(PAGE_SLOTS)]
    try:
        for thread in busy:
            thread.start()
        deadline = time.monotonic() + 20
        while len(busy_now) < PAGE_SLOTS and time.monotonic() < deadline:  # every page slot is held
            time.sleep(0.05)
        with socket.create_connection(("127.0.0.1", server.port)) as gone:
            gone.sendall(b"GET /work HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            time.sleep(0.5)
        time.sleep(3.0)  # waitress reads the hang-up on its event loop (slow under a loaded machine)
        release.set()
        for thread in busy:
            thread.join(40)
        assert httpx.get(f"{server.url}/work", timeout=10).text == "done"  # the route itself works
        assert ran == ["work"]  # only the request whose client waited for it
    finally:
        release.set()
        server.stop()


def test_sign_in_answers_while_every_page_thread_is_busy(serve) -> None:  # type: ignore[no-untyped-def]
    """Hold every page slot and queue more behind them: a sign-in still answers at once, in its own lane
    (before: it waited in waitress's one queue behind the page callbacks, up to 13.5 s under 20 users)."""
    from dashboard.server import PAGE_SLOTS

    console = serve()
    busy_now: list[int] = []
    release = threading.Event()
    console.app.server.add_url_rule("/slow", "slow", lambda: (busy_now.append(1), release.wait(60), "slow")[2])
    with httpx.Client(base_url=console.url, timeout=30) as client:
        assert sign_in(client, "viewer").status_code == 302
        cookies = dict(client.cookies)
    busy = [threading.Thread(target=httpx.get, args=(f"{console.url}/slow",),
                             kwargs={"timeout": 70, "cookies": cookies}) for _ in range(PAGE_SLOTS + 4)]
    try:
        for thread in busy:
            thread.start()
        deadline = time.monotonic() + 20
        while len(busy_now) < PAGE_SLOTS and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(busy_now) == PAGE_SLOTS  # every page slot is held, four more requests queue behind them
        with httpx.Client(base_url=console.url, timeout=15) as prober:
            assert sign_in(prober, "operator").status_code == 302
            assert prober.get("/login").status_code == 200
        assert len(busy_now) == PAGE_SLOTS  # the queued ones are still waiting
    finally:
        release.set()
        for thread in busy:
            thread.join(70)


def test_the_demo_shows_a_generated_admin_password_once_and_never_writes_it_in_clear(
        tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from dashboard.auth import ADMIN_PASSWORD_ENV, UserBook
    from zerocarbon.commands.demo import ADMIN_FILE, demo_admin_password

    monkeypatch.delenv(ADMIN_PASSWORD_ENV, raising=False)
    (tmp_path / ADMIN_FILE).write_text("left-by-an-old-demo")  # what the demo used to keep
    password = demo_admin_password(tmp_path)
    assert password and UserBook(tmp_path / "users.json").check("admin", password) is not None
    assert demo_admin_password(tmp_path) is None  # a second start has nothing to show
    written = b"".join(p.read_bytes() for p in tmp_path.rglob("*") if p.is_file())
    assert password.encode() not in written and b"left-by-an-old-demo" not in written


def test_sessions_read_by_many_threads_see_a_revocation_at_once(tmp_path: Path) -> None:
    """Session lookups run without a lock, on a connection per thread: a revocation made on the writer's
    connection is seen by every reader's next lookup, and a revoked session stays revoked for all."""
    from concurrent.futures import ThreadPoolExecutor

    from dashboard.sessions import SessionBook

    book = SessionBook(tmp_path)
    opened = [book.open("viewer", "127.0.0.1") for _ in range(8)]
    try:
        with ThreadPoolExecutor(8) as pool:
            assert all(pool.map(lambda s: book.get(s.sid) == s, opened * 4))
            book.revoke(opened[0].sid)
            assert not any(pool.map(lambda _: book.get(opened[0].sid), range(32)))
            assert book.revoke_user("viewer") == 7
            assert not any(pool.map(lambda s: book.get(s.sid), opened * 4))
    finally:
        book.close()


def test_the_users_file_is_read_again_when_another_process_rewrites_it(tmp_path: Path) -> None:
    from dashboard.auth import Role, UserBook

    console_book, cli_book = UserBook(tmp_path / "users.json"), UserBook(tmp_path / "users.json")
    console_book.add("ops", "first-password", Role.OPERATOR)
    assert console_book.get("ops") is not None and console_book.get("new") is None  # cached from here on
    cli_book.add("new", "new-password", Role.VIEWER)  # what `zerocarbon users add` does in its own process
    cli_book.set_password("ops", "second-password")
    assert console_book.get("new") is not None
    assert console_book.check("ops", "second-password") is not None
    assert console_book.check("ops", "first-password") is None
