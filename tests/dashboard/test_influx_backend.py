"""The console over the InfluxDB backend (real influxd 1.6.7): every page draws and the KPIs are numbers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from flask_login import login_user

from dashboard.app import PAGES, create_app
from dashboard.auth import Role, User, UserBook
from dashboard.kpis import overview_kpis
from zerocarbon.settings import Settings


def test_every_page_draws_over_influxdb(site, influxd, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from alerts.journal import AlarmJournal
    from simulators.backfill import history_frame
    from storage.influx_store import InfluxStore

    # yesterday 14:00 in Zhuhai (06:00 UTC): three sunny hours of "today" whatever time the test runs
    now = (datetime.now(UTC) - timedelta(days=1)).replace(hour=6, minute=0, second=0, microsecond=0)
    store = InfluxStore(influxd.url, "console", timezone=site.info.timezone)
    store.write_frame(history_frame(site, now - timedelta(hours=3), now, step="5min", seed=1))
    store.update_rollups()
    users = UserBook(tmp_path / "users.json")
    users.add("admin", "admin-secret-1", Role.ADMIN)
    app = create_app(store, site, AlarmJournal(tmp_path / "alarms.sqlite"), Settings(data_dir=tmp_path),
                     users=users, clock=lambda: now, warm_up=False)
    console = app.zerocarbon_console  # type: ignore[attr-defined]
    with app.server.test_request_context("/"):
        login_user(User("admin", Role.ADMIN))
        drawn = {page.NAME: page.layout(console, "en") for page in PAGES}
        kpis = overview_kpis(console)
    assert set(drawn) == {page.NAME for page in PAGES}  # every page drew (pages are added often: no list here)
    assert {"overview", "renewables", "subsystems", "carbon", "alarms", "reports", "audit"} <= set(drawn)
    assert kpis.problem == "" and kpis.consumption_kwh and kpis.consumption_kwh > 0
    assert kpis.carbon_today_kg is not None and kpis.carbon_today_kg > 0
    assert kpis.generation_kwh > 0  # the sun was up
    store.close()
