"""How good can a day-ahead load forecast be on the simulated site? The skill of an oracle, and the lag choice.

    .venv/bin/python bench/forecast_ceiling.py            # the ceiling per sub-meter, 2026, seed 0 (~2 min)
    .venv/bin/python bench/forecast_ceiling.py --lags     # + backtests of 2025 (trained on 2024) per lag set

* **Ceiling.** Each simulated sub-meter is ``(base + span × activity) × (1 + 0.03 × noise)``
  (``simulators.building.submeter_kw``), its noise an AR(1) stream drawn afresh for every day
  (``simulators.weather.minute_noise``). The oracle knows the noiseless load exactly (it divides the noise out);
  its skill against the same day last week bounds every forecaster. For the occupancy-only sub-meters the
  activity is the same every week, so the bound is 1 − 1/√2 ≈ 0.293 for Gaussian noise: last week's value
  carries two days of noise, the oracle's error one.
* **EV charging** is a sum of sessions drawn from (seed, day) alone: the mean profile per weekday and quarter hour
  of the test year itself (it sees the test year, so it flatters itself) is printed as its rough bound.
* **Lags** (``--lags``): ``zerocarbon forecast --backtest`` of the *validation* year 2025 with
  ``planning.load_forecast.LAG_DAYS`` set to (), (2,), (7,), (2, 7): the choice is made there, not on 2026.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from models.loader import load_site  # noqa: E402
from simulators import weather  # noqa: E402
from simulators.physics import submeters  # noqa: E402
from zerocarbon.plan_wiring import local_index, simulated_truth  # noqa: E402


def _skills(forecast: np.ndarray, actual: pd.Series, test: np.ndarray) -> dict[str, float]:
    a = actual.to_numpy()
    mae = np.abs(forecast - a)[test].mean()
    ref = {"vs_persistence": actual.shift(96).to_numpy(), "vs_last_week": actual.shift(7 * 96).to_numpy()}
    return {k: round(float(1 - mae / np.abs(r - a)[test].mean()), 4) for k, r in ref.items()}


def ceiling(year: int = 2026, seed: int = 0) -> dict[str, dict[str, float]]:
    site = load_site(ROOT / "config" / "site.yaml")
    index = local_index(site, f"{year - 1}-12-25", 372)  # a week before the year: the references need it
    truth = simulated_truth(site, index, seed)
    test = (index.tz_localize(None).normalize() >= pd.Timestamp(f"{year}-01-01"))
    out = {}
    ev = []
    for meter in submeters(site):
        device = site.device(meter)
        column = f"load_kw/{meter}"
        if device.subsystem == "ev_charging":
            ev.append(column)
            continue
        noise = weather.minute_noise(seed, f"load-{meter}", index, site.info.timezone, 0.9)
        out[device.subsystem] = _skills(truth[column].to_numpy() / (1.0 + 0.03 * noise), truth[column], test)
    load = truth[ev].sum(axis=1)
    cell = [index.day_of_week, index.hour * 4 + index.minute // 15]
    profile = load[test].groupby([c[test] for c in cell]).mean()
    out["ev_charging (weekday profile of the test year)"] = _skills(
        profile.reindex(pd.MultiIndex.from_arrays(cell)).to_numpy(), load, test)
    return out


def lags() -> dict[str, object]:
    from planning import load_forecast as lf
    from zerocarbon.commands.forecast import run_backtest

    out: dict[str, object] = {}
    for chosen in [(), (2,), (7,), (2, 7)]:
        lf.LAG_DAYS = chosen
        r = run_backtest(2025, 365, 0, 91)
        out[str(chosen)] = {"seconds": r["seconds"], "building_total": r["load"]["building_total"],
                            "by_subsystem": r["load"]["by_subsystem"]}
    return out


def main() -> None:
    os.environ.setdefault("ZEROCARBON_SITE", str(ROOT / "config" / "site.yaml"))
    result: dict[str, object] = {"ceiling_2026": ceiling()}
    if "--lags" in sys.argv:
        result["lags_validation_2025"] = lags()
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
