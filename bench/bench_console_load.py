"""The console under 1, 20 and 50 concurrent users in one run, with sign-in latency under that load (issue 15).

Goals: 20 clients p99 of a full Overview load < 5 s; 50 clients no errors; sign-in < 1 s throughout.

What runs (the path users run):
- a store holding the demo's history: ``simulators.backfill.backfill`` at 1 minute for every point of
  ``config/site.yaml`` over ``--days`` (30, as ``zerocarbon demo``), rollups built; cached in
  ``data/bench/console-load.duckdb`` and topped up to now on later runs;
- the console served in a separate process, so the load generator does not share the server's interpreter
  lock: ``--server waitress`` as ``zerocarbon demo``/``run`` serve it (``create_app`` +
  ``dashboard.server.ConsoleServer``); ``--server dashboard`` runs the ``zerocarbon dashboard`` command itself
  (the production path: docker-compose.yml; the same ConsoleServer since issue 15's last round);
  ``--server gunicorn``: one gunicorn gthread worker, what ``zerocarbon dashboard`` served before (and serves
  with ``--workers N`` over InfluxDB);
- each client is its own signed-in session (its own cookie and CSRF token) that loads the Overview as a
  browser does, the JavaScript bundles excepted (browsers cache them): ``GET /``, ``/_dash-layout``,
  ``/_dash-dependencies``, the routing callback that draws the page, the two live-tick callbacks (power
  flow, KPI tiles) and the top bar's two (alarm badge, history-fill banner). A "full Overview load" is those
  eight requests in order; then the client waits for
  the next 5 s tick and loads again: every user reloads every tick, heavier than a browser left open;
- the level's clients sign in all at once before it starts (timed: "all sign in at once"), then a prober signs
  in with a fresh client every 2 s during the level: sign-in latency under the load.
Baseline in the same run: the 1-client level; ratios are p50 and p99 against it. The server's CPU per load
(``/proc/<pid>/stat`` of the server process and its children, gunicorn's workers, over the level, divided by
the loads and sign-ins served) is the
figure other work on a shared machine does not change much: one core's worth of it is the console's capacity.

``--pages``: the done-when of issue 15 ("20 users at once get every page within 5 s"): each client opens every
page of the console in turn (``bench/console_pages.py``: the page, layout, dependencies and every callback that
fires on load, found as Dash's renderer finds them), one page per tick, each client starting at a different
page; p50 and p99 per page. Levels 1 and 20 (``--levels`` chooses).

``--hash scrypt-n14`` (waitress only): the server hashes passwords as before Argon2id (werkzeug scrypt N=2^14,
r=8, p=1), to compare the sign-in figures, above all the burst, before and after in one window.

Run: ``.venv/bin/python bench/bench_console_load.py [--seconds 40] [--days 30] [--server waitress|dashboard|gunicorn]
[--pages] [--levels 1,20,50] [--hash argon2id|scrypt-n14]``
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

STORE = ROOT / "data" / "bench" / "console-load.duckdb"
PASSWORD = "bench-password-1"
TICK_S = 5.0
LEVELS = (1, 20, 50)
GOAL_P99_S, GOAL_LOGIN_S = 5.0, 1.0
PAGE_TIMEOUT_S = 120.0  # --pages: the Carbon page took over 60 s under load before issue 15


def _callback(outputs: list[tuple[str, str]], inputs: list[tuple[str, str, object]],
              state: list[tuple[str, str, object]], changed: str) -> dict[str, object]:
    """The body Dash's renderer posts to /_dash-update-component."""
    out = [{"id": i, "property": p} for i, p in outputs]
    return {"output": ".." + "...".join(f"{i}.{p}" for i, p in outputs) + ".." if len(outputs) > 1
            else f"{outputs[0][0]}.{outputs[0][1]}",
            "outputs": out if len(out) > 1 else out[0],
            "inputs": [{"id": i, "property": p, "value": v} for i, p, v in inputs],
            "state": [{"id": i, "property": p, "value": v} for i, p, v in state], "changedPropIds": [changed]}


ROUTE = _callback([("topbar", "children"), ("page", "children")], [("url", "pathname", "/"), ("lang", "data", "zh")],
                  [], "url.pathname")
FLOW = _callback([("overview-flow", "figure"), ("overview-live-loads", "figure")], [("tick", "n_intervals", 1)],
                 [("lang", "data", "zh")], "tick.n_intervals")
KPIS = _callback([("overview-kpis", "children")], [("tick", "n_intervals", 1)], [("lang", "data", "zh")],
                 "tick.n_intervals")
# the top bar's own callbacks, fired on load and on every tick like the page's
BADGE = _callback([("alarm-badge", "children"), ("alarm-badge", "className")],
                  [("tick", "n_intervals", 1), ("url", "pathname", "/"), ("lang", "data", "zh")], [],
                  "tick.n_intervals")
