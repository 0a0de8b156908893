"""The facility manager's and auditor's views in real headless Chromium, both languages: EV charging, the
Overview's additions, subsystems, comparisons and downloads. Numbers on screen are checked against the
functions below the console (storage, carbon), screenshots go to tests/artifacts/ and were looked at."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.dashboard.conftest import RunningConsole
from tests.dashboard.test_browser import browser, sign_in  # noqa: F401  (one Chromium per module)

pytestmark = pytest.mark.browser


def test_ev_view_shows_chargers_energy_sessions_and_renewable_share(
    browser, running_console: RunningConsole, artifacts_dir: Path  # type: ignore[no-untyped-def]  # noqa: F811
) -> None:
    from dashboard.pages.ev import renewable_ev, sessions_started
    from dashboard.periods import energy_interval_for
    from dashboard.sources import energy_frame, latest_values

    c = running_console.console
    start, end = c.local_midnight(), c.now()  # type: ignore[attr-defined]
    by = energy_interval_for(end - start)  # the page's intervals (15 min for a day): the share is per interval
    per_interval, _ = renewable_ev(energy_frame(c, start, end, by=by))  # type: ignore[arg-type]
    in_use = latest_values(c, [p for p in c.points if p.id == "ev-platform.chargers_active"])  # type: ignore[attr-defined]
    assert per_interval["ev_kwh"].sum() > 1000  # a working day's sessions charged something
    expected = {
        "#ev-energy-kwh": f"{per_interval['ev_kwh'].sum():,.0f}",
        "#ev-chargers-in-use": f"{in_use['ev-platform.chargers_active']:,.0f}",
        "#ev-sessions": f"{sessions_started(c, {'sessions': 'ev-platform.sessions'}, (start, end)):,.0f}",  # type: ignore[arg-type]
        "#ev-renewable-share": f"{per_interval['renewable_kwh'].sum() / per_interval['ev_kwh'].sum() * 100:.1f}",
    }
    page = sign_in(browser, running_console, "viewer")
    page.click('#topbar a[href="/ev"]')
    page.wait_for_selector("#ev-energy .main-svg .barlayer")
    assert {k: page.inner_text(k) for k in expected} == expected
    assert int(page.inner_text("#ev-sessions").replace(",", "")) > 100
    assert "/ 611" in page.inner_text("#ev-kpis") and "/ 2,846" in page.inner_text("#ev-kpis")
    assert "本地可再生能源占比" in page.inner_text("#ev-kpis")
    page.screenshot(path=str(artifacts_dir / "ev-zh.png"), full_page=True)
    page.click("#lang-en")
    page.wait_for_selector("#ev-kpis >> text=From on-site renewables")
    today_kwh = page.inner_text("#ev-energy-kwh")
    assert page.inner_text("#ev-body .updated").startswith("Updated ")
    page.click("#ev-period >> text=7 days")
    page.wait_for_function(f"document.querySelector('#ev-energy-kwh').innerText !== '{today_kwh}'")
    assert float(page.inner_text("#ev-energy-kwh").replace(",", "")) > float(today_kwh.replace(",", ""))
    page.screenshot(path=str(artifacts_dir / "ev-en.png"), full_page=True)
    page.click("#lang-zh")
