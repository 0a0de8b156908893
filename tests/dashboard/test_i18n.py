"""The catalog: both languages carry the same keys and placeholders, and every key the code uses exists."""

from __future__ import annotations

import re
import string
from pathlib import Path

from dashboard.i18n import CATALOG, EN, ZH, t

DASHBOARD = Path(__file__).resolve().parents[2] / "dashboard"


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_chinese_and_english_have_the_same_keys() -> None:
    assert set(ZH) - set(EN) == set()
    assert set(EN) - set(ZH) == set()


def test_translations_keep_their_placeholders() -> None:
    mismatched = [k for k in ZH if _placeholders(ZH[k]) != _placeholders(EN[k])]
    assert mismatched == []


def test_every_literal_key_used_in_the_console_is_in_the_catalog() -> None:
    used: set[str] = set()
    for path in DASHBOARD.rglob("*.py"):
        used |= set(re.findall(r"\bt\(\w+, \"([a-z_]+\.[a-z0-9_.-]+)\"", path.read_text(encoding="utf-8")))
    assert len(used) > 50  # the scan itself works
    assert sorted(used - set(ZH)) == []


def test_lookup_fills_placeholders_and_shows_missing_keys() -> None:
    assert t("en", "alarms.acked", id=7) == "Alarm #7 acknowledged"
    assert t("zh", "alarms.acked", id=7) == "告警 #7 已确认"
    assert t("en", "no.such.key") == "no.such.key"
    assert set(CATALOG) == {"zh", "en"}


def test_the_carbon_modules_baseline_status_reads_in_the_page_language() -> None:
    from dashboard.pages.carbon import baseline_status

    status = "insufficient baseline data: 0 monthly rows with energy and conditions"  # carbon/report_strategies.py
    assert baseline_status(status, "zh").startswith("基线数据不足：基线期内只有 0 个月度样本")
    assert baseline_status(status, "en").startswith("Insufficient baseline data: only 0 monthly rows")
    assert baseline_status("fitted: CV(RMSE) 8.1 %", "zh") == "fitted: CV(RMSE) 8.1 %"  # other texts as they are
    assert baseline_status(None, "zh") == ""


def test_the_carbon_page_speaks_to_the_user_about_baseline_forecast_and_coverage() -> None:
    from dashboard.pages.carbon import baseline_status, coverage_warning, forecast_note

    none = baseline_status("no baseline configured", "en")
    assert "config/carbon.yaml" not in none and "baseline year" in none
    assert "carbon.yaml" not in baseline_status("insufficient baseline data: 40 monthly rows with x", "zh")
    fitted = baseline_status("valid", "zh", {"cv_rmse_pct": 8.14, "n": 12})
    assert fitted.startswith("基线已拟合（12 个月，CV(RMSE) 8.1 %")
    # no raw method names: run_rate / baseline_model never reach the page
    no_forecast = {"forecast_tco2e": None, "forecast_method": "none"}
    assert forecast_note(no_forecast, "en").startswith("cannot forecast")
    model = {"forecast_tco2e": 6101.7, "forecast_low_tco2e": 6044.6, "forecast_high_tco2e": 6158.7,
             "forecast_method": "baseline_model"}
    assert forecast_note(model, "en") == "range 6,044.6–6,158.7 t · from the baseline model at normal weather"
    report = {"strategies": {"management": {"coverage_below_threshold": True, "coverage": {"data_share": 0.086},
                                            "days_with_data": 31, "days_elapsed": 338}},
              "data_quality": {"coverage_threshold": 0.8}}
    assert "8.6 %" in coverage_warning(report, "en")[0].children
    report["strategies"]["management"]["coverage_below_threshold"] = False
    assert coverage_warning(report, "en") == []


def test_every_audit_event_the_code_records_is_named_in_both_languages() -> None:
    """The audit page showed raw event ids (login_failed) on the Chinese page."""
    import re
    from pathlib import Path

    from dashboard.pages.audit import event_name

    root = Path(__file__).resolve().parents[2]
    sources = [*root.joinpath("dashboard").rglob("*.py"), *root.joinpath("zerocarbon").rglob("*.py")]
    events = {m for f in sources for m in re.findall(r'(?:audit|\.record)\("([a-z_]+)"', f.read_text(encoding="utf-8"))}
    assert {"login", "login_failed", "shelve", "password_changed"} <= events
    for event in events:
        assert event_name(event, "zh") != event and event_name(event, "en") != event, event
    assert (event_name("login_failed", "zh"), event_name("login_failed", "en")) == ("登录失败", "sign-in failed")
    assert event_name("added_next_year", "zh") == "added_next_year"  # unknown: shown as recorded, never blank


def test_the_plans_peak_tile_says_the_months_peak_only_when_the_plan_reaches_above_idle() -> None:
    from dashboard.pages.plan import _peak_note

    above = {"month_peak_kw_so_far": 2500.0, "expected": {"peak_kw_plan": 2346.0, "peak_kw_idle": 1655.0}}
    below = {"month_peak_kw_so_far": 2500.0, "expected": {"peak_kw_plan": 1500.0, "peak_kw_idle": 1655.0}}
    assert _peak_note(above, "en") == ("1,655 kW with the storage idle; this month's peak so far 2,500 kW: the plan "
                                       "may charge up to it, the demand charge is already paid to there")
    assert _peak_note(above, "zh").endswith("本月至今最大需量 2,500 kW：计划可充电至此，此前的需量电费已产生")
    assert _peak_note(below, "en") == "1,655 kW with the storage idle"
