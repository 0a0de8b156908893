"""PDF report: HTML + CSS rendered by WeasyPrint with Noto Sans CJK SC (also on the @page margin boxes, which do
not inherit the body font) and matplotlib SVG charts (research/ecosystem.md §1). Bilingual 中文/English."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import jinja2

from carbon.canonical import canonical
from carbon.charts import attribution_svg, monthly_trend_svg
from carbon.tables import report_tables

TEMPLATES = Path(__file__).resolve().parent / "templates"


def fmt(value: Any, unit: str = "") -> str:
    """How a number reads in the PDF: ratios as percentages (1 dp), kWh/kg with thousands separators."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "是 yes" if value else "否 no"
    if isinstance(value, int) and not unit:
        return str(value)
    if isinstance(value, int | float):
        if unit == "ratio":
            return f"{value * 100:,.1f}%"
        if unit in ("kWh", "kgCO2e", "kW", "visitors", "kWh_th"):
            return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}"
        return f"{value:,.3f}" if abs(value) < 1000 else f"{value:,.1f}"
    return str(value)


def render_html(report: dict) -> str:
    report = canonical(report)
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             undefined=jinja2.StrictUndefined)
    env.globals.update(fmt=fmt, short=lambda s: (s or "")[:12])
    tables = {t.id: t for t in report_tables(report)}
    return env.get_template("report.html").render(
        r=report, t=tables, trend_svg=_data_uri(monthly_trend_svg(report["monthly"])),
        attribution_svg=_data_uri(attribution_svg(report["subsystems"])))


def _data_uri(svg: str) -> str:
    # an <img> keeps each chart's element ids to itself (two inline SVGs would share matplotlib's ids)
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def render_pdf(report: dict, out: Path) -> Path:
    import weasyprint  # heavy import (pango): only when a PDF is asked for

    weasyprint.HTML(string=render_html(report), base_url=str(TEMPLATES)).write_pdf(str(out))
    return out
