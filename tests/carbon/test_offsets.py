"""碳抵消: energy balance, self-consumption, self-sufficiency, renewable share, avoided emissions."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from carbon.offsets import (
    avoided_emissions_kg,
    building_load_kwh,
    building_load_total_kwh,
    energy_balance,
    renewable_share,
    self_consumption_ratio,
    self_sufficiency_ratio,
)
from models.errors import EnergyBalanceError


def test_pv_and_wind_with_battery_charged_from_generation():
    # G = 800 PV + 200 wind = 1000; X = 100; C = 150 (all from generation since G - X = 900 >= 150); D = 120
    b = energy_balance(import_kwh=2000, export_kwh=100, pv_kwh=800, wind_kwh=200, charge_kwh=150, discharge_kwh=120)
    # L = I + G - X - C + D = 2000 + 1000 - 100 - 150 + 120 = 2870
    assert b.load_kwh == pytest.approx(2870)
    # M = G - X - C + D = 1000 - 100 - 150 + 120 = 870 (= L - I)
    assert b.self_consumed_kwh == pytest.approx(870)
    assert b.storage_losses_kwh == pytest.approx(30)  # 150 - 120
    assert self_consumption_ratio(b) == pytest.approx(0.87)  # 870 / 1000
    assert self_sufficiency_ratio(b) == pytest.approx(870 / 2870)  # 0.30313...


def test_battery_charged_partly_from_grid_counts_only_renewable_discharge():
    # G = 100, X = 0, C = 300 -> 100 from PV, 200 from grid; D = 240 -> renewable part 240 × 100/300 = 80
    b = energy_balance(import_kwh=1000, export_kwh=0, pv_kwh=100, charge_kwh=300, discharge_kwh=240)
    assert b.grid_charge_kwh == pytest.approx(200)
    # M = G - X - C_re + D_re = 100 - 0 - 100 + 80 = 80
    assert b.self_consumed_kwh == pytest.approx(80)
    assert b.load_kwh == pytest.approx(1040)  # 1000 + 100 - 0 - 300 + 240


def test_no_pv_gives_undefined_self_consumption_and_zero_self_sufficiency():
    b = energy_balance(import_kwh=5000, export_kwh=0, pv_kwh=0)
    assert self_consumption_ratio(b) is None
    assert self_sufficiency_ratio(b) == 0.0
    assert avoided_emissions_kg(b.generation_kwh, 0.4042) == 0.0


def test_export_greater_than_generation_is_rejected_with_the_numbers():
    with pytest.raises(EnergyBalanceError, match="export 600 kWh exceeds on-site generation 500 kWh"):
        energy_balance(import_kwh=100, export_kwh=600, pv_kwh=500)


def test_negative_meter_energy_is_rejected():
    with pytest.raises(EnergyBalanceError, match="negative energy in import_kwh"):
        energy_balance(import_kwh=-1, export_kwh=0, pv_kwh=0)


def test_no_load_gives_undefined_self_sufficiency():
    b = energy_balance(import_kwh=0, export_kwh=50, pv_kwh=50)
    assert b.load_kwh == 0
    assert self_sufficiency_ratio(b) is None
    assert self_consumption_ratio(b) == 0.0  # M = 50 - 50 = 0, / G = 50


def test_renewable_share_caps_certificates_at_load_and_reports_surplus():
    b = energy_balance(import_kwh=900, export_kwh=0, pv_kwh=100)  # L = 1000, M = 100
    share = renewable_share(b, instrument_kwh=1200)
    assert share["on_site_share"] == pytest.approx(0.1)  # 100 / 1000
    assert share["total_share"] == 1.0  # (100 + 1200) / 1000 capped
    assert share["instrument_surplus_kwh"] == pytest.approx(300)  # 100 + 1200 - 1000


def test_avoided_emissions_are_generation_times_grid_factor():
    assert avoided_emissions_kg(1000, 0.4042) == pytest.approx(404.2)  # 1000 kWh × 0.4042 kg/kWh


def test_building_load_per_row_with_absent_roles_as_zero_and_nan_kept():
    flows = pd.DataFrame({
        "grid_import": [100.0, 2000.0, np.nan],
        "pv": [30.0, 800.0, 10.0],
        "grid_export": [5.0, 100.0, 0.0],
        "battery_charge": [20.0, 150.0, 0.0],
        "battery_discharge": [10.0, 120.0, 0.0],
        "ev_charging": [999.0, 999.0, 999.0],  # a load role: part of L, never a term of it
    })  # no wind column: a site without turbines
    load = building_load_kwh(flows)
    assert load.iloc[0] == pytest.approx(115.0)  # 100 + 30 - 5 - 20 + 10
    assert load.iloc[1] == pytest.approx(2670.0)  # 2000 + 800 - 100 - 150 + 120
    assert np.isnan(load.iloc[2])  # an unknown import is not a zero import
    with_wind = building_load_kwh(flows.assign(wind=[0.0, 200.0, 0.0]))
    assert with_wind.iloc[1] == pytest.approx(2870.0)  # the energy_balance example above: 2000 + 1000 - 100 - 150 + 120
    # one period's totals give the same number by the same terms
    assert building_load_total_kwh(flows.iloc[1].to_dict()) == pytest.approx(load.iloc[1])
    assert building_load_total_kwh({"grid_import": 100.0, "battery_discharge": 10.0}) == pytest.approx(110.0)


def test_the_load_balance_is_written_only_in_carbon_offsets():
    """I + G - X - C + D has one home: arithmetic on import, charge and discharge elsewhere is a second copy
    (gross supply I + G + D, which subtracts nothing, is another quantity)."""
    root = Path(__file__).resolve().parents[2]
    copies = []
    for package in ("carbon", "dashboard", "alerts", "storage", "zerocarbon"):
        for path in sorted((root / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.BinOp):
                    names = {n.value if isinstance(n, ast.Constant) else getattr(n, "attr", getattr(n, "id", ""))
                             for n in ast.walk(node) if isinstance(n, ast.Constant | ast.Attribute | ast.Name)}
                    if ({"grid_import", "battery_charge", "battery_discharge"} <= names
                            or {"import_kwh", "charge_kwh", "discharge_kwh"} <= names):
                        copies.append(f"{path.relative_to(root)}:{node.lineno}")
    assert copies == []
