"""The console's two languages: Chinese first (the building's operators), English beside it.

``t(lang, key, **values)`` looks a label up in :mod:`dashboard.locales` and fills ``{placeholders}``. A missing
key shows the key itself (visible in review, never a crash); ``tests/dashboard/test_i18n.py`` keeps both
languages' keys and placeholders identical.
"""

from __future__ import annotations

from dashboard.locales.en import EN as EN_PAGES
from dashboard.locales.en_ops import EN_OPS
from dashboard.locales.zh import ZH as ZH_PAGES
from dashboard.locales.zh_ops import ZH_OPS

LANGUAGES = ("zh", "en")
ZH: dict[str, str] = {**ZH_PAGES, **ZH_OPS}
EN: dict[str, str] = {**EN_PAGES, **EN_OPS}
CATALOG: dict[str, dict[str, str]] = {"zh": ZH, "en": EN}


def known_lang(lang: str | None) -> str:
    """The browser's stored language if the console speaks it, else Chinese (a cleared or foreign store)."""
    return lang if lang in LANGUAGES else "zh"


def t(lang: str, key: str, **values: object) -> str:
    text = CATALOG.get(lang, ZH).get(key, key)
    return text.format(**values) if values else text
