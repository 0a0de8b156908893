"""Emission factors and carbon config: file:line errors, selection by date and region, monthly/hourly values."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from carbon.config import load_carbon_config
from carbon.factors import load_factors
from models.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]

ONE = """\
version: t1
factors:
  - id: south-a
    kind: electricity_location
    region: CN-South
    value: 0.40
    unit: kgCO2/kWh
    data_year: 2023
    document: doc
    source: src
    status: secondary
    valid_from: 2026-01-01
    valid_to: 2027-01-01
"""


def test_shipped_files_load_and_cover_baseline_and_report_years():
    table = load_factors(ROOT / "config" / "emission_factors.yaml")
    assert table.select("electricity_location", "CN-South", date(2025, 6, 1)).value == 0.3869
    assert table.select("electricity_location", "CN-South", date(2026, 10, 1)).value == 0.4042
    assert table.select("electricity_residual", "CN", date(2026, 10, 1)).value == 0.6096
    assert table.fuel("diesel", date(2026, 3, 15)).value == 74100
    assert len(table.sha256) == 64
    config = load_carbon_config(ROOT / "config" / "carbon.yaml")
    assert config.area.area_m2 == 202600


def test_a_typo_is_reported_with_file_line_and_suggestion(tmp_path: Path):
    path = tmp_path / "f.yaml"
    path.write_text(ONE.replace("    status:", "    statu:"))
    with pytest.raises(ConfigError) as err:
        load_factors(path)
    text = str(err.value)
    assert f"{path}:11 factors[0].statu: unknown key (did you mean 'status'?)" in text


def test_overlapping_validity_is_rejected(tmp_path: Path):
    second = ONE.split("factors:\n")[1].replace("south-a", "south-b").replace("2026-01-01", "2026-06-01")
    path = tmp_path / "f.yaml"
    path.write_text(ONE + second)
    with pytest.raises(ConfigError, match=r"f.yaml:23 factors\[1\].valid_from: validity overlaps factor 'south-a'"):
        load_factors(path)


def test_no_factor_for_a_date_names_the_gap_and_the_fix(tmp_path: Path):
    path = tmp_path / "f.yaml"
    path.write_text(ONE)
    with pytest.raises(ConfigError, match="no factor valid on 2025-12-31.*add one with a validity covering it"):
        load_factors(path).select("electricity_location", "CN-South", date(2025, 12, 31))


def test_monthly_and_hourly_values_replace_the_annual_value(tmp_path: Path):
    path = tmp_path / "f.yaml"
    hourly = ", ".join(["0.5"] * 12 + ["0.3"] * 12)
    path.write_text(ONE + "    monthly: {7: 0.35}\n")
    idx = pd.DatetimeIndex(["2026-06-30 12:00", "2026-07-01 12:00"]).tz_localize("Asia/Shanghai")
    values, used = load_factors(path).series("electricity_location", "CN-South", idx)
    assert list(values) == [0.40, 0.35] and [f.id for f in used] == ["south-a"]
    path.write_text(ONE + f"    hourly: [{hourly}]\n")
    idx = pd.DatetimeIndex(["2026-07-01 11:00", "2026-07-01 12:00"]).tz_localize("Asia/Shanghai")
    values, _ = load_factors(path).series("electricity_location", "CN-South", idx)
    assert list(values) == [0.5, 0.3]  # hours 0-11 take 0.5, 12-23 take 0.3


def test_retired_gec_without_claim_period_is_a_config_error(tmp_path: Path):
    path = tmp_path / "c.yaml"
    path.write_text("area: {area_m2: 100}\ninstruments:\n  - {kind: gec, id: g, serial_from: a, serial_to: b, "
                    "quantity: 1, vintage_start: 2026-01-01, vintage_end: 2026-01-31, status: retired}\n")
    with pytest.raises(ConfigError, match=r"c.yaml:3 instruments\[0\]: a retired GEC"):
        load_carbon_config(path)
