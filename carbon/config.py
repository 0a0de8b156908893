"""``config/carbon.yaml``: area basis, factor regions, budget and targets, baseline settings, GB/T 51366 options,
coverage threshold, Scope 1 fuel deliveries and declared instruments (GEC, green power, CCER). Errors name
file:line and key."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from carbon.instruments import Instrument
from models.errors import ConfigError
from models.yaml_source import known_fields, read_config_file, validation_problems


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Area(_Frozen):
    area_m2: float = Field(gt=0)
    basis: Literal["gross_floor_area", "conditioned_area"] = "gross_floor_area"


class FactorChoice(_Frozen):
    location_region: str = "CN-South"
    residual_region: str = "CN"


class BaselineSettings(_Frozen):
    start: date
    end: date
    form: Literal["cdd_visitors", "three_parameter_cooling"] = "cdd_visitors"
    granularity: Literal["monthly", "daily", "hourly"] = "monthly"  # hourly: time-of-week + temperature
    cdd_base_c: float = 18.0
    cvrmse_max_pct: float = Field(default=25.0, gt=0)
    nmbe_max_pct: float = Field(default=5.0, gt=0)
    max_gap_share: float = Field(default=0.10, ge=0, le=1)

    @model_validator(mode="after")
    def _ordered(self) -> BaselineSettings:
        if self.end <= self.start:
            raise ValueError("baseline end must be after start (end is exclusive)")
        return self


class Gbt51366(_Frozen):
    renewable_subtraction: Literal["self_consumed", "gross_generation"] = "self_consumed"
    green_sink_kgco2_per_a: float = Field(default=0.0, ge=0)
    exclude_ev_charging: bool = False


class CoverageSettings(_Frozen):
    # a figure resting on data for less than this share of its intervals is shown with a warning
    min_data_share: float = Field(default=0.80, ge=0, le=1)


class MarketBased(_Frozen):
    onsite_gecs_sold: bool = False


class FuelUse(_Frozen):
    id: str
    fuel: str
    date: date
    quantity: float = Field(ge=0)
    note: str = ""


class InstrumentEntry(_Frozen):
    kind: Literal["gec", "green_power", "ccer"]
    id: str
    serial_from: str
    serial_to: str
    quantity: float = Field(gt=0)
    vintage_start: date
    vintage_end: date
    status: Literal["held", "retired"]
    claim_start: date | None = None
    claim_end: date | None = None
    retired_on: date | None = None
    project: str = ""
    emission_factor_kgco2e_per_kwh: float = Field(default=0.0, ge=0)

    def instrument(self) -> Instrument:
        return Instrument(**self.model_dump())


class CarbonConfig(_Frozen):
    area: Area
    factors: FactorChoice = FactorChoice()
    budget_tco2e: dict[int, float] = Field(default_factory=dict)
    targets: dict[str, float] = Field(default_factory=dict)
    baseline: BaselineSettings | None = None
    gbt51366: Gbt51366 = Gbt51366()
    market_based: MarketBased = MarketBased()
    coverage: CoverageSettings = CoverageSettings()
    fuels: list[FuelUse] = Field(default_factory=list)
    instruments: list[InstrumentEntry] = Field(default_factory=list)
    source: str = ""
    sha256: str = ""

    def declared_instruments(self) -> list[Instrument]:
        return [i.instrument() for i in self.instruments]


_WORDS = known_fields(Area, FactorChoice, BaselineSettings, Gbt51366, MarketBased, CoverageSettings, FuelUse,
                      InstrumentEntry, CarbonConfig)


def load_carbon_config(path: str | Path) -> CarbonConfig:
    """Load ``config/carbon.yaml``; every problem at once as ``file:line key: message`` in a ConfigError."""
    path = Path(path)
    source = read_config_file(path, "pass config/carbon.yaml")
    data = dict(source.data or {})
    try:
        parsed = CarbonConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(validation_problems(source, exc, _WORDS)) from None
    problems = []
    for i, inst in enumerate(parsed.instruments):
        if inst.status == "retired" and inst.kind != "ccer" and (inst.claim_start is None or inst.claim_end is None):
            problems.append(source.problem(("instruments", i), "a retired GEC/green-power instrument needs "
                                           "claim_start and claim_end (the consumption period it backs)"))
        if inst.kind == "ccer" and inst.status == "retired" and inst.retired_on is None:
            problems.append(source.problem(("instruments", i, "retired_on"), "a retired CCER needs retired_on"))
    if problems:
        raise ConfigError(problems)
    digest = hashlib.sha256(source.text.encode()).hexdigest()
    return parsed.model_copy(update={"source": str(path), "sha256": digest})
