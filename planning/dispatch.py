"""Tomorrow's storage dispatch as a linear program, solved by HiGHS (``scipy.optimize.linprog(method="highs")``).

For each quarter hour t (Δt = 0.25 h) and storage unit u, with forecast net demand N_t = load − PV (kW):

    minimise   Σ_t Δt · [(p_t + π · f_t / 1000) · g_t + κ · Σ_u (c_ut + d_ut)]  +  r · P
    subject to g_t − x_t − Σ_u c_ut + Σ_u d_ut = N_t                      (the site's power balance)
               e_ut = e_u,t−1 + η · Δt · c_ut − Δt · d_ut / η            (state of charge, kWh)
               e_u,T = e_u,end;  E_min,u ≤ e_ut ≤ E_max,u;  0 ≤ c_ut, d_ut ≤ P_u
               g_t ≤ P;  P ≥ P_month                                    (the month's demand so far)
               g_t, x_t ≥ 0

p_t the tariff price (yuan/kWh), π the carbon price (yuan/tCO2e), f_t the grid factor (kgCO2/kWh), κ a small
throughput cost that stands for battery wear and stops pointless cycling, r the demand rate (yuan/kW·month):
raising the month's peak P above what it already is costs r per kW; below it the demand charge is already paid.
Export x_t earns nothing (the tariff credits none). η is the one-way efficiency.

The plan is advice: it is a frame of kW, nothing here talks to a device. EMHASS (Home Assistant) solves the same
family of problems for homes; this one adds the demand charge and the carbon price.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import linprog

from planning.ev import EvEnvelope

STEP_H = 0.25


@dataclass(frozen=True)
class Battery:
    device: str
    power_kw: float
    capacity_kwh: float
    min_soc: float = 0.10
    max_soc: float = 0.95
    efficiency: float = 0.95  # one way
    start_soc: float = 0.10
    end_soc: float = 0.10


@dataclass(frozen=True)
class Prices:
    energy_yuan_per_kwh: np.ndarray
    factor_kg_per_kwh: np.ndarray
    carbon_yuan_per_t: float = 0.0
    demand_yuan_per_kw: float = 0.0
    month_peak_kw: float = 0.0
    throughput_yuan_per_kwh: float = 0.01


@dataclass(frozen=True)
class Plan:
    frame: pd.DataFrame  # storage_kw/<device> (+ discharge), soc/<device>, grid_kw, net_kw, grid_limit_kw
    objective_yuan: float
    peak_kw: float
    status: str


def _columns(n: int, units: int, ev: bool) -> dict[str, slice]:
    """Variable layout: per unit c, d, e blocks of n, then g, x, (v: EV fleet kW) blocks of n, then P."""
    out, at = {}, 0
    for name in [f"{b}{u}" for u in range(units) for b in ("c", "d", "e")] + ["g", "x"] + (["v"] if ev else []):
        out[name] = slice(at, at + n)
        at += n
    out["P"] = slice(at, at + 1)
    return out


def _equalities(n: int, batteries: list[Battery], cols: dict[str, slice], net_kw: np.ndarray, size: int):
    eye, rows, rhs = sparse.identity(n, format="csr"), [], []
    balance = sparse.lil_matrix((n, size))
    balance[:, cols["g"]], balance[:, cols["x"]] = eye, -eye
    for u, _ in enumerate(batteries):
        balance[:, cols[f"c{u}"]], balance[:, cols[f"d{u}"]] = -eye, eye
    if "v" in cols:
        balance[:, cols["v"]] = -eye
    rows.append(balance.tocsr())
    rhs.append(net_kw)
    lag = sparse.eye(n, k=-1, format="csr")
    for u, b in enumerate(batteries):
        soc = sparse.lil_matrix((n + 1, size))
        soc[:n, cols[f"e{u}"]] = eye - lag
        soc[:n, cols[f"c{u}"]] = -b.efficiency * STEP_H * eye
        soc[:n, cols[f"d{u}"]] = STEP_H / b.efficiency * eye
        soc[n, cols[f"e{u}"].stop - 1] = 1.0
        rows.append(soc.tocsr())
        rhs.append(np.r_[b.start_soc * b.capacity_kwh, np.zeros(n - 1), b.end_soc * b.capacity_kwh])
    return sparse.vstack(rows, format="csr"), np.concatenate(rhs)


def _ev_rows(n: int, cols: dict[str, slice], size: int, ev: EvEnvelope) -> tuple[sparse.csr_matrix, np.ndarray]:
    """Cumulative EV energy between what is due and what has arrived: −L v ≤ −must, L v ≤ may (L: Δt·lower ones)."""
    cumulative = sparse.lil_matrix((n, size))
    cumulative[:, cols["v"]] = np.tril(np.ones((n, n))) * STEP_H
    cumulative = cumulative.tocsr()
    return sparse.vstack([-cumulative, cumulative], format="csr"), np.r_[-ev.must_kwh + 1e-6, ev.may_kwh + 1e-6]


def plan_storage(index: pd.DatetimeIndex, net_kw: np.ndarray, batteries: list[Battery], prices: Prices,
                 grid_charging: bool = True, ev: EvEnvelope | None = None) -> Plan:
    """The cost-minimising dispatch of ``batteries`` for forecast ``net_kw`` on ``index`` (quarter hours).

    ``grid_charging=False``: the units charge only from on-site surplus (c_ut ≤ share_u · max(−N_t, 0)).
    ``ev``: the EV fleet's envelope (``planning.ev``); ``net_kw`` then excludes EV charging, and the plan adds
    the fleet's charging power v_t (column ``ev_kw``) to the balance."""
    n = len(index)
    cols = _columns(n, len(batteries), ev is not None)
    size = cols["P"].stop
    grid_price = prices.energy_yuan_per_kwh + prices.carbon_yuan_per_t * prices.factor_kg_per_kwh / 1000.0
    cost = np.zeros(size)
    cost[cols["g"]] = STEP_H * grid_price
    cost[cols["P"]] = prices.demand_yuan_per_kw
    bounds: list[tuple[float | None, float | None]] = [(0.0, None)] * size
    for u, b in enumerate(batteries):
        cost[cols[f"c{u}"]] = cost[cols[f"d{u}"]] = STEP_H * prices.throughput_yuan_per_kwh
        for name, lo, hi in (("c", 0.0, b.power_kw), ("d", 0.0, b.power_kw),
                             ("e", b.min_soc * b.capacity_kwh, b.max_soc * b.capacity_kwh)):
            s = cols[f"{name}{u}"]
            bounds[s.start:s.stop] = [(lo, hi)] * n
        if not grid_charging:
            share = b.power_kw / sum(x.power_kw for x in batteries)
            surplus = np.maximum(-np.asarray(net_kw, dtype=float), 0.0) * share
            s = cols[f"c{u}"]
            bounds[s.start:s.stop] = [(0.0, min(b.power_kw, float(v))) for v in surplus]
    bounds[cols["P"].start] = (max(prices.month_peak_kw, 0.0), None)
    a_eq, b_eq = _equalities(n, batteries, cols, np.asarray(net_kw, dtype=float), size)
    peak = sparse.lil_matrix((n, size))
    peak[:, cols["g"]], peak[:, cols["P"]] = sparse.identity(n), -np.ones((n, 1))
    a_ub, b_ub = peak.tocsr(), np.zeros(n)
    if ev is not None:
        bounds[cols["v"].start:cols["v"].stop] = [(0.0, float(k)) for k in ev.max_kw]
        rows, rhs = _ev_rows(n, cols, size, ev)
        a_ub, b_ub = sparse.vstack([a_ub, rows], format="csr"), np.r_[b_ub, rhs]
    result = linprog(cost, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
    if result.status != 0:
        raise ValueError(f"dispatch LP not solved: {result.message} (check storage limits and the net forecast)")
    v = result.x
    frame = pd.DataFrame({"net_kw": net_kw, "grid_kw": v[cols["g"]] - v[cols["x"]]}, index=index)
    # the demand limit the plan keeps (the month's peak, paid or planned): a follower guards it against the
    # forecast's errors instead of charging up to it blind (simulators.storage_dispatch)
    frame["grid_limit_kw"] = float(v[cols["P"]][0])
    if ev is not None:
        frame["ev_kw"] = v[cols["v"]]
    for u, b in enumerate(batteries):
        frame[f"storage_kw/{b.device}"] = v[cols[f"d{u}"]] - v[cols[f"c{u}"]]
        frame[f"soc/{b.device}"] = v[cols[f"e{u}"]] / b.capacity_kwh
    return Plan(frame=frame, objective_yuan=float(result.fun), peak_kw=float(v[cols["P"]][0]), status=result.message)
