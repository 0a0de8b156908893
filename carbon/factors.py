"""Emission factors: load ``config/emission_factors.yaml``, check it (file:line errors), select by date and region.

A factor applies to consumption dates in ``[valid_from, valid_to)``; two factors of the same kind and region may
not overlap. ``monthly`` or ``hourly`` values, when given, replace ``value`` for those intervals. The table's
``version`` and the sha256 of the file name exactly what a report used.
"""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from models.errors import ConfigError, ConfigProblem
from models.yaml_source import YamlSource, known_fields, read_config_file, validation_problems

Kind = Literal["electricity_location", "electricity_residual", "electricity_supplier", "fuel"]


class Factor(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    kind: Kind
    region: str
    region_zh: str = ""
    value: float = Field(ge=0)
    unit: Literal["kgCO2/kWh", "kgCO2e/kWh", "kgCO2/TJ", "kgCO2e/TJ"]
    data_year: int
    document: str = Field(min_length=1)
    source: str = Field(min_length=1)
    status: Literal["official", "secondary", "unconfirmed"]
    valid_from: date
    valid_to: date
    monthly: dict[int, float] = Field(default_factory=dict)
    hourly: list[float] | None = Field(default=None, min_length=24, max_length=24)
    fuel: str | None = None
    fuel_unit: str | None = None
    ncv_gj_per_unit: float | None = Field(default=None, gt=0)


class FactorFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    version: str = Field(min_length=1)
    factors: list[Factor] = Field(min_length=1)


class FactorTable(BaseModel):
    model_config = ConfigDict(frozen=True)

    version: str
    sha256: str
    source: str
    factors: list[Factor]

    def select(self, kind: str, region: str, when: date) -> Factor:
        """The factor of ``kind`` and ``region`` valid on ``when``; raises naming the file and the fix."""
        for f in self.factors:
            if f.kind == kind and f.region == region and f.valid_from <= when < f.valid_to:
                return f
        regions = sorted({f.region for f in self.factors if f.kind == kind})
        raise ConfigError([ConfigProblem(self.source, None, f"factors[kind={kind}, region={region}]",
                                         f"no factor valid on {when.isoformat()} (regions with this kind: "
                                         f"{', '.join(regions) or 'none'}); add one with a validity covering it")])

    def fuel(self, fuel: str, when: date) -> Factor:
        for f in self.factors:
            if f.kind == "fuel" and f.fuel == fuel and f.valid_from <= when < f.valid_to:
                return f
        raise ConfigError([ConfigProblem(self.source, None, f"factors[fuel={fuel}]",
                                         f"no fuel factor valid on {when.isoformat()}; add one")])

    def series(self, kind: str, region: str, index: pd.DatetimeIndex) -> tuple[pd.Series, list[Factor]]:
        """Factor value for each timestamp (local, tz-aware) of ``index`` and the factors used, in id order."""
        values = np.full(len(index), np.nan)
        used: dict[str, Factor] = {}
        days = index.tz_localize(None).normalize() if index.tz is not None else index.normalize()
        for f in self.factors:
            if f.kind != kind or f.region != region:
                continue
            mask = (days >= pd.Timestamp(f.valid_from)) & (days < pd.Timestamp(f.valid_to))
            if mask.any():
                values[mask] = _interval_values(f, index[mask])
                used[f.id] = f
        if np.isnan(values).any():
            first = index[np.isnan(values)][0]
            self.select(kind, region, first.date())  # raises with the fix
        return pd.Series(values, index=index), [used[k] for k in sorted(used)]


def _interval_values(f: Factor, index: pd.DatetimeIndex) -> np.ndarray:
    if f.hourly is not None:
        return np.take(np.asarray(f.hourly, dtype=float), np.asarray(index.hour))
    if f.monthly:
        return np.array([f.monthly.get(m, f.value) for m in index.month])
    return np.full(len(index), f.value)


_WORDS = known_fields(Factor, FactorFile)


def load_factors(path: str | Path) -> FactorTable:
    """Load and check a factor file; all problems at once as ``file:line key: message`` in a ConfigError."""
    path = Path(path)
    source = read_config_file(path, "pass config/emission_factors.yaml")
    try:
        parsed = FactorFile.model_validate(source.data)
    except ValidationError as exc:
        raise ConfigError(validation_problems(source, exc, _WORDS)) from None
    problems = _cross_check(parsed, source)
    if problems:
        raise ConfigError(problems)
    digest = hashlib.sha256(source.text.encode()).hexdigest()
    return FactorTable(version=parsed.version, sha256=digest, source=str(path), factors=parsed.factors)


def _cross_check(parsed: FactorFile, source: YamlSource) -> list[ConfigProblem]:
    problems: list[ConfigProblem] = []
    seen: dict[str, int] = {}
    for i, f in enumerate(parsed.factors):
        loc = ("factors", i)
        if f.id in seen:
            problems.append(source.problem((*loc, "id"), f"duplicate id {f.id!r} (first at factors[{seen[f.id]}])"))
        seen.setdefault(f.id, i)
        if f.valid_to <= f.valid_from:
            problems.append(source.problem((*loc, "valid_to"), "valid_to must be after valid_from (exclusive end)"))
        if f.kind == "fuel" and (f.fuel is None or f.ncv_gj_per_unit is None or f.fuel_unit is None):
            problems.append(source.problem(loc, "a fuel factor needs fuel, fuel_unit and ncv_gj_per_unit"))
        if f.kind != "fuel" and f.unit.endswith("/TJ"):
            problems.append(source.problem((*loc, "unit"), "electricity factors are per kWh"))
        bad_months = [m for m in f.monthly if not 1 <= m <= 12]
        if bad_months:
            problems.append(source.problem((*loc, "monthly"), f"months must be 1-12, got {bad_months}"))
        for j, g in enumerate(parsed.factors[:i]):
            same = (g.kind, g.region, g.fuel) == (f.kind, f.region, f.fuel)
            if same and g.valid_from < f.valid_to and f.valid_from < g.valid_to:
                msg = f"validity overlaps factor {g.id!r} (factors[{j}]) of the same kind and region"
                problems.append(source.problem((*loc, "valid_from"), msg))
    return problems
