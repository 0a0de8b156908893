"""docs/configuration.md shows the error each omission from a site file gives: those are the real messages."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from models.errors import ConfigError
from models.loader import load_site

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")


def without(*path: str | int) -> Callable[[Any], None]:
    def change(data: Any) -> None:
        for key in path[:-1]:
            data = data[key]
        del data[path[-1]]

    return change


def setting(value: Any, *path: str | int) -> Callable[[Any], None]:
    def change(data: Any) -> None:
        for key in path[:-1]:
            data = data[key]
        data[path[-1]] = value

    return change


OMISSIONS = [
    (without("site", "timezone"), "site.timezone: required key is missing; add it"),
    (setting("Asia/Zhuhai", "site", "timezone"),
     "site.timezone: unknown time zone; use an IANA name such as 'Asia/Shanghai' (got 'Asia/Zhuhai')"),
    (without("subsystems"), "subsystems: required key is missing; add it"),
    (without("energy_systems", "grid"), "energy_systems.grid: required key is missing; add it"),
    (setting([], "energy_systems", "grid", 0, "meters"),
     "energy_systems.grid[0].meters: List should have at least 1 item after validation, not 0"),
    (setting(["grid-meter-9"], "energy_systems", "grid", 0, "meters"),
     "energy_systems.grid[0].meters[0]: unknown device 'grid-meter-9' (did you mean 'grid-meter-2'?)"),
    (without("devices", 0, "template"), "devices[0].template: required key is missing; add it"),
    (setting("chillers", "devices", 0, "subsystem"),
     "devices[0].subsystem: unknown subsystem 'chillers' (did you mean 'chiller_plant'?)"),
]


@pytest.mark.parametrize(("change", "says"), OMISSIONS, ids=[s.split(":")[0] for _, s in OMISSIONS])
def test_the_documented_message_is_the_one_check_config_gives(change: Callable[[Any], None], says: str,
                                                               tmp_path: Path) -> None:  # fmt: skip
    data = copy.deepcopy(yaml.safe_load((ROOT / "config" / "site.yaml").read_text(encoding="utf-8")))
    change(data)
    site = tmp_path / "site.yaml"
    site.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_site(site, ROOT / "config" / "templates")
    found = [str(p).removeprefix(f"{site}:") for p in caught.value.problems]
    assert len(found) == 1 and says in found[0], found
    assert f"site.yaml:{found[0]}" in DOC or says in DOC  # the doc shows it, with its line where it has one
