"""PV underperformance: measured inverter power against what the sun on the panels should give.

Expected AC power is :func:`models.pv_expectation.expected_ac_w`, the one PV model the carbon module's
performance ratios use too: PVWatts ``P_dc = pdc0 * POA/1000 * (1 + gamma_pdc * (T_module - 25))`` with the
measured module temperature and 25 degC, as IEC 61724-1's temperature-corrected PR defines it, times a nominal
inverter efficiency. It uses the weather station's measured plane-of-array irradiance and module temperature,
so clouds lower the
expectation as well as the output and only the inverter's own losses (a tripped string, soiling, a fault)
raise the alarm. Daylight means POA at or above the rule's ``min_poa_wm2``; below it the condition clears.
"""

from __future__ import annotations

from alerts.conditions import AlarmSource, Checker
from alerts.rule_loader import PvContext
from alerts.rules import Underperformance
from models.pv_expectation import expected_ac_w
from models.reading import Reading

MAX_WEATHER_AGE_S = 300.0  # older irradiance says nothing about now (a dead weather station must not alarm)


class UnderperformanceChecker(Checker):
    """memo is (expected W, POA, module temperature) of the last evaluation, for the message."""

    def __init__(self, c: Underperformance, pv: PvContext, weather: dict[str, tuple[float, float]]) -> None:
        self.c, self.pv, self.weather = c, pv, weather

    def check(self, s: AlarmSource, r: Reading) -> bool | None:
        if r.value is None:
            return None
        poa, tmod = self.weather.get(self.pv.irradiance_id), self.weather.get(self.pv.module_temperature_id)
        if poa is None or tmod is None or r.ts - min(poa[0], tmod[0]) > MAX_WEATHER_AGE_S:
            return None
        s.value = r.value
        if poa[1] < self.c.min_poa_wm2:
            return False  # night or heavy overcast: no judgement, and a daytime alarm may clear
        expected = expected_ac_w(poa[1], tmod[1], self.pv.pdc0_w, self.pv.gamma_pdc_per_c, self.c.inverter_efficiency)
        s.memo = (expected, poa[1], tmod[1])
        return r.value < self.c.fraction * expected

    def describe(self, s: AlarmSource) -> str:
        expected, poa, tmod = s.memo or (0.0, 0.0, 0.0)
        measured = s.value or 0.0
        share = 100.0 * measured / expected if expected else 0.0
        return (
            f"{s.meta.info.id} = {measured / 1000:.1f} kW, {share:.0f}% of expected {expected / 1000:.1f} kW "
            f"(POA {poa:.0f} W/m2, module {tmod:.1f} degC; alarm below {self.c.fraction:.0%})"
        )
