"""JSON report: the canonical form of the report model (docs/report-schema.md); same inputs, same bytes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from carbon.canonical import dumps


def render_json(report: dict[str, Any], out: Path) -> Path:
    out.write_text(dumps(report), encoding="utf-8")
    return out
