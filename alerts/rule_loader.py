"""Load ``config/alarms.yaml``, check it against the site and resolve each rule to the points it watches.

Like :func:`models.loader.load_site`, nothing starts with a bad rules file: every problem is reported at once
as ``file:line key.path: problem (and the fix)``. A rule that matches no point, names a state or flag the
template does not have, or asks for PV underperformance on a point that is no inverter is an error, not a
rule that silently never fires.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from alerts import rules as rule_models
from alerts.rules import AlarmsFile, Bitfield, DerivedPoint, Rule, StateIs, Underperformance
from models.errors import ConfigError, ConfigProblem
from models.reading import point_id
from models.resolve import template_points
from models.site import PointInfo, PvArray, Site
from models.template import RegisterPoint
from models.vocabulary import EnergyRole, PointKind
from models.yaml_source import Loc, YamlSource, known_fields, read_config_file, suggest, validation_problems

_WORDS = known_fields(
    *(m for m in vars(rule_models).values() if isinstance(m, type) and issubclass(m, rule_models.Frozen))
)


@dataclass(frozen=True)
class PointMeta:
    """A point plus what its template says about decoding it to text."""

    info: PointInfo
    template: str
    flags: dict[int, str] = field(default_factory=dict)
    states: dict[int, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PvContext:
    """What an underperformance check needs for one inverter."""

    pdc0_w: float  # DC nameplate behind this inverter: array kWp shared evenly over its inverters
    gamma_pdc_per_c: float
    irradiance_id: str
    module_temperature_id: str


@dataclass(frozen=True)
class RuleSet:
    file: AlarmsFile
    targets: dict[str, list[PointMeta]]  # rule id -> points it watches
    pv: dict[str, PvContext]  # inverter power point id -> its PV context (underperformance rules only)
    source: str = ""

    @property
    def rules(self) -> list[Rule]:
        return list(self.file.rules)


def catalogue(site: Site, derived: list[DerivedPoint]) -> dict[str, PointMeta]:
    """Every point of the site (and the derived points) with its template's flags and states."""
    infos = {p.id: p for p in site.points()}
    out: dict[str, PointMeta] = {}
    for device in site.devices:
        template = site.template_of(device)
        for tp in template_points(template):
            pid = point_id(device.id, tp.name)
            flags = tp.flags if isinstance(tp, RegisterPoint) else {}
            states = tp.states if isinstance(tp, RegisterPoint) else {}
            out[pid] = PointMeta(info=infos[pid], template=template.id, flags=flags, states=states)
    for d in derived:
        device, _, name = d.id.partition(".")
        info = PointInfo(
            id=d.id,
            device=device,
            name=name,
            unit=d.unit,
            kind=PointKind.OTHER,
            role=None,
            subsystem="derived",
            group="default",
            interval_s=d.interval_s,
        )
        out[d.id] = PointMeta(info=info, template="derived")
    return out


def select(rule: Rule, points: dict[str, PointMeta]) -> list[PointMeta]:
    """The points a rule watches: every given filter must match (globs allowed in points and device)."""
    chosen = []
    for pid, meta in points.items():
        info = meta.info
        if rule.points and not any(fnmatch.fnmatchcase(pid, pattern) for pattern in rule.points):
            continue
        if rule.device and not fnmatch.fnmatchcase(info.device, rule.device):
            continue
        if rule.template and meta.template != rule.template:
            continue
        if rule.role and info.role is not rule.role:
            continue
        if rule.kind and info.kind is not rule.kind:
            continue
        chosen.append(meta)
    return chosen


def load_rules(path: str | Path, site: Site) -> RuleSet:
    """Read and check a rules file against ``site``; raise :class:`ConfigError` listing every problem."""
    path = Path(path)
    source = read_config_file(path, "pass the path of an alarms YAML file")
    try:
        alarms = AlarmsFile.model_validate(source.data or {})
    except ValidationError as exc:
        raise ConfigError(validation_problems(source, exc, _WORDS)) from None
    points = catalogue(site, alarms.derived_points)
    problems: list[ConfigProblem] = []
    targets: dict[str, list[PointMeta]] = {}
    pv: dict[str, PvContext] = {}
    seen: set[str] = set()
    for i, rule in enumerate(alarms.rules):
        loc: Loc = ("rules", i)
        if rule.id in seen:
            problems.append(source.problem((*loc, "id"), f"duplicate rule id {rule.id!r}; ids must be unique"))
        seen.add(rule.id)
        found, chosen = _check_rule(source, loc, rule, points, site)
        problems += found
        targets[rule.id] = chosen
        if isinstance(rule.condition, Underperformance):
            contexts, found = _pv_contexts(source, loc, rule.condition, chosen, site, points)
            problems += found
            pv.update(contexts)
    if problems:
        raise ConfigError(problems)
    return RuleSet(file=alarms, targets=targets, pv=pv, source=str(path))


