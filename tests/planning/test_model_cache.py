"""The load models are fitted once per training window and kept: in memory, and as files that a new process
trusts only when their format, scikit-learn version and training key match. The clearness weighting by hand."""

from __future__ import annotations

import logging
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from planning import load_forecast as lf
from planning.calendar import load_calendar
from planning.model_cache import ModelCache, training_key
from planning.pv_forecast import daily_ratio
from zerocarbon.plan_wiring import local_index, planning_frame, simulated_truth

ROOT = Path(__file__).resolve().parents[2]
CALENDAR = load_calendar(ROOT / "config" / "calendar.yaml")
KEEP = ["load_kw/lighting", "load_kw/street_lights"]


@pytest.fixture(scope="module")
def frame(site):  # type: ignore[no-untyped-def]
    full = planning_frame(site, simulated_truth(site, local_index(site, "2026-06-01", 9), seed=5), seed=5)
    return full.drop(columns=[c for c in full.columns if c.startswith("load_kw/") and c not in KEEP])


def _plan(site, frame, cache: ModelCache, history: pd.DataFrame | None = None) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    day = frame.index[-96:]
    history = frame.iloc[:-96] if history is None else history
    return lf.forecast_loads(site, CALENDAR, history, day, frame.iloc[-96:], cache)


def test_a_second_plan_of_the_same_day_predicts_with_the_first_fit(site, frame):  # type: ignore[no-untyped-def]
    cache = ModelCache()
    first = _plan(site, frame, cache)
    assert (cache.fits, cache.hits, cache.last) == (1, 0, "fitted")
    # later the same evening: the eve has more quarter hours measured, the training rows (before the eve) do not
    eve_so_far = frame.iloc[:-96 - 20]
    again = _plan(site, frame, cache, eve_so_far)
    assert (cache.fits, cache.hits, cache.last) == (1, 1, "memory")
    pd.testing.assert_frame_equal(first, again)
    assert set(first.columns) == set(KEEP) and (first.to_numpy() >= 0).all()


def test_a_changed_training_row_is_a_new_fit(site, frame):  # type: ignore[no-untyped-def]
    cache = ModelCache()
    _plan(site, frame, cache)
    late = frame.copy()
    late.iloc[10, late.columns.get_loc("load_kw/lighting")] += 50.0  # a late reading for the first day
    _plan(site, late, cache)
    assert (cache.fits, cache.hits) == (2, 0)


def test_a_new_process_reads_the_fit_from_the_data_dir(site, frame, tmp_path):  # type: ignore[no-untyped-def]
    first = _plan(site, frame, ModelCache(tmp_path))
    files = list(tmp_path.glob("load-models-*.pickle"))
    assert len(files) == 1
    fresh = ModelCache(tmp_path)
    pd.testing.assert_frame_equal(first, _plan(site, frame, fresh))
    assert (fresh.fits, fresh.last) == (0, "file")


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


def test_the_key_names_the_rows_and_the_settings():
    x = pd.DataFrame({"a": [1.0, 2.0]}, index=pd.date_range("2026-01-01", periods=2, freq="15min", tz="UTC"))
    y = pd.DataFrame({"load_kw/x": [3.0, 4.0]}, index=x.index)
    key = training_key(x, y, {"max_iter": 100})
    assert key == training_key(x.copy(), y.copy(), {"max_iter": 100})
    assert key != training_key(x, y, {"max_iter": 50})
    assert key != training_key(x.set_axis(x.index + pd.Timedelta(days=1)), y, {"max_iter": 100})
    assert key != training_key(x, y.rename(columns={"load_kw/x": "load_kw/y"}), {"max_iter": 100})


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