FILL = _callback([("fill-banner", "children"), ("fill-banner", "hidden")],
                 [("tick", "n_intervals", 1), ("lang", "data", "zh")], [], "tick.n_intervals")


def build_store(days: float) -> Path:
    """The demo's history (every point, 1 minute, rollups), cached and topped up to now."""
    from models.loader import load_site
    from simulators.backfill import backfill
    from storage.duckdb_store import DuckDBStore
    from zerocarbon.commands.demo import counter_values, missing_history

    site = load_site(ROOT / "config" / "site.yaml")
    STORE.parent.mkdir(parents=True, exist_ok=True)
    store = DuckDBStore(STORE, timezone=site.info.timezone)
    span = missing_history(store, site, days, datetime.now(UTC))
    if span:
        t0 = time.perf_counter()
        result = backfill(store, site, span[0], span[1], "1min", 0, origins=counter_values(store, site))
        store.update_rollups(span[0], span[1])
        print(f"store: {result.rows:,} readings {span[0]:%Y-%m-%d %H:%M} .. {span[1]:%H:%M} UTC "
              f"with rollups in {time.perf_counter() - t0:.0f} s")
    store.close()
    return STORE


def serve_waitress(data_dir: Path, port: int) -> None:
    """The console as zerocarbon demo/run serve it (runs in the server subprocess)."""
    from alerts.journal import AlarmJournal
    from dashboard.app import create_app
    from dashboard.server import ConsoleServer
    from models.loader import load_site
    from storage.duckdb_store import DuckDBStore
    from zerocarbon.settings import Settings

    site = load_site(ROOT / "config" / "site.yaml")
    settings = Settings(data_dir=data_dir)
    store = DuckDBStore(data_dir / "zerocarbon.duckdb", timezone=site.info.timezone)
    app = create_app(store, site, AlarmJournal(data_dir / "alarms.sqlite"), settings, config_dir=ROOT / "config")
    ConsoleServer(app, "127.0.0.1", port).run()


def serve_gunicorn(port: int) -> None:
    """One gunicorn gthread worker building the console after the fork (runs in the server subprocess; the
    data dir and site come from the environment, as for the command)."""
    from zerocarbon.commands.dashboard import _gunicorn

    _gunicorn(f"127.0.0.1:{port}", 1).run()


def use_old_hash() -> None:
    """--hash scrypt-n14: the console's hashing as it was before Argon2id (in the server subprocess only)."""
    from werkzeug.security import check_password_hash, generate_password_hash

    from dashboard import auth

    auth.hash_password = lambda password: generate_password_hash(password, "scrypt:16384:8:1")  # type: ignore[assignment]
    auth.verify_password = check_password_hash  # type: ignore[assignment]
    auth.needs_rehash = lambda stored: False  # type: ignore[assignment]


def start_server(kind: str, data_dir: Path, port: int, hash_kind: str = "argon2id") -> subprocess.Popen[bytes]:
    env = {**os.environ, "ZEROCARBON_DATA_DIR": str(data_dir), "ZEROCARBON_ADMIN_PASSWORD": PASSWORD,
           "ZEROCARBON_SITE": str(ROOT / "config" / "site.yaml")}
    env.pop("ZEROCARBON_HEALTH_PORT", None)
    if kind == "dashboard":
        cmd = [sys.executable, "-m", "zerocarbon", "dashboard", "--port", str(port)]
    else:
        cmd = [sys.executable, __file__, "--serve", str(data_dir), "--port", str(port), "--server", kind,
               "--hash", hash_kind]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/login", timeout=2).status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit(f"the {kind} console on port {port} never answered")


@dataclass
class Level:
    clients: int
    loads: list[float] = field(default_factory=list)
    logins: list[float] = field(default_factory=list)
    burst: list[float] = field(default_factory=list)  # the level's users signing in all at once, before it
    by_page: dict[str, list[float]] = field(default_factory=dict)  # --pages: load times of each page
    errors: list[str] = field(default_factory=list)
    server_cpu_s: float = 0.0  # CPU the server process used during the level (all its threads)
    burst_cpu_s: float = 0.0  # of which during the burst: all but ~1 ms per sign-in is the password hash
    client_cpu_s: float = 0.0  # CPU this load generator used (httpx parsing the answers): it shares the cores
    seconds: float = 0.0


def process_cpu_s(pid: int) -> float:
    """utime + stime of ``pid`` and every process under it, from /proc: what the console cost, whatever else
    shares the machine. gunicorn's pages are served by worker processes the master forked (the master alone
    only watches them), and a child's CPU reaches the parent's ``cutime`` only once it has exited."""
    total = 0.0
    for each in [pid, *descendants(pid)]:
        try:
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:  # exited between the listing and the read
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def descendants(pid: int) -> list[int]:
    """Every process under ``pid`` (/proc/<pid>/task/<tid>/children, recursively)."""
    found: list[int] = []
    for children in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            kids = [int(k) for k in children.read_text().split()]
        except FileNotFoundError:
            continue
        for kid in kids:
            found += [kid, *descendants(kid)]
    return found


