"""``config/planning.yaml``: the carbon price, storage wear and forecast windows the plan uses, checked."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from models.errors import ConfigError
from models.yaml_source import known_fields, read_config_file, validation_problems


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CarbonPrice(_Strict):
    price_yuan_per_tco2e: float = Field(ge=0)
    price_status: Literal["official", "secondary", "unconfirmed"] = "unconfirmed"
    factor_region: str = "CN-South"


class StoragePolicy(_Strict):
    throughput_yuan_per_kwh: float = Field(default=0.01, ge=0)
    grid_charging: bool = True
    start_soc: float = Field(default=0.10, ge=0, le=1)
    end_soc: float = Field(default=0.10, ge=0, le=1)


class ForecastWindows(_Strict):
    calibration_days: int = Field(default=14, ge=1)
    clearness_days: float = Field(default=7, gt=0)  # half-life of the weighted clearness, days
    history_days: int = Field(default=364, ge=7)  # load models' training, read once a day for the day's fit
    recent_days: int = Field(default=56, ge=14)  # read by every plan: clearness, calibration, visitors, month peak
    # no wildcards, and outside the gateways' zc/ tree: their collector subscribes zc/# and dead-letters what no
    # device uses (the demo logged an unknown_topic for every forecast)
    weather_topic: str = Field(default="forecast/weather", min_length=1, pattern=r"^[^#+]+$")


class PlanningConfig(_Strict):
    carbon: CarbonPrice
    storage: StoragePolicy = StoragePolicy()
    forecast: ForecastWindows = ForecastWindows()


def load_planning_config(path: str | Path) -> PlanningConfig:
    source = read_config_file(Path(path), "pass config/planning.yaml")
    try:
        return PlanningConfig.model_validate(source.data)
    except ValidationError as exc:
        words = known_fields(PlanningConfig, CarbonPrice, StoragePolicy, ForecastWindows)
        raise ConfigError(validation_problems(source, exc, words)) from None
