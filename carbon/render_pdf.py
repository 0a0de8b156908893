"""PDF report: HTML + CSS rendered by WeasyPrint with Noto Sans CJK SC (also on the @page margin boxes, which do
not inherit the body font) and matplotlib SVG charts (research/ecosystem.md §1). Bilingual 中文/English."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import jinja2

from carbon.canonical import canonical
from carbon.charts import attribution_svg, monthly_trend_svg
from carbon.tables import Column, Table, report_tables

TEMPLATES = Path(__file__).resolve().parent / "templates"


# decimals by unit: energy and mass to the kWh/kg, power to 0.1 kW, percentages to 0.1 %
DECIMALS = {"kWh": 0, "kgCO2e": 0, "kgCO2e/a": 0, "kWh_th": 0, "visitors": 0, "kW": 1, "%": 1, "tCO2e": 1, "d": 0,
            "h": 0, "m²": 0, "GEC": 0, "yuan": 0, "°C": 1, "kWh/m²": 2, "kWh/(m²·a)": 1, "kgCO2e/m²": 3,
            "kgCO2e/(m²·a)": 2}


def fmt(value: Any, unit: str = "") -> str:
    """How a number reads in the PDF: by its unit (tables already hold ratios as %), thousands separated."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "是 yes" if value else "否 no"
    if isinstance(value, int) and not unit:
        return str(value)
    if isinstance(value, int | float):
        places = DECIMALS.get(unit)
        if places is None:
            places = 3 if abs(value) < 1000 else 1
        text = f"{value:,.{places}f}"
        return text + " %" if unit == "%" else text
    return str(value)


def row_unit(table: Table, row: list[Any], column: Column) -> str:
    """The unit a cell reads in: a metric table's unit column names it per row, other tables per column."""
    keys = [c.key for c in table.columns]
    if column.key == "value" and "unit" in keys:
        return str(row[keys.index("unit")] or "")
    return column.shown_unit


def render_html(report: dict[str, Any]) -> str:
    report = canonical(report)
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             undefined=jinja2.StrictUndefined)
    env.globals.update(fmt=fmt, row_unit=row_unit, short=lambda s: (s or "")[:12],
                       pct=lambda v: fmt(None if v is None else v * 100.0, "%"))
    tables = {t.id: t for t in report_tables(report)}
    return env.get_template("report.html").render(
        r=report, t=tables, trend_svg=_data_uri(monthly_trend_svg(report["monthly"])),
        attribution_svg=_data_uri(attribution_svg(report["subsystems"])))


def _data_uri(svg: str) -> str:
    # an <img> keeps each chart's element ids to itself (two inline SVGs would share matplotlib's ids)
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def render_pdf(report: dict[str, Any], out: Path) -> Path:
    import weasyprint  # heavy import (pango): only when a PDF is asked for

    weasyprint.HTML(string=render_html(report), base_url=str(TEMPLATES)).write_pdf(str(out))
    return out