def _check_rule(
    source: YamlSource, loc: Loc, rule: Rule, points: dict[str, PointMeta], site: Site
) -> tuple[list[ConfigProblem], list[PointMeta]]:
    problems = []
    for j, pattern in enumerate(rule.points):
        if not any(ch in pattern for ch in "*?[") and pattern not in points:
            hint = suggest(pattern, sorted(points))
            problems.append(source.problem((*loc, "points", j), f"unknown point {pattern!r}{hint}"))
    if rule.template and rule.template not in site.templates and rule.template != "derived":
        hint = suggest(rule.template, sorted(site.templates))
        problems.append(source.problem((*loc, "template"), f"no device uses template {rule.template!r}{hint}"))
    chosen = select(rule, points)
    if not chosen and not problems:
        problems.append(source.problem(loc, "matches no point; check points/device/template/role/kind"))
    problems += _check_decoding(source, loc, rule, chosen)
    return problems, chosen


def _check_decoding(source: YamlSource, loc: Loc, rule: Rule, chosen: list[PointMeta]) -> list[ConfigProblem]:
    cond = rule.condition
    cloc: Loc = (*loc, "condition")
    if isinstance(cond, StateIs):
        names = sorted({n for m in chosen for n in m.states.values()})
        if chosen and not names:
            return [source.problem(cloc, f"point {chosen[0].info.id!r} has no named states; use a 'fault_code' rule")]
        bad = [s for s in cond.states if s not in names]
        return [source.problem((*cloc, "states"), f"unknown state {s!r}{suggest(s, names)}") for s in bad]
    if isinstance(cond, Bitfield):
        names = sorted({n for m in chosen for n in m.flags.values()})
        if chosen and not names:
            return [source.problem(cloc, f"point {chosen[0].info.id!r} is no event bitfield with named flags")]
        bad = [f for f in cond.flags if f not in names]
        return [source.problem((*cloc, "flags"), f"unknown flag {f!r}{suggest(f, names)}") for f in bad]
    return []


def _pv_contexts(
    source: YamlSource,
    loc: Loc,
    cond: Underperformance,
    chosen: list[PointMeta],
    site: Site,
    points: dict[str, PointMeta],
) -> tuple[dict[str, PvContext], list[ConfigProblem]]:
    contexts: dict[str, PvContext] = {}
    for meta in chosen:
        array = _array_of(site, meta.info.device)
        if array is None or meta.info.kind is not PointKind.POWER:
            msg = f"point {meta.info.id!r} is no inverter power point of a PV array in energy_systems.pv"
            return {}, [source.problem(loc, msg)]
        irr = cond.irradiance or _role_point(site, array, EnergyRole.IRRADIANCE_POA)
        tmod = cond.module_temperature or _role_point(site, array, EnergyRole.MODULE_TEMPERATURE)
        for key, pid in (("irradiance", irr), ("module_temperature", tmod)):
            if pid is None or pid not in points:
                msg = f"no {key} point for PV array {array.id!r}: name one, or give its weather station the role"
                return {}, [source.problem((*loc, "condition", key), msg)]
        assert irr is not None and tmod is not None
        pdc0 = array.capacity_kwp * 1000.0 / len(array.inverters)
        contexts[meta.info.id] = PvContext(pdc0, array.gamma_pdc_per_c, irr, tmod)
    return contexts, []


def _array_of(site: Site, device_id: str) -> PvArray | None:
    return next((a for a in site.energy_systems.pv if device_id in a.inverters), None)


def _role_point(site: Site, array: PvArray, role: EnergyRole) -> str | None:
    if array.weather_station is None:
        return None
    device = site.device(array.weather_station)
    name = next((n for n, r in device.roles.items() if r is role), None)
    return point_id(device.id, name) if name else None
