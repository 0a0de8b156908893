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
