"""The Zhuhai Citizen Service Center as declared in config/site.yaml."""

from __future__ import annotations

from models.reading import point_id, split_point_id
from models.resolve import device_points, register_points
from models.site import ModbusConnection, Site
from models.sunspec import chain_layout, model_length
from models.template import ModbusTemplate
from models.vocabulary import EnergyRole, PointKind


def test_site_declares_the_service_centre(site: Site) -> None:
    assert site.info.name_zh == "珠海市民服务中心"
    assert (site.info.latitude, site.info.longitude) == (22.27, 113.58)
    assert site.info.timezone == "Asia/Shanghai"
    assert site.info.gross_floor_area_m2 == 202_600


def test_all_17_subsystems_are_named_in_chinese_and_english(site: Site) -> None:
    assert len(site.subsystems) == 17
    assert len({s.id for s in site.subsystems}) == 17
    for s in site.subsystems:
        assert s.name_en and s.name_zh
        assert any("\u4e00" <= ch <= "\u9fff" for ch in s.name_zh), s.name_zh
    ids = {s.id for s in site.subsystems}
    assert {"chiller_plant", "ev_charging", "visitor_queue", "street_lights", "data_centre"} <= ids


def test_energy_systems_pv_wind_storage_grid(site: Site) -> None:
    es = site.energy_systems
    (pv,) = es.pv
    assert pv.module_area_m2 == 8000
    assert pv.capacity_kwp == 1600  # ~200 Wp/m² of modules
    assert sum(site.device(i).rated_kw or 0 for i in pv.inverters) == pv.capacity_kwp
    assert len(es.wind) >= 1 and len(es.storage) >= 1 and len(es.grid) == 1
    for turbine in es.wind:
        assert site.device(turbine.device).template == "wind-turbine"


def test_every_subsystem_has_a_sub_meter_for_attribution(site: Site) -> None:
    metered = {
        p.subsystem
        for p in site.points()
        if p.role in (EnergyRole.CONSUMPTION, EnergyRole.EV_CHARGING) and p.kind is PointKind.ENERGY_COUNTER
    }
    assert metered == {s.id for s in site.subsystems}


def test_energy_balance_roles_are_each_backed_by_a_counter(site: Site) -> None:
    counters = {p.role for p in site.points() if p.kind is PointKind.ENERGY_COUNTER}
    for role in (
        EnergyRole.GRID_IMPORT,
        EnergyRole.GRID_EXPORT,
        EnergyRole.PV,
        EnergyRole.WIND,
        EnergyRole.BATTERY_CHARGE,
        EnergyRole.BATTERY_DISCHARGE,
        EnergyRole.EV_CHARGING,
    ):
        assert role in counters, role


def test_point_ids_are_unique_and_round_trip(site: Site) -> None:
    ids = [p.id for p in site.points()]
    assert len(ids) == len(set(ids))
    for pid in ids[:50]:
        device, name = split_point_id(pid)
        assert point_id(device, name) == pid


def test_sunspec_inverter_map_comes_from_the_official_models(site: Site) -> None:
    template = site.templates["sunspec-inverter"]
    assert isinstance(template, ModbusTemplate)
    points = {p.name: p for p in register_points(template)}
    # standard layout: 'SunS' at 40000, model 1 (L=66) at 40002, model 103 (L=50) at 40070
    assert chain_layout(template.sunspec) == [(1, 40002, 66), (103, 40070, 50)]  # type: ignore[arg-type]
    assert model_length(103) == 50
    assert points["W"].address == 40084 and points["W"].scale_factor == "W_SF"
    assert points["WH"].accumulator and points["WH"].kind is PointKind.ENERGY_COUNTER
    assert points["Evt1"].flags[7] == "OVER_TEMP"
    assert points["AphC"].sentinel == 0xFFFF


def test_modbus_devices_have_distinct_endpoints(site: Site) -> None:
    endpoints = [
        (d.connection.host, d.connection.port, d.connection.unit_id)
        for d in site.devices
        if isinstance(d.connection, ModbusConnection)
    ]
    assert len(endpoints) == len(set(endpoints)) == 40


def test_config_hash_changes_with_the_file(site: Site, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from pathlib import Path

    from models.loader import load_site

    copy = tmp_path / "site.yaml"
    text = Path(site.source).read_text(encoding="utf-8")
    copy.write_text(text, encoding="utf-8")
    (tmp_path / "templates").symlink_to(Path(site.source).parent / "templates")
    assert load_site(copy).config_hash == site.config_hash
    copy.write_text(text.replace("altitude_m: 10", "altitude_m: 11"), encoding="utf-8")
    assert load_site(copy).config_hash != site.config_hash


def test_point_catalogue_is_kept_per_site_and_a_copy_with_other_devices_resolves_its_own(site: Site) -> None:
    resolved = [p for d in site.devices for p in device_points(d, site.template_of(d))]
    site.points().clear()  # callers get their own list: emptying it leaves the site's catalogue whole
    assert site.points() == resolved
    fast = site.model_copy(update={"devices": [
        d.model_copy(update={"poll_s": dict.fromkeys(d.poll_s, 1.0)}) for d in site.devices
    ]})
    assert {p.interval_s for p in fast.points()} == {1.0}  # not the original's kept 5 s / 60 s / 3600 s rows
    assert {p.interval_s for p in site.points()} != {1.0}
    assert fast == site.model_copy(update={"devices": fast.devices})  # the kept catalogue is no field
