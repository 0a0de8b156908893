"""Shared carbon fixtures: the shipped factor table, a small test config and a hand-made two-year site."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from carbon.config import CarbonConfig
from carbon.factors import FactorTable, load_factors
from tests.carbon.synthetic import hourly_site

ROOT = Path(__file__).resolve().parents[2]

CONFIG = {
    "area": {"area_m2": 5000, "basis": "gross_floor_area"},
    "factors": {"location_region": "CN-South", "residual_region": "CN"},
    "budget_tco2e": {2026: 1200},
    "targets": {"eui_kwh_per_m2_a": 90},
    "baseline": {"start": "2025-01-01", "end": "2026-01-01", "form": "cdd_visitors", "cdd_base_c": 18},
    "fuels": [{"id": "genset-test", "fuel": "diesel", "date": "2026-10-15", "quantity": 100}],
    "instruments": [
        {"kind": "gec", "id": "gec-a", "serial_from": "GEC-0001", "serial_to": "GEC-0012", "quantity": 12,
         "vintage_start": "2026-01-01", "vintage_end": "2026-01-31", "status": "retired",
         "claim_start": "2026-10-01", "claim_end": "2026-11-01", "retired_on": "2026-11-05",
         "project": "=HYPERLINK(\"http://evil\")"},
        {"kind": "ccer", "id": "ccer-a", "serial_from": "CCER-1", "serial_to": "CCER-5", "quantity": 5,
         "vintage_start": "2024-01-01", "vintage_end": "2024-12-31", "status": "retired",
         "retired_on": "2026-10-20", "project": "mangroves 红树林"},
    ],
}


@pytest.fixture(scope="session")
def factors() -> FactorTable:
    return load_factors(ROOT / "config" / "emission_factors.yaml")


@pytest.fixture(scope="session")
def config() -> CarbonConfig:
    return CarbonConfig.model_validate(CONFIG).model_copy(update={"sha256": "c0ffee"})


@pytest.fixture(scope="session")
def inputs():  # type: ignore[no-untyped-def]
    # 10 % chiller saving from 2026: the baseline (2025) should see it as avoided energy
    return hourly_site(date(2025, 1, 1), date(2027, 1, 1), saving_from=date(2026, 1, 1), saving=0.10)
