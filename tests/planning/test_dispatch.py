"""The dispatch LP (HiGHS): arbitrage, demand peak, carbon price, SOC limits; and the simulator following a plan."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from planning.dispatch import STEP_H, Battery, Prices, plan_storage
from planning.tariffs import load_tariffs
from simulators.physics import site_frame

ROOT = Path(__file__).resolve().parents[2]
TARIFF = load_tariffs(ROOT / "config" / "tariffs.yaml")
DAY = pd.date_range("2026-11-03", periods=96, freq="15min", tz="Asia/Shanghai")
PRICE = TARIFF.prices(DAY)["price_yuan_per_kwh"].to_numpy()
UNIT = Battery("storage-1", power_kw=100.0, capacity_kwh=200.0)


def _prices(**kw) -> Prices:  # type: ignore[no-untyped-def]
    return Prices(kw.pop("price", PRICE), kw.pop("factor", np.full(96, 0.4)), throughput_yuan_per_kwh=0.0, **kw)


def test_two_cycles_a_day_valley_and_midday_flat_to_the_peaks_by_hand():
    # November: valley 0.247 (00-08), flat 0.65 (08-10, 12-14, 19-24), peak 1.105 (10-12, 14-19). Filling at
    # flat and emptying at peak still pays (0.65 / 0.95² = 0.72 < 1.105), so the unit cycles twice.
    plan = plan_storage(DAY, np.full(96, 1000.0), [UNIT], _prices())
    kw, soc = plan.frame["storage_kw/storage-1"], plan.frame["soc/storage-1"]
    usable = (0.95 - 0.10) * 200.0  # 170 kWh between reserve and full
    hours = DAY.hour
    valley, midday = kw[hours < 8], kw[(hours >= 12) & (hours < 14)]
    assert -valley.sum() * STEP_H == pytest.approx(usable / 0.95)  # grid kWh to fill 170 kWh at 95 %
    assert -midday.sum() * STEP_H == pytest.approx(usable / 0.95)
    assert kw[(hours >= 10) & (hours < 12)].sum() * STEP_H == pytest.approx(usable * 0.95)
    assert kw[(hours >= 14) & (hours < 19)].sum() * STEP_H == pytest.approx(usable * 0.95)
    assert soc.max() == pytest.approx(0.95) and soc.iloc[-1] == pytest.approx(0.10)
    saved = 2 * usable * 0.95 * 1.105 - usable / 0.95 * (0.247 + 0.65)
    assert plan.objective_yuan == pytest.approx(1000.0 * STEP_H * PRICE.sum() - saved)
    np.testing.assert_allclose(plan.frame["grid_kw"] + kw, 1000.0, atol=1e-6)  # power balance


def test_a_demand_charge_shaves_the_peak_by_the_units_power():
    net = np.full(96, 1000.0)
    net[60:64] = 1500.0  # 15:00-16:00 spike
    plan = plan_storage(DAY, net, [UNIT], _prices(demand_yuan_per_kw=32.0))
    assert plan.peak_kw == pytest.approx(1400.0)  # 1500 - 100 kW of discharge
    assert plan.frame["grid_kw"].max() == pytest.approx(1400.0)


def test_a_month_peak_already_paid_is_not_shaved_again():
    net = np.full(96, 1000.0)
    net[60:64] = 1500.0
    plan = plan_storage(DAY, net, [UNIT], _prices(demand_yuan_per_kw=32.0, month_peak_kw=2000.0))
    assert plan.peak_kw == pytest.approx(2000.0)  # the bound, not a new peak


def test_the_carbon_price_moves_energy_to_cleaner_hours_when_tariff_is_flat():
    factor = np.where(DAY.hour < 12, 0.2, 0.8)  # clean mornings
    flat = np.full(96, 0.65)
    none = plan_storage(DAY, np.full(96, 1000.0), [UNIT], _prices(price=flat, factor=factor))
    priced = plan_storage(DAY, np.full(96, 1000.0), [UNIT], _prices(price=flat, factor=factor, carbon_yuan_per_t=500.0))
    assert np.abs(none.frame["storage_kw/storage-1"]).max() < 1e-6  # losses make cycling a loss without a reason
    kw = priced.frame["storage_kw/storage-1"]
    assert kw[DAY.hour < 12].min() < -1.0 and kw[DAY.hour >= 12].max() > 1.0


def test_with_a_flat_factor_the_carbon_price_trades_losses_against_arbitrage():
    # Valley 0.247 -> peak 1.105 yuan/kWh: a kWh bought at night returns 0.95² kWh at the peak, worth
    # 1.105 × 0.9025 − 0.247 = 0.750 yuan; its 0.0975 kWh of losses emit 0.0975 × 0.4 = 0.039 kg. Under a flat
    # grid factor cycling always adds emissions, so the carbon price decides: it pays below 0.750 / 0.039e-3 =
    # 19,231 yuan/t and stops above it (the flat-to-peak cycle stops sooner: (1.105 × 0.9025 − 0.65) / 0.039e-3).
    night = DAY.hour < 8
    cheap = plan_storage(DAY, np.full(96, 1000.0), [UNIT], _prices(carbon_yuan_per_t=97.49))
    dear = plan_storage(DAY, np.full(96, 1000.0), [UNIT], _prices(carbon_yuan_per_t=19_500.0))
    charged = {name: -p.frame["storage_kw/storage-1"].clip(upper=0)[night].sum() * STEP_H
               for name, p in (("cheap", cheap), ("dear", dear))}
    assert charged["cheap"] == pytest.approx(170.0 / 0.95)  # fills from the valley at the shipped price
    assert charged["dear"] == pytest.approx(0.0, abs=1e-6)  # above the break-even the unit stays idle at night
    assert dear.frame["storage_kw/storage-1"].abs().max() < 1e-6


def test_without_grid_charging_the_unit_charges_only_from_surplus():
    net = np.full(96, 1000.0)
    net[44:48] = -80.0  # 11:00-12:00 PV surplus
    plan = plan_storage(DAY, net, [UNIT], _prices(), grid_charging=False)
    kw = plan.frame["storage_kw/storage-1"]
    assert kw[net > 0].min() >= -1e-6 and kw[44:48].min() == pytest.approx(-80.0)


def test_the_simulator_follows_a_plan_within_its_limits(site):  # type: ignore[no-untyped-def]
    index = pd.date_range("2026-11-03", periods=24 * 60, freq="1min", tz="Asia/Shanghai")
    unit = site.energy_systems.storage[0]
    plan = pd.DataFrame({f"storage_kw/{unit.device}": np.where(index.hour < 4, -unit.power_kw * 2, 0.0)},
                        index=index)
    plan.loc[index.hour >= 18, f"storage_kw/{unit.device}"] = unit.power_kw
    truth = site_frame(site, index, seed=1, plan=plan)
    kw, soc = truth[f"storage_kw/{unit.device}"], truth[f"soc/{unit.device}"]
    assert kw.min() == pytest.approx(-unit.power_kw)  # asked for twice the rating
    assert soc.max() == pytest.approx(0.95)  # stops at full
    assert soc.iloc[-1] == pytest.approx(0.10)  # discharged down to the reserve and no further
    assert kw[(index.hour >= 4) & (index.hour < 18)].abs().max() == 0.0
    other = site.energy_systems.storage[1].device  # no column in the plan: keeps the rule
    rule = site_frame(site, index, seed=1)
    np.testing.assert_allclose(truth[f"storage_kw/{other}"], rule[f"storage_kw/{other}"])
