"""The console's two languages: Chinese first (the building's operators), English beside it.

``t(lang, key, **values)`` looks a label up in :mod:`dashboard.locales` and fills ``{placeholders}``. A missing
key shows the key itself (visible in review, never a crash); ``tests/dashboard/test_i18n.py`` keeps both
languages' keys and placeholders identical.
"""

from __future__ import annotations

from dashboard.locales.en import EN
from dashboard.locales.zh import ZH

LANGUAGES = ("zh", "en")
CATALOG: dict[str, dict[str, str]] = {"zh": ZH, "en": EN}


def t(lang: str, key: str, **values: object) -> str:
    text = CATALOG.get(lang, ZH).get(key, key)
    return text.format(**values) if values else text
