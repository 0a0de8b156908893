"""Declared instruments: green electricity certificates (GEC 绿证), green-power contracts (绿电交易) and CCER credits.

Rules (research/carbon.md §2, §7): 1 GEC = 1,000 kWh; a GEC is valid 24 months counted from its production month
(国能发新能规〔2024〕67号); only retired/declared instruments count; applied electricity is capped at grid import
and the rest reported as surplus; CCER (1 credit = 1 tCO2e) are shown as retired offsets, never netted from gross
Scope 1/2.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

KWH_PER_GEC = 1000.0
GEC_VALIDITY_MONTHS = 24


@dataclass(frozen=True)
class Instrument:
    kind: str  # "gec" | "green_power" | "ccer"
    id: str
    serial_from: str
    serial_to: str
    quantity: float  # certificates (gec), kWh (green_power), tCO2e (ccer)
    vintage_start: date  # production month / reduction period start
    vintage_end: date
    status: str  # "held" | "retired"
    claim_start: date | None = None  # consumption period the retirement is declared for
    claim_end: date | None = None  # exclusive
    retired_on: date | None = None
    project: str = ""
    emission_factor_kgco2e_per_kwh: float = 0.0


@dataclass(frozen=True)
class Applied:
    instrument: Instrument
    eligible_kwh: float  # electricity instruments: kWh this period could use; ccer: tCO2e retired in period
    applied: float
    reason: str


def gec_valid_until(production_month: date) -> date:
    """First day after a GEC's validity: production month + 24 months (production month counted)."""
    months = production_month.year * 12 + production_month.month - 1 + GEC_VALIDITY_MONTHS
    return date(months // 12, months % 12 + 1, 1)


def _overlap_days(a0: date, a1: date, b0: date, b1: date) -> int:
    return max(0, (min(a1, b1) - max(a0, b0)).days)


def _eligible_kwh(inst: Instrument, start: date, end: date) -> tuple[float, str]:
    if inst.status != "retired":
        return 0.0, "held, not retired: cannot back a claim"
    if inst.claim_start is None or inst.claim_end is None:
        return 0.0, "no declared consumption period"
    if inst.kind == "gec" and gec_valid_until(inst.vintage_start) <= inst.claim_start:
        return 0.0, f"expired before the claim (valid until {gec_valid_until(inst.vintage_start)})"
    if inst.vintage_start >= inst.claim_end:
        return 0.0, "vintage after the claimed consumption period"
    claimed_days = (inst.claim_end - inst.claim_start).days
    days = _overlap_days(start, end, inst.claim_start, inst.claim_end)
    if days == 0:
        return 0.0, "claim period outside this report"
    kwh = inst.quantity * KWH_PER_GEC if inst.kind == "gec" else inst.quantity
    # An instrument declared for a year covers a month of it pro rata by days.
    return kwh * days / claimed_days, "applied"


def apply_electricity_instruments(
    instruments: list[Instrument], start: date, end: date, import_kwh: float
) -> tuple[list[Applied], float, float]:
    """Apply GEC and green-power instruments to ``[start, end)``; returns rows, covered kWh and surplus kWh.

    Instruments are applied in (kind, id) order and capped in total at ``import_kwh`` (Scope 2 Guidance: an
    instrument cannot cover more than consumption); the remainder is surplus, reported, never carried over.
    """
    rows: list[Applied] = []
    remaining = max(import_kwh, 0.0)
    surplus = 0.0
    for inst in sorted((i for i in instruments if i.kind in ("gec", "green_power")), key=lambda i: (i.kind, i.id)):
        eligible, reason = _eligible_kwh(inst, start, end)
        used = min(eligible, remaining)
        remaining -= used
        surplus += eligible - used
        if eligible > used:
            reason = "applied up to grid import; rest surplus" if used else "surplus: import already covered"
        rows.append(Applied(inst, eligible, used, reason))
    return rows, max(import_kwh, 0.0) - remaining, surplus


def ccer_retired_t(instruments: list[Instrument], start: date, end: date) -> list[Applied]:
    """CCER credits retired (注销) within ``[start, end)``, in tCO2e: a separate line, not netted from gross."""
    rows = []
    for inst in sorted((i for i in instruments if i.kind == "ccer"), key=lambda i: i.id):
        inside = inst.status == "retired" and inst.retired_on is not None and start <= inst.retired_on < end
        reason = "retired in period" if inside else "not retired in this period"
        rows.append(Applied(inst, inst.quantity if inside else 0.0, inst.quantity if inside else 0.0, reason))
    return rows