async def sign_in(client: httpx.AsyncClient) -> float:
    t0 = time.perf_counter()
    reply = await client.post("/login", data={"username": "admin", "password": PASSWORD})
    if reply.status_code != 302:
        raise RuntimeError(f"sign-in answered HTTP {reply.status_code}")
    client.headers["X-CSRFToken"] = client.cookies["_csrf_token"]
    return time.perf_counter() - t0


async def overview_load(client: httpx.AsyncClient) -> None:
    """The eight requests of one Overview load; raises on any answer but 200 or a page without its parts."""
    for method, path, body, expect in (("GET", "/", None, "_dash-config"), ("GET", "/_dash-layout", None, "tick"),
                                       ("GET", "/_dash-dependencies", None, "overview-kpis"),
                                       ("POST", "/_dash-update-component", ROUTE, "kpi-consumption"),
                                       ("POST", "/_dash-update-component", FLOW, "overview-flow"),
                                       ("POST", "/_dash-update-component", KPIS, "kpi-alarms"),
                                       ("POST", "/_dash-update-component", BADGE, "alarm-badge"),
                                       ("POST", "/_dash-update-component", FILL, "fill-banner")):
        reply = await client.request(method, path, json=body)
        if reply.status_code != 200 or expect not in reply.text:
            raise RuntimeError(f"{method} {path}: HTTP {reply.status_code}, {expect!r} missing")


async def user(client: httpx.AsyncClient, level: Level, until: float) -> None:
    while time.monotonic() < until:
        t0 = time.perf_counter()
        try:
            await overview_load(client)
            level.loads.append(time.perf_counter() - t0)
        except (httpx.HTTPError, RuntimeError) as exc:
            level.errors.append(repr(exc))
        await asyncio.sleep(max(0.0, TICK_S - (time.perf_counter() - t0)))


async def pages_user(client: httpx.AsyncClient, level: Level, until: float, first: int) -> None:
    """--pages: open every page in turn, one per tick, starting at page ``first``."""
    from bench import console_pages

    order = console_pages.pages()
    visit = first
    while time.monotonic() < until:
        name, path = order[visit % len(order)]
        visit += 1
        t0 = time.perf_counter()
        try:
            await console_pages.page_load(client, path)
            level.by_page.setdefault(name, []).append(time.perf_counter() - t0)
            level.loads.append(time.perf_counter() - t0)
        except (httpx.HTTPError, RuntimeError) as exc:
            level.errors.append(f"{name}: {exc!r}")
        await asyncio.sleep(max(0.0, TICK_S - (time.perf_counter() - t0)))


async def prober(url: str, level: Level, until: float) -> None:
    while time.monotonic() < until:
        async with httpx.AsyncClient(base_url=url, timeout=60) as client:
            try:
                level.logins.append(await sign_in(client))
            except (httpx.HTTPError, RuntimeError) as exc:
                level.errors.append(f"probe sign-in: {exc!r}")
        await asyncio.sleep(2.0)


