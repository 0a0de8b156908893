"""降碳需's storage rows on the console, in a real headless Chromium: what the storage saved under the tariff
(yuan, tCO2e) on the Carbon page in 中文 and English, and in the report downloaded from the Reports page, equal to
``planning.cost.storage_saving`` on the same store; the placeholder tariff prices are named beside the yuan."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from tests.dashboard.conftest import RunningConsole, choose

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[2]


def _expected(console, period) -> dict:  # type: ignore[no-untyped-def,type-arg]
    """The saving computed straight from the store, the tariff file and the factor table."""
    from dashboard.report_bridge import carbon_files
    from planning.cost import storage_saving
    from planning.tariffs import load_tariffs
    from storage.energy import energy_by_role

    tz = console.site.info.timezone
    t0, t1 = period.local_bounds(tz)
    energy = energy_by_role(console.store, console.site, t0.tz_convert("UTC"), t1.tz_convert("UTC"), "15min")
    factors, config = carbon_files(console)
    index = pd.DatetimeIndex(sorted(energy["start"].unique()))
    factor = factors.series("electricity_location", config.factors.location_region, index.tz_convert(tz))[0]
    return storage_saving(energy, load_tariffs(ROOT / "config" / "tariffs.yaml"), tz, factor.tz_convert("UTC"))


def test_storage_saving_shows_on_the_carbon_page_in_both_languages(
    console_page, running_console: RunningConsole, artifacts_dir: Path  # type: ignore[no-untyped-def]
) -> None:
    from datetime import timedelta

    from carbon.period import year_to_date
    from dashboard.components import number

    console = running_console.console
    local = console.now().astimezone(console.timezone)  # type: ignore[attr-defined]
    expected = _expected(console, year_to_date(local.year, local.date() + timedelta(days=1)))
    assert expected["discharged_kwh"] > 0  # three days of simulated storage cycles: a saving to show
    page = console_page("admin", "/carbon")
    page.wait_for_selector("#carbon-storage-saved-yuan", timeout=90_000)
    assert page.inner_text("#carbon-storage-saved-yuan") == number(expected["saved_yuan"])
    assert page.inner_text("#carbon-storage-saved-co2") == number(expected["saved_tco2e"], 2)
    assert "储能本年节省电费" in page.inner_text("#carbon-page")
    assert "电价为占位值，未确认" in page.inner_text("#carbon-tariff-placeholder")
    page.screenshot(path=str(artifacts_dir / "dashboard-carbon-storage-zh.png"), full_page=True)
    page.click("#lang-en")
    page.wait_for_selector("text=Cost saved by storage this year (energy + demand)", timeout=90_000)
    placeholder = page.inner_text("#carbon-tariff-placeholder")
    assert "placeholder, not confirmed" in placeholder and "flat price 0.65 yuan/kWh" in placeholder
    assert page.inner_text("#carbon-storage-saved-yuan") == number(expected["saved_yuan"])


def test_the_report_downloaded_from_the_reports_page_counts_the_storage_saving(
    console_page, running_console: RunningConsole, tmp_path: Path  # type: ignore[no-untyped-def]
) -> None:
    from carbon.period import parse_period
    from dashboard.downloads import period_label

    console = running_console.console
    expected = _expected(console, parse_period(period_label("this_month", console.now(), console)))  # type: ignore[attr-defined]
    page = console_page("auditor", "/reports")
    choose(page, "#report-format", "CSV")
    page.wait_for_selector("#report-download[href*='format=csv']")  # (wait_for_function's eval breaks the CSP)
    with page.expect_download(timeout=120_000) as download:
        page.click("#report-download")
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    rows: dict[str, dict[str, str]] = {}
    with saved.open(encoding="utf-8") as fh:
        for line in csv.DictReader(fh):
            if line["table"] == "demand_reduction":
                rows.setdefault(line["row"], {})[line["column"]] = line["value"]
    by_label = {r["metric_en"]: r for r in rows.values()}
    yuan = by_label["Cost saved by storage (energy + demand)"]
    assert yuan["metric_zh"] == "储能节省电费(电量+需量)"
    assert float(yuan["value"]) == pytest.approx(expected["saved_yuan"], abs=0.01)
    co2 = by_label["Emissions changed by storage (+ avoided)"]
    assert float(co2["value"]) == pytest.approx(expected["saved_tco2e"], abs=1e-4)
    assert by_label["Tariff behind the storage cost rows"]["value"].startswith("placeholder, not confirmed: flat price")
