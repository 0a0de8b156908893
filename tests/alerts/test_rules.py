"""The rules file is validated against the site, and every mistake is reported as file:line key.path: problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from alerts.rule_loader import load_rules
from models.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]


def problems(path: Path, site) -> list[str]:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError) as info:
        load_rules(path, site)
    return [str(p).replace(f"{path}", "alarms.yaml") for p in info.value.problems]


def test_shipped_rules_load_and_one_glob_rule_covers_all_16_inverters(site) -> None:  # type: ignore[no-untyped-def]
    rules = load_rules(ROOT / "config" / "alarms.yaml", site)
    watched = [m.info.id for m in rules.targets["pv-inverter-fault-state"]]
    assert watched == [f"pv-inv-{i:02d}.St" for i in range(1, 17)]
    # underperformance finds each inverter's share of the array and the weather station by role:
    # 1600 kWp over 16 inverters = 100 kWp = 100,000 W each
    ctx = rules.pv["pv-inv-07.W"]
    assert (ctx.pdc0_w, ctx.irradiance_id, ctx.module_temperature_id) == (
        100_000.0,
        "pv-weather.poa_wm2",
        "pv-weather.module_temp_c",
    )


def test_rules_select_by_role_and_by_template(rules_for) -> None:  # type: ignore[no-untyped-def]
    rules = rules_for(
        [
            {"id": "soc", "role": "soc", "condition": {"type": "low", "limit": 10}},
            {"id": "pcs", "template": "storage-pcs", "kind": "temperature", "condition": {"type": "high", "limit": 45}},
        ]
    )
    assert [m.info.id for m in rules.targets["soc"]] == ["storage-1.soc_pct", "storage-2.soc_pct"]
    assert len(rules.targets["pcs"]) == 4  # two storage units x (cell max, cell min)


def test_unknown_key_is_reported_with_line_and_suggestion(tmp_path: Path, site) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "alarms.yaml"
    path.write_text(
        "rules:\n"
        "  - id: hot\n"
        "    points: [storage-1.cell_temp_max_c]\n"
        "    condition: {type: high, limit: 45, deadbnad: 3}\n"
    )
    assert problems(path, site) == ["alarms.yaml:4 rules[0].condition.deadbnad: unknown key (did you mean 'deadband'?)"]


def test_wrong_names_are_caught_against_the_templates(tmp_path: Path, site) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "alarms.yaml"
    path.write_text(
        "rules:\n"
        "  - id: st\n"
        "    points: ['pv-inv-*.St']\n"
        "    condition: {type: state, states: [FAUL]}\n"
        "  - id: evt\n"
        "    points: ['pv-inv-*.Evt1']\n"
        "    condition: {type: bitfield, flags: [GROUND_FAUL]}\n"
        "  - id: nothing\n"
        "    points: ['pv-inverter-*.W']\n"
        "    condition: {type: stale}\n"
        "  - id: typo\n"
        "    points: [storage-1.soc_pc]\n"
        "    condition: {type: low, limit: 10}\n"
        "  - id: st\n"
        "    role: soc\n"
        "    condition: {type: underperformance}\n"
    )
    assert problems(path, site) == [
        "alarms.yaml:4 rules[0].condition.states: unknown state 'FAUL' (did you mean 'FAULT'?)",
        "alarms.yaml:7 rules[1].condition.flags: unknown flag 'GROUND_FAUL' (did you mean 'GROUND_FAULT'?)",
        "alarms.yaml:8 rules[2]: matches no point; check points/device/template/role/kind",
        "alarms.yaml:12 rules[3].points[0]: unknown point 'storage-1.soc_pc' (did you mean 'storage-1.soc_pct'?)",
        "alarms.yaml:14 rules[4].id: duplicate rule id 'st'; ids must be unique",
        "alarms.yaml:14 rules[4]: point 'storage-1.soc_pct' is no inverter power point of a PV array in "
        "energy_systems.pv",
    ]


def test_a_rule_must_select_something_and_bad_yaml_names_the_line(tmp_path: Path, site) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "alarms.yaml"
    path.write_text("rules:\n  - id: all\n    condition: {type: stale}\n")
    assert problems(path, site) == [
        "alarms.yaml:2 rules[0]: a rule needs at least one of 'points', 'device', 'template', 'role', 'kind'"
    ]
    path.write_text("rules:\n  - id: x\n    points: [a\n")
    [message] = problems(path, site)
    assert message.startswith("alarms.yaml:4: not valid YAML")
