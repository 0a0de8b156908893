"""The load models are fitted once per training window and kept: in memory, and as files that a new process
trusts only when their format, scikit-learn version and key match; a warm plan does not read the training
window at all. The clearness weighting by hand."""

from __future__ import annotations

import logging
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from planning import load_forecast as lf
from planning.calendar import load_calendar
from planning.model_cache import ModelCache, window_key
from planning.pv_forecast import daily_ratio
from zerocarbon.plan_wiring import local_index, planning_frame, simulated_truth

ROOT = Path(__file__).resolve().parents[2]
CALENDAR = load_calendar(ROOT / "config" / "calendar.yaml")
KEEP = ["load_kw/lighting", "load_kw/street_lights"]


@pytest.fixture(scope="module")
def frame(site):  # type: ignore[no-untyped-def]
    full = planning_frame(site, simulated_truth(site, local_index(site, "2026-06-01", 9), seed=5), seed=5)
    return full.drop(columns=[c for c in full.columns if c.startswith("load_kw/") and c not in KEEP])


def _plan(site, frame, cache: ModelCache, recent: pd.DataFrame | None = None,  # type: ignore[no-untyped-def]
          reads: list[pd.Timestamp] | None = None) -> pd.DataFrame:
    day = frame.index[-96:]
    recent = frame.iloc[:-96] if recent is None else recent

    def read(first: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
        if reads is not None:
            reads.append(first)
        return frame.loc[(frame.index >= first) & (frame.index < end)]

    return lf.forecast_loads(site, CALENDAR, recent, day, frame.iloc[-96:], cache, read, training_days=6)


def test_a_second_plan_of_the_same_day_predicts_with_the_first_fit(site, frame):  # type: ignore[no-untyped-def]
    cache, reads = ModelCache(), []
    first = _plan(site, frame, cache, reads=reads)
    assert (cache.fits, cache.hits, cache.last, len(reads)) == (1, 0, "fitted", 1)
    # later the same evening: the eve has more quarter hours measured; same window, nothing read, same models
    eve_so_far = frame.iloc[:-96 - 20]
    again = _plan(site, frame, cache, eve_so_far, reads)
    assert (cache.fits, cache.hits, cache.last, len(reads)) == (1, 1, "memory", 1)
    pd.testing.assert_frame_equal(first, again)
    assert set(first.columns) == set(KEEP) and (first.to_numpy() >= 0).all()


def test_the_next_day_is_a_new_fit_that_sees_a_late_reading(site, frame):  # type: ignore[no-untyped-def]
    cache = ModelCache()
    today = _plan(site, frame.iloc[:-96], cache)  # the day before the last
    late = frame.copy()
    late.loc[late.index[96:192], "load_kw/lighting"] *= 1.5  # a backfill into the second day: in both windows
    assert_same = _plan(site, late.iloc[:-96], cache)  # same window, already fitted: the backfill waits a day
    pd.testing.assert_frame_equal(today, assert_same)
    tomorrow = _plan(site, late, cache)  # the window moves: a new fit, which sees it
    assert (cache.fits, cache.hits) == (2, 1)
    assert not tomorrow.equals(_plan(site, frame, ModelCache()))


def test_a_new_process_reads_the_fit_from_the_data_dir(site, frame, tmp_path):  # type: ignore[no-untyped-def]
    first = _plan(site, frame, ModelCache(tmp_path))
    files = list(tmp_path.glob("load-models-*.pickle"))
    assert len(files) == 1
    fresh = ModelCache(tmp_path)
    pd.testing.assert_frame_equal(first, _plan(site, frame, fresh))
    assert (fresh.fits, fresh.last) == (0, "file")


def test_the_fit_time_is_kept_with_the_models_for_a_new_process(site, frame, tmp_path):  # type: ignore[no-untyped-def]
    first = ModelCache(tmp_path)
    _plan(site, frame, first)
    fitted = pd.Timestamp(first.last_fitted_at)
    assert fitted.tz is not None and abs(pd.Timestamp.now(tz="UTC") - fitted) < pd.Timedelta(minutes=10)
    fresh = ModelCache(tmp_path)
    _plan(site, frame, fresh)
    assert (fresh.last, fresh.last_fitted_at) == ("file", first.last_fitted_at)  # not the time it was read


def test_callers_asking_for_the_same_fit_at_once_share_one_fit() -> None:
    """The service fits ahead while a Plan view arrives: the view waits for that fit instead of making another."""
    import threading

    cache, started, release, calls = ModelCache(), threading.Event(), threading.Event(), []

    def slow_fit() -> dict:  # type: ignore[type-arg]
        calls.append(1)
        started.set()
        release.wait(30)
        return {"load_kw/lighting": "model"}

    results: list[object] = []
    threads = [threading.Thread(target=lambda: results.append(cache.fitted("k", slow_fit))) for _ in range(2)]
    threads[0].start()
    assert started.wait(30)
    threads[1].start()  # arrives while the first fit runs
    release.set()
    for th in threads:
        th.join(30)
    assert len(calls) == 1 and len(results) == 2 and results[0] is results[1]
    assert (cache.fits, cache.hits) == (1, 1)


@pytest.mark.parametrize("spoil", ["truncated", "other sklearn", "other format"])
def test_a_stale_or_broken_file_is_refitted_not_an_error(site, frame, tmp_path, caplog, spoil):  # type: ignore[no-untyped-def]
    first = _plan(site, frame, ModelCache(tmp_path))
    path = next(tmp_path.glob("load-models-*.pickle"))
    if spoil == "truncated":
        path.write_bytes(path.read_bytes()[:100])
    else:
        payload = pickle.loads(path.read_bytes())
        payload["sklearn" if spoil == "other sklearn" else "format"] = "0.0"
        path.write_bytes(pickle.dumps(payload))
    fresh = ModelCache(tmp_path)
    with caplog.at_level(logging.INFO, logger="planning.model_cache"):
        again = _plan(site, frame, fresh)
    assert (fresh.fits, fresh.last) == (1, "fitted")
    assert str(path) in caplog.text and "fitting the load models again" in caplog.text
    pd.testing.assert_frame_equal(first, again)  # same rows, same seed: the same models
    assert pickle.loads(path.read_bytes())["sklearn"] != "0.0"  # rewritten


def test_the_key_names_the_window_and_the_settings():
    first, end = pd.Timestamp("2026-01-01", tz="Asia/Shanghai"), pd.Timestamp("2026-12-31", tz="Asia/Shanghai")
    key = window_key(first, end, {"max_iter": 100, "site": "a"})
    assert key == window_key(first, end, {"site": "a", "max_iter": 100})
    assert key != window_key(first, end, {"max_iter": 50, "site": "a"})
    assert key != window_key(first, end, {"max_iter": 100, "site": "b"})  # an edited site file
    assert key != window_key(first + pd.Timedelta(days=1), end + pd.Timedelta(days=1), {"max_iter": 100, "site": "a"})


def test_weighted_clearness_by_hand():
    index = pd.date_range("2026-06-01", periods=3 * 96, freq="15min", tz="Asia/Shanghai")
    modelled = pd.DataFrame({"inv": np.full(len(index), 10.0)}, index=index)
    measured = pd.DataFrame({"inv": np.repeat([8.0, 4.0, np.nan], 96)}, index=index)
    measured.iloc[96 + 5, 0] = np.nan  # a missing quarter counts on neither side
    r = daily_ratio(measured, modelled, 1.0, weighted=True)["inv"].to_numpy()
    assert r[0] == pytest.approx(0.8)  # 8 / 10
    # day 2 weighs 1, day 1 weighs 0.5 (one half-life back), over the quarters measured on each side:
    # (0.5 × 96 × 8 + 95 × 4) / (0.5 × 96 × 10 + 95 × 10) = 764 / 1430
    assert r[1] == pytest.approx(764 / 1430)
    assert r[2] == pytest.approx(764 / 1430, rel=1e-2)  # no measurement on day 3: the ratio stays
    window = daily_ratio(measured, modelled, 2, weighted=False)["inv"].to_numpy()
    assert window[1] == pytest.approx((96 * 8 + 95 * 4) / (96 * 10 + 95 * 10))


def test_the_lag_feature_reads_only_days_measured_by_the_eve(site, frame):  # type: ignore[no-untyped-def]
    """Each subsystem's own load two days before is a feature: the eve (still being measured) and the planned
    day itself must not change the forecast; the day before the eve must."""
    day = frame.index[-96:]
    loads = frame[KEEP]
    train = frame.index < day[0] - pd.Timedelta(days=1)
    x_all = lf.training_rows(site, CALENDAR, frame, KEEP)[0]
    models = lf.fit(x_all.loc[train], loads.loc[train])
    x_day = x_all.loc[day]
    base = lf.predict(models, x_day, loads)
    eve_and_day = loads.copy()
    eve_and_day.loc[eve_and_day.index >= day[0] - pd.Timedelta(days=1)] *= 3.0
    pd.testing.assert_frame_equal(base, lf.predict(models, x_day, eve_and_day))
    before_eve = loads.copy()
    two_days = (before_eve.index >= day[0] - pd.Timedelta(days=2)) & (before_eve.index < day[0] - pd.Timedelta(days=1))
    before_eve.loc[two_days] *= 3.0
    assert not base.equals(lf.predict(models, x_day, before_eve))
