"""Tomorrow's plan: how long a full-site day-ahead plan and a year of forecast backtest take.

    .venv/bin/python bench/bench_planning.py [--year-days 365] [--store-days 56]

Prints, with the load average:
* the dispatch LP for the whole site (2 storage units, 96 quarter hours) solved by HiGHS, median of 20, against
  the simulator's rule-based dispatch of the same day in the same process (the baseline);
* the whole day-ahead plan as every plan after the day's first runs it: from the last ``recent_days`` (56) of
  15-minute history, the 17 load models already fitted that day on ``history_days`` (364) (``planning.model_cache``,
  keyed by the training window), so PV forecast per inverter, load prediction and the LP (goal < 2 s); and apart,
  the daily fit of the 17 models, which the scheduled service makes ahead in the background (``zerocarbon run``,
  the demo: ``zerocarbon.plan_service``), and the user's first plan after it, with the models in memory and in
  a restarted process reading them from the data dir; with ``--store-days N``, reading the
  plan's 15-minute history back from a DuckDB store backfilled with N days (what every plan reads:
  ``recent_days``; once a day, up to ``history_days``);
* a year of backtest (`zerocarbon forecast --backtest`: the simulated training and test years, PV and load
  forecasts with the load models refitted every 91 days, scores; goal < 2 min), against simulating the same two
  years alone, with the skills it found.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from models.loader import load_site  # noqa: E402
from planning import load_forecast as lf  # noqa: E402
from planning.config import load_planning_config  # noqa: E402
from planning.dispatch import Battery, Prices, plan_storage  # noqa: E402
from planning.model_cache import ModelCache  # noqa: E402
from planning.pv_forecast import forecast_pv, inverters_of  # noqa: E402
from simulators import storage_dispatch  # noqa: E402
from zerocarbon.plan_wiring import load_plan_files, local_index, planning_frame, simulated_truth  # noqa: E402

CONFIG = Path(__file__).resolve().parents[1] / "config"


def _timed(fn, runs: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def bench_day(site, files, config) -> None:  # type: ignore[no-untyped-def]
    frame = planning_frame(site, simulated_truth(site, local_index(site, "2025-08-02", 365), 0), 0)
    day = local_index(site, "2026-08-01", 1)
    history, tomorrow = frame.iloc[:-96], frame.iloc[-96:].set_axis(day)
    net = (tomorrow[[c for c in frame if c.startswith("load_kw/")]].sum(axis=1)
           - tomorrow[[c for c in frame if c.startswith("pv_kw/")]].sum(axis=1)).to_numpy()
    prices = Prices(files.tariffs.prices(day)["price_yuan_per_kwh"].to_numpy(), np.full(96, 0.4042),
                    config.carbon.price_yuan_per_tco2e, 32.0, 0.0)
    units = [Battery(u.device, u.power_kw, u.capacity_kwh) for u in site.energy_systems.storage]
    lp = _timed(lambda: plan_storage(day, net, units, prices), 20)
    minute = (day.hour * 60 + day.minute).to_numpy()
    rule = _timed(lambda: [storage_dispatch.dispatch_unit(u, minute / 60.0, np.zeros(96), 0.25, np.zeros(96), net / 2,
                                                          14.0) for u in site.energy_systems.storage], 20)
    print(f"dispatch LP, 2 units x 96 quarter hours (HiGHS): {lp * 1000:.1f} ms median of 20; "
          f"rule-based dispatch of the same day: {rule * 1000:.2f} ms ({lp / rule:.0f}x)")

    cache = ModelCache()
    recent = history.iloc[-config.forecast.recent_days * 96:]  # what every plan reads from the store

    def read_training(first: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:  # the day's first plan only
        return history.loc[(history.index >= first) & (history.index < end)]

    def whole(models: ModelCache = cache) -> None:
        pv = forecast_pv(site, inverters_of(site), day, recent, tomorrow[["ghi_wm2", "temp_c"]])
        load = lf.forecast_loads(site, files.calendar, recent, day, tomorrow, models, read_training,
                                 config.forecast.history_days).sum(axis=1)
        plan_storage(day, (load - pv.sum(axis=1)).to_numpy(), units, prices)

    t0 = time.perf_counter()
    whole()  # the day's first plan: fits the models (once a day, then kept)
    first = time.perf_counter() - t0
    full = _timed(whole, 5)  # every later plan that day: the cache's fit, predict, PV, LP
    assert cache.fits == 1 and cache.hits == 5, (cache.fits, cache.hits)
    x, loads = _training(site, files, history, day)
    fit = _timed(lambda: lf.fit(x, loads), 3)
    days = len(history) // 96
    print(f"full-site day-ahead plan from {len(recent) // 96} recent days of 15-min history, the day's load models "
          f"already fitted (16 PV forecasts, {loads_n(frame)} load models predicted, LP): {full:.2f} s median of 5 "
          f"(goal < 2 s); the LP is {lp / full * 100:.1f} % of it")
    print(f"the daily fit alone ({loads_n(frame)} load models on {days - 1} days, once a day): {fit:.2f} s median "
          f"of 3; the day's first plan, fit included: {first:.2f} s")
    bench_fitted_ahead(site, files, config, recent, day, read_training, whole)


def bench_fitted_ahead(site, files, config, recent, day, read_training, whole) -> None:  # type: ignore[no-untyped-def]
    """The scheduled service fits ahead (``planning.tomorrow.fit_ahead``'s call) and keeps the models in the data
    dir: the user's first Plan view then predicts from memory, or, after a restart, from the kept file."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        ahead = ModelCache(Path(tmp))
        t0 = time.perf_counter()
        lf.day_models(site, files.calendar, recent, day, ahead, read_training, config.forecast.history_days)
        fitted = time.perf_counter() - t0
        t0 = time.perf_counter()
        whole(ahead)
        memory = time.perf_counter() - t0
        restarted = ModelCache(Path(tmp))  # a new process: empty memory, the data dir's file
        t0 = time.perf_counter()
        whole(restarted)
        from_file = time.perf_counter() - t0
        assert (ahead.fits, ahead.hits, restarted.fits, restarted.last) == (1, 1, 0, "file")
    print(f"fitted ahead by the service (in the background, kept in the data dir): {fitted:.2f} s; then the user's "
          f"first plan of the day (goal < 2 s): {memory:.2f} s with the service's models in memory, {from_file:.2f} s "
          f"in a restarted process reading the kept file (plus reading the recent history from the store, below)")


def bench_store_read(site, config, days: int) -> None:  # type: ignore[no-untyped-def]
    """What the plan reads from a DuckDB store every time (``recent_days``), and once a day (``history_days``)."""
    import tempfile
    from datetime import UTC, datetime, timedelta

    from planning.tomorrow import history_frame
    from simulators.backfill import backfill
    from storage.duckdb_store import DuckDBStore

    end = datetime(2026, 8, 1, 16, tzinfo=UTC)
    with tempfile.TemporaryDirectory() as tmp:
        store = DuckDBStore(Path(tmp) / "h.duckdb", timezone=site.info.timezone)
        backfill(store, site, end - timedelta(days=days), end, step="15min")
        store.update_rollups()
        start = pd.Timestamp("2026-08-02", tz=site.info.timezone)
        for span in sorted({min(config.forecast.recent_days, days), min(config.forecast.history_days, days)}):
            took = _timed(lambda: history_frame(store, site, start - pd.Timedelta(days=span), start), 3)  # noqa: B023
            print(f"reading {span} days of 15-min planning history from DuckDB rollups: {took:.2f} s median of 3")
        store.close()


def _training(site, files, history, day):  # type: ignore[no-untyped-def]
    """The daily fit's inputs, as ``forecast_loads`` builds them (the days before the eve)."""
    days = history.index.tz_localize(None).normalize()
    tickets = history["visitors"].groupby(days).max()
    visitors = lf.expected_visitors(tickets, files.calendar, pd.DatetimeIndex(tickets.index))
    train = history.index < day[0] - pd.Timedelta(days=1)
    x = lf.features(history.index[train], history.loc[train], files.calendar, visitors, site)
    return x, history.loc[train, [c for c in history if c.startswith("load_kw/")]]


def loads_n(frame: pd.DataFrame) -> int:
    return sum(c.startswith("load_kw/") for c in frame)


def bench_year(days: int) -> None:
    from zerocarbon.commands.forecast import run_backtest

    site = load_site(CONFIG / "site.yaml")
    t0 = time.perf_counter()
    planning_frame(site, simulated_truth(site, local_index(site, "2025-01-01", 365 + days), 0), 0)
    simulate = time.perf_counter() - t0
    t0 = time.perf_counter()
    result = run_backtest(2026, days, 0, 91)
    total = time.perf_counter() - t0
    load, pv = result["load"], result["pv"]["site_total"]
    models = result["load_models"]
    print(f"backtest of {days} days (2026, trained on 2025; load models refitted every {models['refit_every_days']} "
          f"days on the {models['training_window_days']} days before, where the plan refits daily): {total:.1f} s "
          f"(goal < 120 s); simulating the two years alone: {simulate:.1f} s ({total / simulate:.1f}x)")
    print("skill vs persistence / vs the same day last week: load "
          f"{_pair(load['building_total'])}, street lights {_pair(load['by_subsystem']['street_lights'])}; "
          f"PV with a weather forecast {_pair(pv['weather_forecast'])}, without {_pair(pv['clear_sky_x_clearness'])}")


def _pair(s: dict) -> str:  # type: ignore[type-arg]
    return f"{s['skill_vs_persistence']:.3f} / {s['skill_vs_same_day_last_week']:.3f}"


def main() -> None:
    os.environ.setdefault("ZEROCARBON_SITE", str(CONFIG / "site.yaml"))
    days = int(sys.argv[sys.argv.index("--year-days") + 1]) if "--year-days" in sys.argv else 365
    print(f"load average before: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")
    site = load_site(CONFIG / "site.yaml")
    bench_day(site, load_plan_files(CONFIG / "site.yaml"), load_planning_config(CONFIG / "planning.yaml"))
    if "--store-days" in sys.argv:
        bench_store_read(site, load_planning_config(CONFIG / "planning.yaml"),
                         int(sys.argv[sys.argv.index("--store-days") + 1]))
    bench_year(days)
    print(f"load average after: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")


if __name__ == "__main__":
    main()
