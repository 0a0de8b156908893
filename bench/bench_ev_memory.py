"""Memory of the EV fleet's platform values over long ranges (``simulators.ev_sessions.fleet_values``).

    .venv/bin/python bench/bench_ev_memory.py [--days 1 7 30 365]

For each range at one-minute steps: the peak Python heap (tracemalloc) of ``fleet_values`` as shipped (blocks of
a day's instants against the sessions that touch them) and, as the baseline in the same process, of the former
whole-range formulation (a sessions x instants matrix; run only where it fits: it grows with the square of the
range). Sessions are drawn before measuring, so both figures are the values' own working memory.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from models.loader import load_site  # noqa: E402
from simulators.ev_sessions import charging_sessions, fleet_values  # noqa: E402

CONFIG = Path(__file__).resolve().parents[1] / "config"
WHOLE_RANGE_MAX_DAYS = 4  # 4 days: ~1,800 sessions x 5,760 instants x 8 B x 4 matrices ~ 0.3 GB


def whole_range(sessions: pd.DataFrame, index: pd.DatetimeIndex) -> dict[str, np.ndarray]:
    """The former formulation, kept here as the baseline: every session against every instant at once."""
    t = index.as_unit("ns").asi8 / 1e9
    step = float(t[1] - t[0])
    s = {c: sessions[c].dt.as_unit("ns").astype("int64").to_numpy() / 1e9 for c in ("arrival", "departure",
                                                                                    "charge_end")}
    lo, hi = t[:, None], t[:, None] + step
    charging = np.clip(np.minimum(hi, s["charge_end"]) - np.maximum(lo, s["arrival"]), 0.0, None) / step
    plugged = (s["arrival"] <= lo) & (lo < s["departure"])
    started = (lo <= s["arrival"]) & (s["arrival"] < hi)
    return {"power_kw": charging @ sessions["charger_kw"].to_numpy(dtype=float),
            "plugged": plugged.sum(axis=1).astype(float), "arrivals_per_h": started.sum(axis=1) * 3600.0 / step}


def peak_mb(fn, *args) -> tuple[float, float, dict[str, np.ndarray]]:  # type: ignore[no-untyped-def]
    tracemalloc.start()
    tracemalloc.reset_peak()
    began = time.perf_counter()
    out = fn(*args)
    seconds = time.perf_counter() - began
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20, seconds, out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--days", type=int, nargs="+", default=[1, 4, 30, 365])
    args = parser.parse_args()
    site = load_site(CONFIG / "site.yaml")
    print(f"load average before: {os.getloadavg()}")
    start = pd.Timestamp("2026-01-01", tz=site.info.timezone)
    for days in args.days:
        index = pd.date_range(start, start + pd.Timedelta(days=days), freq="1min", inclusive="left").tz_convert("UTC")
        sessions = charging_sessions(site, index[0], index[-1] + pd.Timedelta("1min"))
        mb, seconds, out = peak_mb(fleet_values, sessions, index)
        line = (f"{days:>4} days, {len(index):>7,} instants, {len(sessions):>7,} sessions: blocks {mb:8.1f} MB "
                f"peak ({seconds:.2f} s)")
        if days <= WHOLE_RANGE_MAX_DAYS:
            base_mb, base_s, base = peak_mb(whole_range, sessions, index)
            assert np.allclose(base["power_kw"], out["power_kw"]) and np.array_equal(base["plugged"], out["plugged"])
            line += f"; whole range {base_mb:8.1f} MB ({base_s:.2f} s), {base_mb / mb:.1f}x the blocks"
        else:
            gb = len(index) * len(sessions) * 8 / 2**30  # one float64 sessions x instants matrix alone
            line += f"; whole range not run (one sessions x instants float matrix alone: {gb:,.0f} GB)"
        print(line, flush=True)
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
