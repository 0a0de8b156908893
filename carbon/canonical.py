"""Byte-identical JSON for the same inputs: sorted keys, fixed float rounding, no NaN, ISO dates, UTF-8."""

from __future__ import annotations

import json
import math
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

DECIMALS = 6  # enough for kgCO2e/kWh factors (4 dp) and ratios; kWh totals keep 1 mWh resolution


def canonical(value: Any) -> Any:
    """Plain JSON types only: floats rounded to 6 decimals (-0.0 -> 0.0), NaN/inf -> None, dates -> ISO text."""
    if isinstance(value, dict):
        return {str(k): canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [canonical(v) for v in value]
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        f = float(value)
        if not math.isfinite(f):
            return None
        r = round(f, DECIMALS)
        return 0.0 if r == 0 else r
    if isinstance(value, pd.Timestamp | datetime | date):
        return value.isoformat()
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    return value if isinstance(value, str) else str(value)


def dumps(report: dict[str, Any]) -> str:
    return json.dumps(canonical(report), sort_keys=True, ensure_ascii=False, indent=2, allow_nan=False) + "\n"
