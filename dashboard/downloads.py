"""Report downloads: a plain Flask route so the browser saves a real file, guarded by the export permission.

``GET /download/report?period=<period>&format=<json|csv|xlsx|pdf>``, where the period is this_month,
last_month, this_year, last_year or any label ``zerocarbon report --period`` takes (2026-10, 2026-Q3, 2026);
answers 401 when signed out and 403 for roles without ``export`` (viewer, operator).
"""

from __future__ import annotations

from datetime import datetime

from flask import Flask, Response, abort, request

from carbon.period import parse_period
from dashboard.auth import Permission, audit, authorize
from dashboard.context import Console
from dashboard.report_bridge import report_bytes
from models.errors import ConfigError

FORMATS = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}
PERIODS = ("this_month", "last_month", "this_year", "last_year")


def period_label(period: str, now: datetime, console: Console) -> str:
    """The carbon module's period label (``2026-10``, ``2026``) of a named period in the site's calendar."""
    local = now.astimezone(console.timezone)
    last_month = (local.year - 1, 12) if local.month == 1 else (local.year, local.month - 1)
    labels = {
        "this_month": f"{local.year}-{local.month:02d}",
        "last_month": f"{last_month[0]}-{last_month[1]:02d}",
        "this_year": f"{local.year}",
        "last_year": f"{local.year - 1}",
    }
    if period not in labels:
        raise ValueError(f"unknown period {period!r}: use one of {', '.join(PERIODS)}")
    return labels[period]


def install(server: Flask, console: Console) -> None:
    @server.route("/download/report")
    def _report() -> Response:
        if not authorize(Permission.EXPORT, "export", request.full_path):
            abort(403, "your role may not export reports: ask an admin for the auditor role")
        period, fmt = request.args.get("period", "this_month"), request.args.get("format", "pdf")
        if fmt not in FORMATS:
            abort(400, f"format must be one of {', '.join(FORMATS)}")
        try:  # a named period, or any month, quarter or year the CLI takes (2026-10, 2026-Q3, 2026)
            label = period_label(period, console.now(), console) if period in PERIODS else parse_period(period).label
        except ValueError as exc:
            abort(400, f"{exc}; or one of {', '.join(PERIODS)}")
        try:
            body = report_bytes(console, parse_period(label), fmt)
        except ImportError:
            abort(503, f"the {fmt} renderer (carbon.render_{fmt}) is not installed")
        except ConfigError as exc:
            abort(500, f"carbon configuration problem: {exc}")
        name = f"zerocarbon-carbon-report-{label}.{fmt}"
        audit("export", name)
        return Response(body, mimetype=FORMATS[fmt],
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})
