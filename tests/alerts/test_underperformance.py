"""PV underperformance on a clear day: the expectation comes from measured POA and module temperature."""

from __future__ import annotations

import pandas as pd
import pytest
from pvlib.irradiance import get_total_irradiance
from pvlib.location import Location

from alerts.engine import AlarmEngine
from alerts.journal import AlarmJournal
from alerts.pv_expectation import expected_ac_w
from models.reading import Reading


def test_expected_power_is_pvwatts_at_measured_poa_and_module_temperature() -> None:
    # 100 kWp x 800/1000 x (1 - 0.0037 x (45 - 25)) x 0.96 = 100000 x 0.8 x 0.926 x 0.96 = 71,116.8 W
    assert expected_ac_w(800.0, 45.0, 100_000.0, -0.0037, 0.96) == pytest.approx(71_116.8)


def clear_day_poa(site) -> pd.Series:  # type: ignore[no-untyped-def]
    """Clear-sky POA at the site on 2026-06-21, 5-min steps, on the array's 15 deg tilt facing south."""
    info = site.info
    loc = Location(info.latitude, info.longitude, tz=info.timezone, altitude=info.altitude_m)
    times = pd.date_range("2026-06-21 05:00", "2026-06-21 20:00", freq="5min", tz=info.timezone)
    cs, sun = loc.get_clearsky(times, model="ineichen"), loc.get_solarposition(times)
    poa = get_total_irradiance(15, 180, sun["apparent_zenith"], sun["azimuth"], cs["dni"], cs["ghi"], cs["dhi"])
    return poa["poa_global"].fillna(0.0)


def test_a_weak_inverter_alarms_on_a_clear_day_and_healthy_ones_do_not(rules_for, site, journal: AlarmJournal) -> None:  # type: ignore[no-untyped-def]
    rules = rules_for(
        [
            {
                "id": "pv-under",
                "points": ["pv-inv-0[1-3].W"],
                "on_delay_s": 900,
                "off_delay_s": 300,
                "condition": {"type": "underperformance", "fraction": 0.6, "min_poa_wm2": 200},
            }
        ]
    )
    engine = AlarmEngine(rules, site, journal)
    poa = clear_day_poa(site)
    share = {"pv-inv-01.W": 0.93, "pv-inv-02.W": 0.85, "pv-inv-03.W": 0.40}  # inverter 3: half its strings tripped
    for ts, g in poa.items():
        t = ts.timestamp()
        tmod = 25.0 + g * 0.03  # module runs ~30 K above 25 degC at 1000 W/m2
        readings = [Reading("pv-weather.poa_wm2", t, float(g)), Reading("pv-weather.module_temp_c", t, tmod)]
        expected = expected_ac_w(g, tmod, 100_000.0, -0.0037, 0.96)
        readings += [Reading(pid, t, s * expected) for pid, s in share.items()]
        engine.put(readings)
        engine.tick(t)
    assert engine.flush()
    alarms = journal.active(now=poa.index[-1].timestamp())
    assert [a.point_id for a in alarms] == ["pv-inv-03.W"]
    [alarm] = alarms
    # daylight starts when POA first reaches 200 W/m2; the alarm needs 900 s (3 samples of 5 min) more
    first_daylight = poa[poa >= 200].index[0].timestamp()
    assert alarm.raised_at == first_daylight + 900
    assert "40% of expected" in alarm.message
    # in the evening POA falls below 200 W/m2: the condition clears (after 300 s) and waits for acknowledgement
    assert alarm.state == "cleared_unack"
    engine.close()
