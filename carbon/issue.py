"""Issue a carbon report: load site, factors and carbon config, read the store, build, render, archive.

What the ``report`` command and the dashboard's report button call (both pass an open store). Issued reports
are archived under ``<data_dir>/reports/<period>/<report id>/`` with the factor and carbon files they used; the
id is a hash of the report JSON (which names the factor file's sha256), so a changed factor gives a new archive
entry and never rewrites an issued one.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from carbon.canonical import dumps
from carbon.config import CarbonConfig
from carbon.factors import FactorTable
from carbon.files import CarbonFiles
from carbon.inputs import load_inputs
from carbon.period import Period
from carbon.render_csv import render_csv
from carbon.render_json import render_json
from carbon.render_pdf import render_pdf
from carbon.render_xlsx import render_xlsx
from carbon.report import build_report
from models.loader import load_site
from models.site import Site
from storage.base import Store

RENDERERS: dict[str, Callable[[dict[str, Any], Path], Path]] = {
    "json": render_json, "csv": render_csv, "xlsx": render_xlsx, "pdf": render_pdf,
}


@dataclass(frozen=True)
class ReportFiles:
    site: Site
    factors: FactorTable
    config: CarbonConfig


def load_report_files(site_path: Path, factors_path: Path | None, carbon_path: Path | None) -> ReportFiles:
    """Site, factors and carbon config; the last two default to the site file's directory."""
    site = load_site(site_path)
    factors, config = CarbonFiles.in_dir(Path(site_path).parent, factors_path, carbon_path).both()
    return ReportFiles(site, factors, config)


def inputs_span(period: Period, config: CarbonConfig) -> tuple[date, date]:
    """What the store must give: the baseline period, the year to date and the year before it (the month-of-year
    profile of the forecast), as well as the period itself."""
    starts = [period.start, date(period.start.year - 1, 1, 1)] + ([config.baseline.start] if config.baseline else [])
    return min(starts), period.end


def issue_report(store: Store, files: ReportFiles, period: Period, *, command: str = "",
                 issued_at: str | None = None, step: Callable[[str], None] = lambda _: None) -> dict[str, Any]:
    start, end = inputs_span(period, files.config)
    step("reading the store")
    baseline = files.config.baseline
    hourly_from = min(period.start, baseline.start) if baseline and baseline.granularity == "hourly" else period.start
    inputs = load_inputs(store, files.site, start, end, hourly_from=hourly_from)
    step("computing the report")
    return build_report(inputs, files.factors, files.config, period, command=command, issued_at=issued_at)


def render(report: dict[str, Any], fmt: str, out: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    return RENDERERS[fmt](report, out)


def archive(report: dict[str, Any], files: ReportFiles, data_dir: Path, rendered: Path | None = None) -> Path:
    """Keep the issued report, its JSON and the factor/carbon files it used; existing entries are never touched."""
    text = dumps(report)
    report_id = hashlib.sha256(text.encode()).hexdigest()[:16]
    folder = data_dir / "reports" / str(report["period"]["label"]) / report_id
    folder.mkdir(parents=True, exist_ok=True)
    _keep(folder / "report.json", lambda p: p.write_text(text, encoding="utf-8"))
    _keep(folder / "emission_factors.yaml", lambda p: shutil.copyfile(files.factors.source, p))
    _keep(folder / "carbon.yaml", lambda p: shutil.copyfile(files.config.source, p))
    if rendered is not None and rendered.suffix != ".json":
        _keep(folder / f"report{rendered.suffix}", lambda p: shutil.copyfile(rendered, p))
    return folder


def _keep(path: Path, write: Callable[[Path], object]) -> None:
    if not path.exists():
        write(path)
