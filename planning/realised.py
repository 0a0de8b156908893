"""What the storage realised in a reporting period, as the carbon report counts it under 降碳需 (demand reduction):
yuan and tCO2e saved against the same period without the storage (:func:`planning.cost.storage_saving`), with
the tariff's placeholders named. One function for ``zerocarbon report`` and the console (``dashboard.report_bridge``),
so a report from either says the same.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

import pandas as pd

from models.errors import ZeroCarbonError
from models.site import Site
from planning.cost import STORAGE_ROLES, saving_section
from planning.tariffs import load_tariffs
from storage.base import Store


class ReportPeriod(Protocol):
    def local_bounds(self, timezone: str) -> tuple[pd.Timestamp, pd.Timestamp]: ...


class GridFactors(Protocol):
    def series(self, kind: str, region: str, index: pd.DatetimeIndex) -> tuple[pd.Series, Any]: ...


def storage_dispatch_section(store: Store, site: Site, period: ReportPeriod, factors: GridFactors, region: str,
                             tariff_file: Path) -> dict[str, Any]:
    """The report's ``strategies.demand_reduction.storage_dispatch``; when it cannot be computed (no tariff file,
    a date without a price) the section says why instead of stopping the carbon report."""
    from storage.energy import energy_by_role

    tz = site.info.timezone
    try:
        tariff = load_tariffs(tariff_file)
        t0, t1 = period.local_bounds(tz)
        energy = energy_by_role(store, site, t0.tz_convert("UTC"), t1.tz_convert("UTC"), "15min", STORAGE_ROLES)
        index = pd.DatetimeIndex(sorted(energy["start"].unique())).tz_convert(tz)
        factor = factors.series("electricity_location", region, index)[0]
        return saving_section(energy, tariff, tz, t0.date(), t1.date(), factor.tz_convert("UTC"))
    except (ZeroCarbonError, ValueError) as exc:
        return {"saved_yuan": None, "saved_tco2e": None, "status": f"not computed: {exc}"}