async def run_level(url: str, clients: int, seconds: float, all_pages: bool = False, pid: int = 0) -> Level:
    """All ``clients`` sign in at once (timed apart: the burst, with the server's CPU over it when ``pid`` is
    the server's), then load for ``seconds`` while the prober signs in every 2 s."""
    level = Level(clients)
    sessions = [httpx.AsyncClient(base_url=url, timeout=PAGE_TIMEOUT_S if all_pages else 60) for _ in range(clients)]
    try:
        cpu = process_cpu_s(pid) if pid else 0.0
        burst = await asyncio.gather(*(sign_in(c) for c in sessions), return_exceptions=True)
        level.burst_cpu_s = process_cpu_s(pid) - cpu if pid else 0.0
        for outcome in burst:
            if isinstance(outcome, float):
                level.burst.append(outcome)
            else:
                level.errors.append(f"sign-in: {outcome!r}")
        until = time.monotonic() + seconds
        users = (pages_user(c, level, until, i) if all_pages else user(c, level, until)
                 for i, c in enumerate(sessions))
        await asyncio.gather(prober(url, level, until), *users)
    finally:
        for c in sessions:
            await c.aclose()
    return level


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def report(levels: list[Level], loads: list[tuple[float, float]]) -> None:
    base = levels[0]
    print("clients | loads | errors | p50 s | p99 s | p50, p99 vs 1 client | sign-in p50 / max s | "
          "all sign in at once: p50 / max s, server CPU s | server CPU ms per load | cores used: server, bench | "
          "load average")
    for level, (before, after) in zip(levels, loads, strict=True):
        p50, p99 = pct(level.loads, 0.5), pct(level.loads, 0.99)
        cpu_ms = 1000 * level.server_cpu_s / max(1, len(level.loads) + len(level.logins) + len(level.burst))
        print(f"{level.clients:7d} | {len(level.loads):5d} | {len(level.errors):6d} | {p50:5.2f} | {p99:5.2f} | "
              f"{p50 / pct(base.loads, 0.5):5.1f}x, {p99 / pct(base.loads, 0.99):5.1f}x | "
              f"{median(level.logins):.2f} / {max(level.logins, default=float('nan')):.2f} | "
              f"{median(level.burst):.2f} / {max(level.burst, default=float('nan')):.2f}, {level.burst_cpu_s:.2f} | "
              f"{cpu_ms:.0f} | "
              f"{level.server_cpu_s / level.seconds:.2f}, {level.client_cpu_s / level.seconds:.2f} | "
              f"{before:.2f} -> {after:.2f}")
        for error in sorted(set(level.errors))[:3]:
            print(f"        error: {error}")
    for level in levels:
        for name, times in sorted(level.by_page.items()):
            print(f"   {level.clients:4d} clients, {name:11s}: {len(times):3d} loads, p50 {pct(times, 0.5):5.2f} s, "
                  f"p99 {pct(times, 0.99):5.2f} s")
    twenty = next((lv for lv in levels if lv.clients == 20), None)
    fifty = next((lv for lv in levels if lv.clients == 50), None)
    logins = [x for lv in levels for x in lv.logins]
    if twenty:
        met = pct(twenty.loads, 0.99) < GOAL_P99_S and not twenty.errors
        what = "every page" if twenty.by_page else "the Overview"
        print(f"goal 20 clients p99 < {GOAL_P99_S:.0f} s ({what}): {'met' if met else 'NOT met'}")
    if fifty:
        print(f"goal 50 clients without errors: {'met' if not fifty.errors else 'NOT met'}")
    print(f"goal sign-in < {GOAL_LOGIN_S:.0f} s throughout: "
          f"{'met' if logins and max(logins) < GOAL_LOGIN_S else 'NOT met'}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=40.0, help="duration of each level")
    parser.add_argument("--days", type=float, default=30.0, help="days of history in the store")
    parser.add_argument("--server", choices=("waitress", "dashboard", "gunicorn"), default="waitress")
    parser.add_argument("--port", type=int, default=18515)
    parser.add_argument("--pages", action="store_true", help="every page in turn, not only the Overview")
    parser.add_argument("--levels", default=None, help="client counts, e.g. 1,20 (default 1,20,50; --pages 1,20)")
    parser.add_argument("--hash", choices=("argon2id", "scrypt-n14"), default="argon2id")
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)  # the server subprocess
    args = parser.parse_args()
    if args.hash != "argon2id" and args.server != "waitress":
        parser.error("--hash scrypt-n14 needs --server waitress (the bench's own server process)")
    if args.serve:
        if args.hash == "scrypt-n14":
            use_old_hash()
        serve_gunicorn(args.port) if args.server == "gunicorn" else serve_waitress(args.serve, args.port)
        return 0
    counts = [int(n) for n in args.levels.split(",")] if args.levels else ([1, 20] if args.pages else list(LEVELS))
    from bench.console_pages import pages

    warm_s = TICK_S * len(pages()) + 1 if args.pages else 10.0
    store = build_store(args.days)
    with tempfile.TemporaryDirectory(prefix="zc-bench-console-") as tmp:
        data_dir = Path(tmp)
        (data_dir / "zerocarbon.duckdb").symlink_to(store)
        proc = start_server(args.server, data_dir, args.port, args.hash)
        url = f"http://127.0.0.1:{args.port}"
        try:
            # warm-up: the first computations, not measured (with --pages, one client opens every page)
            asyncio.run(run_level(url, 1, warm_s, args.pages))
            levels, loads = [], []
            for clients in counts:
                before, cpu = os.getloadavg()[0], process_cpu_s(proc.pid)
                mine, started = time.process_time(), time.monotonic()
                levels.append(asyncio.run(run_level(url, clients, args.seconds, args.pages, proc.pid)))
                levels[-1].server_cpu_s = process_cpu_s(proc.pid) - cpu
                levels[-1].client_cpu_s = time.process_time() - mine
                levels[-1].seconds = time.monotonic() - started
                loads.append((before, os.getloadavg()[0]))
        finally:
            proc.terminate()
            proc.wait(30)
    what = "every page" if args.pages else "Overview"
    print(f"console load ({what}), {args.server}, {args.hash}, store {store.name} "
          f"({args.days:.0f} days), {args.seconds:.0f} s per level, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    report(levels, loads)
    return 0


if __name__ == "__main__":
    sys.exit(main())
