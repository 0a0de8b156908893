"""Report downloads: a plain Flask route so the browser saves a real file, guarded by the export permission.

``GET /download/report?period=<this_month|last_month|this_year|last_year>&format=<json|csv|xlsx|pdf>``
answers 401 when signed out and 403 for roles without ``export`` (viewer, operator).
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask, Response, abort, request

from dashboard.auth import Permission, allowed
from dashboard.context import Console

FORMATS = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}
PERIODS = ("this_month", "last_month", "this_year", "last_year")


def period_bounds(period: str, now: datetime, console: Console) -> tuple[datetime, datetime]:
    """Local calendar bounds of a period name, as UTC instants (reports follow the site's calendar)."""
    local = now.astimezone(console.timezone).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    if period == "this_month":
        start, end = local, now.astimezone(console.timezone)
    elif period == "last_month":
        end = local
        start = (local.replace(year=local.year - 1, month=12) if local.month == 1
                 else local.replace(month=local.month - 1))
    elif period == "this_year":
        start, end = local.replace(month=1), now.astimezone(console.timezone)
    elif period == "last_year":
        start, end = local.replace(year=local.year - 1, month=1), local.replace(month=1)
    else:
        raise ValueError(f"unknown period {period!r}: use one of {', '.join(PERIODS)}")
    return start.astimezone(UTC), end.astimezone(UTC)


def install(server: Flask, console: Console) -> None:
    @server.route("/download/report")
    def _report() -> Response:
        if not allowed(Permission.EXPORT):
            abort(403, "your role may not export reports: ask an admin for the auditor role")
        period, fmt = request.args.get("period", "this_month"), request.args.get("format", "pdf")
        if period not in PERIODS or fmt not in FORMATS:
            abort(400, f"period must be one of {', '.join(PERIODS)} and format one of {', '.join(FORMATS)}")
        start, end = period_bounds(period, console.now(), console)
        body = render_report(console, start, end, fmt)
        name = f"carbon-report-{start.astimezone(console.timezone):%Y-%m-%d}_{period}.{fmt}"
        return Response(body, mimetype=FORMATS[fmt],
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})


def render_report(console: Console, start: datetime, end: datetime, fmt: str) -> bytes:
    """The carbon module's report for ``[start, end)`` in ``fmt`` (same model as ``zerocarbon report``)."""
    from dashboard.report_bridge import report_bytes

    return report_bytes(console, start, end, fmt)
