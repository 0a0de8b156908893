"""Tariffs as data: Guangdong time-of-use periods, critical peak, dated prices, file:line errors."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from models.errors import ConfigError
from planning.tariffs import load_tariffs

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "config" / "tariffs.yaml"
TZ = "Asia/Shanghai"


def _hours(day: str) -> pd.DataFrame:
    return load_tariffs(SHIPPED).prices(pd.date_range(day, periods=24, freq="1h", tz=TZ))


def test_guangdong_periods_cover_the_day_as_the_2021_notice_sets_them():
    periods = _hours("2026-11-03")["period"].tolist()
    assert periods[0:8] == ["valley"] * 8  # 00-08
    assert periods[8:10] == ["flat"] * 2  # 08-10
    assert periods[10:12] == ["peak"] * 2  # 10-12
    assert periods[12:14] == ["flat"] * 2  # 12-14
    assert periods[14:19] == ["peak"] * 5  # 14-19
    assert periods[19:24] == ["flat"] * 5  # 19-24


def test_prices_follow_the_ratios_to_the_flat_price():
    prices = _hours("2026-11-03").set_index("period")["price_yuan_per_kwh"].groupby(level=0).first()
    assert prices["flat"] == pytest.approx(0.65)
    assert prices["peak"] == pytest.approx(0.65 * 1.7)  # 1.105
    assert prices["valley"] == pytest.approx(0.65 * 0.38)  # 0.247


def test_critical_peak_applies_in_july_to_september_and_on_declared_hot_days(tmp_path: Path):
    august = _hours("2026-08-03")
    assert august["period"].iloc[11] == "critical_peak" and august["period"].iloc[10] == "peak"
    assert august["period"].iloc[15:17].tolist() == ["critical_peak"] * 2
    assert august["price_yuan_per_kwh"].iloc[11] == pytest.approx(0.65 * 1.7 * 1.25)  # 1.38125
    assert "critical_peak" not in set(_hours("2026-06-03")["period"])
    hot = tmp_path / "t.yaml"
    hot.write_text(SHIPPED.read_text().replace("extra_days: []", "extra_days: [2026-06-03]"))
    june = load_tariffs(hot).prices(pd.date_range("2026-06-03", periods=24, freq="1h", tz=TZ))
    assert june["period"].iloc[11] == "critical_peak"


def test_shipped_demand_charge_and_statuses_are_recorded():
    table = load_tariffs(SHIPPED)
    assert table.demand_rate(date(2026, 11, 1)) == 32.0
    used = table.entries_used(date(2026, 11, 1), date(2026, 12, 1))
    assert {e.status for e in used} == {"secondary", "unconfirmed"}  # nothing claims to be official


def test_a_gap_in_the_periods_is_reported_with_file_line(tmp_path: Path):
    bad = tmp_path / "t.yaml"
    bad.write_text(SHIPPED.read_text().replace('["12:00", "14:00"], ', ""))
    with pytest.raises(ConfigError) as err:
        load_tariffs(bad)
    assert f"{bad}:22 schedules[0].periods: no period at 12:00" in str(err.value)


def test_a_typo_and_a_bad_clock_time_are_reported_together(tmp_path: Path):
    bad = tmp_path / "t.yaml"
    bad.write_text(SHIPPED.read_text().replace("yuan_per_kw_month:", "yuan_per_kw_mnth:")
                   .replace('["00:00", "08:00"]', '["00:00", "8:00"]'))
    with pytest.raises(ConfigError) as err:
        load_tariffs(bad)
    text = str(err.value)
    assert "unknown key (did you mean 'yuan_per_kw_month'?)" in text
    assert "clock times are HH:MM" in text


def test_a_date_without_a_price_names_the_list_and_the_fix():
    table = load_tariffs(SHIPPED)
    with pytest.raises(ConfigError, match=r"energy_prices: no entry valid on 2029-01-01; add one"):
        table.prices(pd.date_range("2029-01-01", periods=2, freq="1h", tz=TZ))


def test_overlapping_prices_are_rejected(tmp_path: Path):
    text = SHIPPED.read_text()
    block = text[text.index("  - id: zhuhai-ci-10kv-2026"):text.index("\ndemand_charges:") + 1]
    bad = tmp_path / "t.yaml"
    bad.write_text(text.replace(block, block + block.replace("zhuhai-ci-10kv-2026", "second")))
    with pytest.raises(ConfigError, match=r"energy_prices\[1\].valid_from: validity overlaps 'zhuhai-ci-10kv-2026'"):
        load_tariffs(bad)
