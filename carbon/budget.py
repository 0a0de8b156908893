"""This month's carbon budget use: location-based Scope 2 emissions so far against the year's budget, pro rata.

Fed to the alarm engine as the derived point ``carbon.month_budget_used_pct`` (zerocarbon/alarm_wiring.py).
"""

from __future__ import annotations

import calendar

import pandas as pd

from carbon.files import CarbonFiles
from carbon.inputs import load_inputs
from carbon.ledger import month_ledger
from models.site import Site
from storage.base import Store


def month_budget_used_pct(store: Store, site: Site, now: float, carbon: CarbonFiles) -> float | None:
    """This month's location-based Scope 2 emissions so far, as a percentage of the year's carbon budget
    pro-rated to the time elapsed this month: ``100 x kgCO2e / (budget_t x 1000 x elapsed / year)``.
    None when ``carbon.yaml`` sets no budget for this year."""
    config = carbon.config
    local = pd.Timestamp(now, unit="s", tz="UTC").tz_convert(site.info.timezone)
    budget_t = config.budget_tco2e.get(local.year)
    if not budget_t:
        return None
    month_start = local.normalize().replace(day=1)
    inputs = load_inputs(store, site, month_start.date(), (local.normalize() + pd.Timedelta(days=1)).date())
    ledger = month_ledger(inputs.energy, month_start, local, carbon.factors, config)
    year_s = (366 if calendar.isleap(local.year) else 365) * 86400.0
    prorata_kg = budget_t * 1000.0 * (local - month_start).total_seconds() / year_s
    return 100.0 * ledger.location_kg / prorata_kg if prorata_kg > 0 else None
