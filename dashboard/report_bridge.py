"""The console's link to the carbon module: its config files, Scope 2 ledgers for the KPI tiles, and the
report model and files behind the Carbon and Reports pages.

Every carbon number on screen comes from :mod:`carbon.ledger` or :func:`carbon.report.build_report` on the
energy frame ``storage.energy.energy_by_role`` returns, exactly as ``zerocarbon report`` computes it.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from carbon.config import CarbonConfig
from carbon.factors import FactorTable
from carbon.ledger import ledgers
from carbon.period import Period
from dashboard.context import Console

PAST_CACHE_S = 600.0  # year-to-date before today changes only by late data: recompute every 10 minutes
_past_cache: dict[tuple[int, str, str], tuple[float, float | None]] = {}
_past_lock = threading.Lock()


def carbon_files(console: Console) -> tuple[FactorTable, CarbonConfig]:
    """The factor table and carbon config from the console's one reader (re-read only after an edit)."""
    return console.carbon.both()


def local_energy(console: Console, start: datetime, end: datetime, by: str) -> pd.DataFrame:
    """``energy_by_role`` with interval starts in local time, as :func:`carbon.inputs.load_inputs` gives them."""
    from storage.energy import energy_by_role

    energy = energy_by_role(console.store, console.site, start, end, by)
    return energy.assign(start=pd.to_datetime(energy["start"]).dt.tz_convert(console.site.info.timezone))


def location_kg(console: Console, start: datetime, end: datetime, by: str = "hour") -> float | None:
    """Location-based Scope 2 over ``[start, end)`` from the carbon module's monthly ledgers, kgCO2e; None when
    nothing was measured in it (a fresh install's store answers 0 kWh gaps: that is no reading, not 0 t)."""
    from dashboard.sources import has_readings

    factors, config = carbon_files(console)
    energy = local_energy(console, start, end, by)
    if not has_readings(energy):
        return None
    tz = console.site.info.timezone
    t0, t1 = pd.Timestamp(start).tz_convert(tz), pd.Timestamp(end).tz_convert(tz)
    return float(sum(m.location_kg for m in ledgers(energy, t0, t1, factors, config)))


def year_before_today_kg(console: Console, year_start: datetime, today_start: datetime) -> float | None:
    """Scope 2 from 1 January to local midnight, at day resolution (factors are monthly or annual, so daily
    and hourly energy give the same kg), cached for :data:`PAST_CACHE_S`."""
    key = (id(console), year_start.isoformat(), today_start.isoformat())
    with _past_lock:
        hit = _past_cache.get(key)
        if hit and time.monotonic() - hit[0] < PAST_CACHE_S:
            return hit[1]
    value = location_kg(console, year_start, today_start, by="day") if today_start > year_start else None
    with _past_lock:
        _past_cache[key] = (time.monotonic(), value)
    return value


def budget_kg(console: Console, year: int) -> float | None:
    _, config = carbon_files(console)
    budget_t = config.budget_tco2e.get(year)
    return None if budget_t is None else budget_t * 1000.0


def report_model(console: Console, period: Period, command: str = "") -> dict[str, Any]:
    """The carbon report model of ``period`` (the same dict ``zerocarbon report`` renders), with 降碳需's storage
    rows (what the storage saved under the site's tariff, :mod:`planning.realised`) as the CLI adds them."""
    from carbon.inputs import load_inputs
    from carbon.issue import inputs_span
    from carbon.report import build_report
    from planning.realised import storage_dispatch_section

    factors, config = carbon_files(console)
    inputs_start, _ = inputs_span(period, config)  # baseline year, last year (forecast profile), this year
    hourly = config.baseline is not None and config.baseline.granularity == "hourly"
    hourly_from = min(period.start, config.baseline.start) if hourly and config.baseline else period.start
    inputs = load_inputs(console.store, console.site, inputs_start, period.end, hourly_from=hourly_from)
    model = build_report(inputs, factors, config, period, command=command)
    model["strategies"]["demand_reduction"]["storage_dispatch"] = storage_dispatch_section(
        console.store, console.site, period, factors, config.factors.location_region,
        Path(console.config_dir) / "tariffs.yaml")
    return model


def report_bytes(console: Console, period: Period, fmt: str) -> bytes:
    """Render the report with the carbon module's renderer ``carbon.render_<fmt>.render_<fmt>(model, out)``."""
    import importlib
    import tempfile

    model = report_model(console, period, command=f"zerocarbon report --period {period.label} --format {fmt}")
    render = getattr(importlib.import_module(f"carbon.render_{fmt}"), f"render_{fmt}")
    with tempfile.TemporaryDirectory(prefix="zerocarbon-report-") as tmp:
        written = Path(render(model, Path(tmp) / f"report.{fmt}"))
        return written.read_bytes()


def tariff_placeholder_text(placeholders: list[dict[str, Any]] | None, lang: str) -> str:
    """The tariff prices a yuan figure rests on that are placeholders, said in the page's language ("" if none)."""
    from dashboard.i18n import t

    if not placeholders:
        return ""
    items = "; ".join(f"{t(lang, 'tariff.' + p['what'])} {p['value']:g} {tariff_unit(p['unit'], lang)} ({p['id']})"
                      for p in placeholders)
    return t(lang, "tariff.placeholder", items=items)


def tariff_unit(unit: str, lang: str) -> str:
    """A tariff's unit as config/tariffs.yaml writes it (yuan/kWh, yuan/kW·month), in Chinese as a bill writes it."""
    return unit.replace("yuan", "元").replace("month", "月") if lang == "zh" else unit
