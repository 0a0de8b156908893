"""Renderers: JSON bytes, CSV injection defence, XLSX read back with openpyxl, PDF checked as rendered pages."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest

from carbon.period import parse_period
from carbon.render_csv import render_csv
from carbon.render_json import render_json
from carbon.render_pdf import fmt, render_pdf
from carbon.render_xlsx import render_xlsx
from carbon.report import build_report


@pytest.fixture(scope="module")
def report(inputs, factors, config):  # type: ignore[no-untyped-def]
    return build_report(inputs, factors, config, parse_period("2026-10"), command="zerocarbon report --period 2026-10")


def test_json_file_is_byte_identical_across_runs(report, tmp_path: Path):  # type: ignore[no-untyped-def]
    a, b = render_json(report, tmp_path / "a.json"), render_json(report, tmp_path / "b.json")
    assert a.read_bytes() == b.read_bytes()
    assert "冷站系统" in a.read_text(encoding="utf-8")  # UTF-8, not \\u escapes


def test_csv_keeps_numbers_numeric_and_defuses_formulas(report, tmp_path: Path):  # type: ignore[no-untyped-def]
    rows = list(csv.DictReader(render_csv(report, tmp_path / "r.csv").open(encoding="utf-8")))
    project = next(r for r in rows if r["table"] == "instruments" and r["column"] == "project")
    assert project["value"] == "'=HYPERLINK(\"http://evil\")"
    imports = next(r for r in rows if r["table"] == "sources" and r["column"] == "energy_kwh")
    assert float(imports["value"]) == pytest.approx(report["energy_kwh"]["grid_import"], rel=1e-9)
    assert imports["unit"] == "kWh"


def test_xlsx_has_real_numbers_units_in_headers_and_no_formulas(report, tmp_path: Path):  # type: ignore[no-untyped-def]
    book = openpyxl.load_workbook(render_xlsx(report, tmp_path / "r.xlsx"))
    sheet = book["sources"]
    assert sheet.cell(2, 3).value == "电量 Energy (kWh)"
    value = sheet.cell(3, 3).value  # grid import row
    assert isinstance(value, float) and value == pytest.approx(report["energy_kwh"]["grid_import"], rel=1e-9)
    instruments = book["instruments"]
    cells = [c for row in instruments.iter_rows() for c in row]
    assert all(c.data_type != "f" for c in cells)
    assert any(c.value == "'=HYPERLINK(\"http://evil\")" and c.data_type == "s" for c in cells)
    assert set(book.sheetnames) >= {"summary", "scope2", "monthly", "subsystems", "baseline", "factors"}


def _need(tool: str) -> None:
    # never a silent skip: `make test` installs these (scripts/system-deps.sh test)
    assert shutil.which(tool), f"{tool} missing: run scripts/system-deps.sh test (poppler-utils, tesseract-ocr)"


def test_pdf_first_page_read_back_by_ocr_shows_chinese_and_both_scope2_numbers(report, tmp_path: Path):  # type: ignore[no-untyped-def]
    _need("pdftoppm")
    _need("tesseract")
    pdf = render_pdf(report, tmp_path / "r.pdf")
    subprocess.run(["pdftoppm", "-png", "-r", "150", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "p")],
                   check=True)
    image = next(tmp_path.glob("p-*.png"))
    seen = subprocess.run(["tesseract", str(image), "-", "-l", "chi_sim+eng"], capture_output=True, text=True,
                          check=True, env={**os.environ, "OMP_THREAD_LIMIT": "1"}).stdout  # 2 shared cores
    flat = seen.replace(" ", "")  # chi_sim puts spaces between CJK glyphs
    assert "碳排放报告" in flat and "测试站点" in flat  # CJK glyphs really drawn on the page image
    s2 = report["scope2"]
    # the scope table on page 1 prints kgCO2e with thousands separators, e.g. 8,986 and 6,238
    assert fmt(s2["location_based_kgco2e"], "kgCO2e") in seen
    assert fmt(s2["market_based_kgco2e"], "kgCO2e") in seen


def test_pdf_pages_render_and_show_the_key_numbers(report, tmp_path: Path):  # type: ignore[no-untyped-def]
    _need("pdftoppm")
    pdf = render_pdf(report, tmp_path / "r.pdf")
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    s2 = report["scope2"]
    for needle in (
        "碳排放报告", "Carbon report", "冷站系统", "降碳需", "提碳效", "碳抵消", "碳管理",
        fmt(s2["location_based_kgco2e"], "kgCO2e"), fmt(s2["market_based_kgco2e"], "kgCO2e"),  # Scope 2 both ways
        "GEC-0001", "CCER-1",  # serials
        "cn-south-grid-2023", "0.4042", "2026.11-1",  # factor, its value and the version
        "zerocarbon report --period 2026-10",  # the command that reproduces it
    ):
        assert needle in text, needle
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "Noto-Sans-CJK-SC" in fonts and "JP" not in fonts  # margin boxes too (no JP/Serif fallback)
    subprocess.run(["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "3", str(pdf), str(tmp_path / "page")],
                   check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) == 3 and all(p.stat().st_size > 5000 for p in pages)  # real pages, not blank
    text_page1 = subprocess.run(["pdftotext", "-f", "1", "-l", "1", str(pdf), "-"], capture_output=True,
                                text=True, check=True).stdout
    assert "第 1 页 / Page 1 of" in text_page1  # CJK in the @page margin box
