"""Energy cost under a time-of-use tariff with a demand charge: by tariff period, by subsystem, by month.

Input is the 15-minute energy frame of ``storage.energy.energy_by_role(..., by="15min")`` (columns ``start`` UTC,
``role``, ``subsystem``, ``energy_kwh``, ``quality``). The bill has two parts:

* energy: Σ_t I_t × p_t, with I_t the grid import of interval t (kWh) and p_t its tariff price (yuan/kWh);
* demand (two-part tariff): per local month, max_t (I_t / 0.25 h) × the month's demand rate (yuan/kW·month).
  Supply meters register the highest 15-minute mean demand; fixed quarter hours are used here.

By subsystem, each interval's purchased energy is shared in proportion to the subsystems' metered consumption
in that interval: cost_s = Σ_t p_t × I_t × c_s,t / Σ_s c_s,t, so the subsystems add up to the energy part of the
bill, and on-site PV and storage lower every subsystem's share alike. Export is shown, not credited.

Worked example (tests/planning/test_cost.py): two quarter hours, 100 kWh at 0.247 (valley) and 200 kWh at 1.105
(peak) cost 24.70 + 221.00 = 245.70 yuan; the demand is 200 / 0.25 = 800 kW, × 32 = 25,600 yuan for the month.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from planning.tariffs import PERIODS, TariffTable, placeholder_note

STEP_H = 0.25
LOAD_ROLES = ("consumption", "ev_charging")
STORAGE_ROLES = ("grid_import", "grid_export", "battery_charge", "battery_discharge")  # all a saving reads


@dataclass(frozen=True)
class Cost:
    by_period: pd.DataFrame  # period, import_kwh, energy_yuan
    by_subsystem: pd.DataFrame  # subsystem, consumption_kwh, purchased_kwh, energy_yuan
    by_month: pd.DataFrame  # month, import_kwh, energy_yuan, peak_kw, peak_at, demand_rate, demand_yuan
    coverage: dict[str, Any]
    export_kwh: float

    @property
    def energy_yuan(self) -> float:
        return float(self.by_period["energy_yuan"].sum())

    @property
    def demand_yuan(self) -> float:
        return float(self.by_month["demand_yuan"].sum())

    @property
    def total_yuan(self) -> float:
        return self.energy_yuan + self.demand_yuan


def _wide(energy: pd.DataFrame, roles: tuple[str, ...]) -> pd.Series:
    part = energy[energy["role"].isin(roles)]
    return part.groupby("start")["energy_kwh"].sum()


def coverage(energy: pd.DataFrame, role: str = "grid_import") -> dict[str, Any]:
    """Share of intervals whose grid import is measured, estimated or a gap (worst point of the interval)."""
    rank = energy.loc[energy["role"] == role, "quality"].map({"measured": 0, "estimated": 1, "gap": 2})
    worst = rank.groupby(energy.loc[energy["role"] == role, "start"]).max()  # vectorised: a year is 35k groups
    quality = worst.map({0: "measured", 1: "estimated", 2: "gap"})
    n = len(quality)
    shares = {k: (float((quality == k).sum()) / n if n else None) for k in ("measured", "estimated", "gap")}
    return {"intervals": n, **shares, "complete": bool(n) and shares["gap"] == 0.0}


def energy_cost(energy: pd.DataFrame, tariff: TariffTable, timezone: str) -> Cost:
    """The bill of ``energy`` (15-minute intervals) under ``tariff``; see the module docstring for the formulas."""
    imports = _wide(energy, ("grid_import",))
    starts = pd.DatetimeIndex(imports.index).tz_convert(timezone)
    priced = tariff.prices(starts)
    price = priced["price_yuan_per_kwh"].to_numpy()
    frame = pd.DataFrame({"import_kwh": imports.to_numpy(), "period": priced["period"].to_numpy(),
                          "price": price, "yuan": imports.to_numpy() * price}, index=starts)
    present = set(frame["period"])  # once: a year has 35k quarter hours
    by_period = (frame.groupby("period")[["import_kwh", "yuan"]].sum()
                 .reindex([p for p in PERIODS if p in present]).reset_index()
                 .rename(columns={"yuan": "energy_yuan"}))
    return Cost(by_period=by_period, by_subsystem=_by_subsystem(energy, frame, timezone),
                by_month=_by_month(frame, tariff), coverage=coverage(energy),
                export_kwh=float(_wide(energy, ("grid_export",)).sum()))


def _by_subsystem(energy: pd.DataFrame, frame: pd.DataFrame, timezone: str) -> pd.DataFrame:
    loads = energy[energy["role"].isin(LOAD_ROLES)]
    table = loads.pivot_table(index="start", columns="subsystem", values="energy_kwh", aggfunc="sum", fill_value=0.0)
    table.index = pd.DatetimeIndex(table.index).tz_convert(timezone)
    table = table.reindex(frame.index, fill_value=0.0)
    total = table.sum(axis=1).to_numpy()
    share = np.divide(table.to_numpy(), total[:, None], out=np.zeros(table.shape), where=total[:, None] > 0)
    purchased = share * frame["import_kwh"].to_numpy()[:, None]
    yuan = purchased * frame["price"].to_numpy()[:, None]
    out = pd.DataFrame({"subsystem": table.columns, "consumption_kwh": table.sum().to_numpy(),
                        "purchased_kwh": purchased.sum(axis=0), "energy_yuan": yuan.sum(axis=0)})
    return out.sort_values("energy_yuan", ascending=False, ignore_index=True)


def _by_month(frame: pd.DataFrame, tariff: TariffTable) -> pd.DataFrame:
    rows = []
    month = frame.index.tz_localize(None).to_period("M")
    for label, part in frame.groupby(month):
        kw = part["import_kwh"] / STEP_H
        peak_kw = float(kw.max()) if len(kw) else 0.0
        rate = tariff.demand_rate(label.start_time.date())
        rows.append({"month": str(label), "import_kwh": float(part["import_kwh"].sum()),
                     "energy_yuan": float(part["yuan"].sum()), "peak_kw": peak_kw,
                     "peak_at": kw.idxmax().isoformat() if len(kw) else None, "demand_rate": rate,
                     "demand_yuan": peak_kw * rate})
    return pd.DataFrame(rows, columns=["month", "import_kwh", "energy_yuan", "peak_kw", "peak_at", "demand_rate",
                                       "demand_yuan"])


def cost_record(cost: Cost, tariff: TariffTable, period_label: str) -> dict[str, Any]:
    """A JSON-ready record of a cost, with the tariff entries it used (id, status, document) and its coverage."""
    months = cost.by_month
    first = pd.Period(months["month"].iloc[0]).start_time.date() if len(months) else None
    last = pd.Period(months["month"].iloc[-1]).end_time.date() if len(months) else None
    used = tariff.entries_used(first, last) if first and last else []
    return {
        "period": period_label,
        "currency": "CNY",
        "energy_yuan": round(cost.energy_yuan, 2),
        "demand_yuan": round(cost.demand_yuan, 2),
        "total_yuan": round(cost.total_yuan, 2),
        "export_kwh_not_credited": round(cost.export_kwh, 3),
        "by_period": _records(cost.by_period),
        "by_subsystem": _records(cost.by_subsystem),
        "by_month": _records(cost.by_month),
        "coverage": cost.coverage,
        "tariff_placeholders": tariff.placeholders(first, last) if first and last else [],
        "tariff": {"version": tariff.version, "sha256": tariff.sha256, "file": tariff.source,
                   "entries": [{"id": e.id, "status": e.status, "document": e.document, "source": e.source,
                                "valid_from": e.valid_from.isoformat(), "valid_to": e.valid_to.isoformat()}
                               for e in used]},
    }


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    for row in frame.to_dict(orient="records"):
        out.append({k: (round(v, 3) if isinstance(v, float) else v) for k, v in row.items()})
    return out


def storage_saving(energy: pd.DataFrame, tariff: TariffTable, timezone: str,
                   factor_kg_per_kwh: pd.Series | None = None) -> dict[str, Any]:
    """What the storage saved in a period, as metered: the bill and emissions without it minus with it.

    Without storage the grid would have carried I′_t = max(I_t − X_t − C_t + D_t, 0) (from the balance I − X = L − G
    + C − D with C = D = 0); both bills use :func:`energy_cost`, emissions Σ (I′_t − I_t) × f_t (kgCO2/kWh)."""
    roles = {r: _wide(energy, (r,)) for r in ("grid_import", "grid_export", "battery_charge", "battery_discharge")}
    index = roles["grid_import"].index
    flows = {r: s.reindex(index, fill_value=0.0) for r, s in roles.items()}
    without = flows["grid_import"] - flows["grid_export"] - flows["battery_charge"] + flows["battery_discharge"]
    counterfactual = energy[energy["role"] != "grid_import"]
    counterfactual = pd.concat([counterfactual, pd.DataFrame({
        "start": index, "role": "grid_import", "subsystem": "power_distribution",
        "energy_kwh": without.clip(lower=0.0).to_numpy(), "quality": "estimated"})], ignore_index=True)
    actual, other = energy_cost(energy, tariff, timezone), energy_cost(counterfactual, tariff, timezone)
    extra = without.clip(lower=0.0) - flows["grid_import"]
    kg = None
    if factor_kg_per_kwh is not None:
        kg = float((extra.to_numpy() * factor_kg_per_kwh.reindex(index).to_numpy()).sum())
    return {"saved_yuan": round(other.total_yuan - actual.total_yuan, 2),
            "saved_energy_yuan": round(other.energy_yuan - actual.energy_yuan, 2),
            "saved_demand_yuan": round(other.demand_yuan - actual.demand_yuan, 2),
            "saved_tco2e": round(kg / 1000.0, 4) if kg is not None else None,
            "charged_kwh": round(float(flows["battery_charge"].sum()), 1),
            "discharged_kwh": round(float(flows["battery_discharge"].sum()), 1),
            "coverage": actual.coverage}


def saving_section(energy: pd.DataFrame, tariff: TariffTable, timezone: str, start: date, end: date,
                   factor_kg_per_kwh: pd.Series | None = None) -> dict[str, Any]:
    """降碳需's storage rows of a report over local days [start, end): :func:`storage_saving` with the tariff's
    version and, when a price it used is a placeholder, ``tariff_placeholders`` and ``tariff_note`` (the words
    every reader of the figure sees: "placeholder, not confirmed")."""
    section = storage_saving(energy, tariff, timezone, factor_kg_per_kwh)
    section["tariff_version"] = tariff.version
    section["tariff_placeholders"] = tariff.placeholders(start, end)
    section["tariff_note"] = placeholder_note(section["tariff_placeholders"])
    return section
