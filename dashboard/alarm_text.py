"""An alarm in the reader's language: which device, where, what rule, and the flags or reading behind it.

The alarm engine stores one English message with raw point ids (``pv-inv-03.Evt1: GROUND_FAULT (0x0001)``),
which is right for logs and notifications. The console instead names the device and its subsystem from
``config/site.yaml`` (``name`` / ``name_zh``, ``name_en`` / ``name_zh``), the rule from the catalog
(``rule.<rule id>``) and each flag it finds in the message (``flag.<NAME>``). Anything it cannot translate is
shown as stored, never dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from alerts.lifecycle import Alarm
from dashboard.i18n import CATALOG, t
from models.site import Site

FLAG = re.compile(r"\b[A-Z][A-Z0-9_]{2,}\b")


@dataclass(frozen=True)
class AlarmText:
    device: str  # the device's name in the reader's language
    where: str  # its subsystem
    text: str  # rule and details


def device_name(site: Site, device_id: str, lang: str) -> str:
    try:
        device = site.device(device_id)
    except KeyError:
        return device_id  # a derived point (carbon.month_budget_used_pct) or a device since removed
    return (device.name_zh if lang == "zh" and device.name_zh else device.name) or device_id


def subsystem_name(site: Site, device_id: str, lang: str) -> str:
    try:
        subsystem = site.subsystem(site.device(device_id).subsystem)
    except KeyError:
        return ""
    return subsystem.name_zh if lang == "zh" else subsystem.name_en


def _details(alarm: Alarm, lang: str) -> str:
    """The flags named in the stored message, translated; else the reading that raised it."""
    catalog = CATALOG.get(lang, CATALOG["zh"])
    flags = [catalog[f"flag.{name}"] for name in FLAG.findall(alarm.message) if f"flag.{name}" in catalog]
    if flags:
        return "、".join(dict.fromkeys(flags)) if lang == "zh" else ", ".join(dict.fromkeys(flags))
    return t(lang, "alarms.value", value=f"{alarm.value:g}") if alarm.value is not None else ""


def alarm_text(site: Site, alarm: Alarm, lang: str) -> AlarmText:
    rule_key = f"rule.{alarm.rule_id}"
    known = rule_key in CATALOG.get(lang, CATALOG["zh"])
    rule = t(lang, rule_key) if known else alarm.message
    details = _details(alarm, lang) if known else ""
    separator = "：" if lang == "zh" else ": "
    return AlarmText(device=device_name(site, alarm.device, lang), where=subsystem_name(site, alarm.device, lang),
                     text=f"{rule}{separator}{details}" if details else rule)
