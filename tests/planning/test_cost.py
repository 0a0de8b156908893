"""Energy cost by tariff period, subsystem and month, with the demand charge: golden numbers by hand."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from planning.cost import cost_record, energy_cost
from planning.tariffs import load_tariffs

ROOT = Path(__file__).resolve().parents[2]
TZ = "Asia/Shanghai"
TARIFF = load_tariffs(ROOT / "config" / "tariffs.yaml")


def _frame(rows: list[tuple[str, str, str, float]], quality: str = "measured") -> pd.DataFrame:
    """(local start, role, subsystem, kWh) rows as energy_by_role returns them (start in UTC)."""
    frame = pd.DataFrame(rows, columns=["start", "role", "subsystem", "energy_kwh"])
    frame["start"] = pd.to_datetime(frame["start"]).dt.tz_localize(TZ).dt.tz_convert("UTC")
    frame["quality"] = quality
    return frame


def test_valley_and_peak_quarters_cost_by_hand():
    energy = _frame([
        ("2026-11-03 03:00", "grid_import", "power_distribution", 100.0),  # valley 0.247
        ("2026-11-03 03:00", "consumption", "lighting", 30.0),
        ("2026-11-03 03:00", "consumption", "chiller_plant", 70.0),
        ("2026-11-03 15:00", "grid_import", "power_distribution", 200.0),  # peak 1.105
        ("2026-11-03 15:00", "consumption", "lighting", 100.0),
        ("2026-11-03 15:00", "consumption", "chiller_plant", 300.0),  # PV covered half the load
    ])
    cost = energy_cost(energy, TARIFF, TZ)
    by_period = cost.by_period.set_index("period")["energy_yuan"]
    assert by_period["valley"] == pytest.approx(100 * 0.247)  # 24.70
    assert by_period["peak"] == pytest.approx(200 * 1.105)  # 221.00
    assert cost.energy_yuan == pytest.approx(245.70)
    # demand: 200 kWh in a quarter hour = 800 kW, × 32 yuan/kW·month
    assert cost.by_month["peak_kw"].iloc[0] == pytest.approx(800.0)
    assert cost.demand_yuan == pytest.approx(25_600.0)
    subs = cost.by_subsystem.set_index("subsystem")
    # lighting: 30 % of the valley purchase and 25 % of the peak purchase
    assert subs.loc["lighting", "energy_yuan"] == pytest.approx(0.3 * 24.70 + 0.25 * 221.0)  # 62.66
    assert subs.loc["chiller_plant", "purchased_kwh"] == pytest.approx(70.0 + 150.0)
    assert subs["energy_yuan"].sum() == pytest.approx(cost.energy_yuan)  # shares add up to the bill


def test_each_month_pays_its_own_demand_peak():
    energy = _frame([
        ("2026-10-31 23:45", "grid_import", "power_distribution", 250.0),  # flat, 1000 kW in October
        ("2026-11-01 00:00", "grid_import", "power_distribution", 50.0),  # valley, 200 kW in November
    ])
    cost = energy_cost(energy, TARIFF, TZ)
    months = cost.by_month.set_index("month")
    assert months.loc["2026-10", "demand_yuan"] == pytest.approx(1000 * 32)
    assert months.loc["2026-11", "demand_yuan"] == pytest.approx(200 * 32)
    assert cost.total_yuan == pytest.approx(250 * 0.65 + 50 * 0.247 + 1200 * 32)


def test_gaps_are_carried_in_the_record_with_the_tariff_entries_used():
    energy = pd.concat([
        _frame([("2026-11-03 03:00", "grid_import", "power_distribution", 10.0)]),
        _frame([("2026-11-03 03:15", "grid_import", "power_distribution", 0.0)], quality="gap"),
    ])
    record = cost_record(energy_cost(energy, TARIFF, TZ), TARIFF, "2026-11")
    assert record["coverage"] == {"intervals": 2, "measured": 0.5, "estimated": 0.0, "gap": 0.5, "complete": False}
    assert {e["id"] for e in record["tariff"]["entries"]} == {"gd-ci-tou-2021", "zhuhai-ci-10kv-2026",
                                                              "gd-two-part-demand-2023"}
    assert record["energy_yuan"] == pytest.approx(2.47)


def test_storage_saving_prices_the_bill_without_the_battery():
    from planning.cost import storage_saving

    energy = _frame([
        ("2026-11-03 03:00", "grid_import", "power_distribution", 150.0),  # valley: 100 load + 50 charge
        ("2026-11-03 03:00", "battery_charge", "power_distribution", 50.0),
        ("2026-11-03 15:00", "grid_import", "power_distribution", 155.0),  # peak: 200 load - 45 discharge
        ("2026-11-03 15:00", "battery_discharge", "power_distribution", 45.0),
    ])
    factor = pd.Series(0.4, index=pd.DatetimeIndex(energy["start"].unique()))
    saved = storage_saving(energy, TARIFF, TZ, factor)
    # without: 100 kWh valley + 200 kWh peak; with: 150 valley + 155 peak
    assert saved["saved_energy_yuan"] == pytest.approx((100 - 150) * 0.247 + (200 - 155) * 1.105, abs=0.01)  # 37.375
    assert saved["saved_demand_yuan"] == pytest.approx((200 - 155) / 0.25 * 32)  # 180 kW lower peak: 5,760
    assert saved["saved_tco2e"] == pytest.approx(((100 - 150) + (200 - 155)) * 0.4 / 1000)  # losses: -0.002
    assert saved["charged_kwh"] == 50.0 and saved["discharged_kwh"] == 45.0
