"""Load and check a site file and its templates; report every problem at once, by file, line and key.

Nothing starts with an invalid config: :func:`load_site` either returns a complete :class:`Site` or raises
:class:`ConfigError` listing each problem as ``file:line key.path: what is wrong (and the fix)``.
"""

from __future__ import annotations

import hashlib
import sys
from collections import Counter
from pathlib import Path

from pydantic import TypeAdapter, ValidationError

from models import protocols as protocol_models
from models import site as site_models
from models import template as template_models
from models.errors import ConfigError, ConfigProblem, SourceProblem
from models.protocols import PROTOCOLS, AnyTemplate, listening_port, on_register, template_type
from models.resolve import register_points, template_points
from models.site import Device, ModbusConnection, Site, SiteFile
from models.template import ModbusTemplate, MqttPoint
from models.yaml_source import YamlSource, known_fields, suggest, validation_problems


def _is_model(obj: object) -> bool:
    """A model of ours or of a protocol's module (a plug-in's too), not pydantic's own ``BaseModel``."""
    return (isinstance(obj, type) and issubclass(obj, template_models.BaseModel)
            and not obj.__module__.startswith("pydantic"))


class _Vocabulary:
    """The template validator and the words "did you mean" draws on, from every protocol's models (found
    through its row in PROTOCOLS: a new protocol, even one registered at run time, needs no line here)."""

    def __init__(self) -> None:
        self.refresh()

    def refresh(self) -> None:
        self.template: TypeAdapter[AnyTemplate] = TypeAdapter(template_type())
        connections = {sys.modules[p.connection.__module__] for p in PROTOCOLS.values()}
        templates = {sys.modules[p.template.__module__] for p in PROTOCOLS.values()}
        self.site_words = known_fields(*(m for mod in (site_models, protocol_models, *connections)
                                         for m in vars(mod).values() if _is_model(m)))
        self.template_words = known_fields(*(m for mod in (template_models, *templates)
                                             for m in vars(mod).values() if _is_model(m)))


_WORDS = _Vocabulary()
on_register(_WORDS.refresh)


def load_template(path: Path) -> tuple[AnyTemplate | None, list[ConfigProblem]]:
    try:
        source = YamlSource(path)
    except SourceProblem as exc:
        return None, [exc.problem]
    try:
        template = _WORDS.template.validate_python(source.data)
    except ValidationError as exc:
        return None, validation_problems(source, exc, _WORDS.template_words)
    if template.id != path.stem:
        return None, [source.problem(("id",), f"template id {template.id!r} must match its file name {path.stem!r}")]
    return template, []


def load_templates(directory: Path) -> tuple[dict[str, AnyTemplate], list[ConfigProblem], bytes]:
    """All templates of a directory, the problems found, and their bytes (for the config hash)."""
    templates: dict[str, AnyTemplate] = {}
    problems: list[ConfigProblem] = []
    blob = b""
    for path in sorted(directory.glob("*.yaml")):
        template, found = load_template(path)
        problems += found
        if template is not None:
            templates[template.id] = template
            blob += path.name.encode() + b"\0" + path.read_bytes()
    return templates, problems, blob


def load_site(path: str | Path, templates_dir: str | Path | None = None) -> Site:
    """Load ``path`` (a site YAML) with templates from ``templates_dir`` (default: ``templates/`` beside it)."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError([ConfigProblem(str(path), None, "", "no such file; pass the path of a site YAML file")])
    tdir = Path(templates_dir) if templates_dir else path.parent / "templates"
    templates, problems, blob = load_templates(tdir)
    try:
        source = YamlSource(path)
    except SourceProblem as exc:
        raise ConfigError([*problems, exc.problem]) from None
    try:
        site_file = SiteFile.model_validate(source.data)
    except ValidationError as exc:
        raise ConfigError([*problems, *validation_problems(source, exc, _WORDS.site_words)]) from None
    problems += cross_check(site_file, templates, source)
    if problems:
        raise ConfigError(problems)
    digest = hashlib.sha256(source.text.encode() + b"\0" + blob).hexdigest()
    return Site(
        info=site_file.site,
        subsystems=site_file.subsystems,
        energy_systems=site_file.energy_systems,
        mqtt=site_file.mqtt,
        devices=site_file.devices,
        templates={d.template: templates[d.template] for d in site_file.devices},
        source=str(path),
        config_hash=digest,
    )


def cross_check(
    site: SiteFile, templates: dict[str, AnyTemplate], source: YamlSource
) -> list[ConfigProblem]:
    """References between parts of the file: ids, templates, roles, groups, addresses."""
    problems: list[ConfigProblem] = []
    problems += _duplicates(source, "subsystems", [s.id for s in site.subsystems])
    problems += _duplicates(source, "devices", [d.id for d in site.devices])
    subsystem_ids = [s.id for s in site.subsystems]
    addresses: dict[tuple[str, int, int], list[tuple[str, ModbusTemplate]]] = {}
    taken: dict[tuple[str, str, int, object], str] = {}  # (protocol, host, port, its key) -> device id
    for i, device in enumerate(site.devices):
        loc = ("devices", i)
        if device.subsystem not in subsystem_ids:
            hint = suggest(device.subsystem, subsystem_ids)
            problems.append(source.problem((*loc, "subsystem"), f"unknown subsystem {device.subsystem!r}{hint}"))
        template = templates.get(device.template)
        if template is None:
            hint = suggest(device.template, sorted(templates))
            problems.append(source.problem((*loc, "template"), f"unknown template {device.template!r}{hint}"))
            continue
        problems += _device_against_template(source, loc, device, template)
        if isinstance(device.connection, ModbusConnection) and isinstance(template, ModbusTemplate):
            key = (device.connection.host, device.connection.port, device.connection.unit_id)
            for other_id, other in addresses.get(key, []):
                clash = shared_registers(template, other)
                if clash:
                    msg = (f"same host, port and unit id as device {other_id!r}, and both read {clash}; two "
                           "devices may share a unit (a gateway exposing one unit through two templates) only "
                           "when their registers do not overlap: fix the unit id or the templates' addresses")
                    problems.append(source.problem((*loc, "connection"), msg))
            addresses.setdefault(key, []).append((device.id, template))
        elif (address := _address(device)) is not None:  # one device per address; Modbus units may share
            if address in taken:
                what = PROTOCOLS[device.protocol].key.replace("_", " ")
                problems.append(source.problem((*loc, "connection"), f"same host, port and {what} as device "
                                               f"{taken[address]!r}"))
            taken[address] = device.id
    problems += _energy_system_refs(site, source)
    return problems


def _address(device: Device) -> tuple[str, str, int, object] | None:
    """Where a device listens, with the field that tells devices apart there (``device_instance``...)."""
    listens = listening_port(device.protocol, device.connection)
    if listens is None:
        return None
    key = PROTOCOLS[device.protocol].key
    return device.protocol, str(getattr(device.connection, "host", "")), listens[1], getattr(device.connection, key)


def shared_registers(a: ModbusTemplate, b: ModbusTemplate) -> str:
    """The first register both templates read (``"holding 100"``), or '' when they are disjoint."""
    for register_type in ("holding", "input"):
        used = {r for p in register_points(a) if p.register_type == register_type for r in range(p.address, p.end)}
        for p in register_points(b):
            if p.register_type == register_type:
                hit = next((r for r in range(p.address, p.end) if r in used), None)
                if hit is not None:
                    return f"{register_type} register {hit}"
    return ""


def _device_against_template(
    source: YamlSource, loc: tuple[str | int, ...], device: Device, template: AnyTemplate
) -> list[ConfigProblem]:
    problems = []
    if template.protocol != device.protocol:
        msg = f"template {template.id!r} is for {template.protocol}, device says {device.protocol}"
        problems.append(source.problem((*loc, "protocol"), msg))
    names = [p.name for p in template_points(template)]
    for point_name in device.roles:
        if point_name not in names:
            msg = f"template {template.id!r} has no point {point_name!r}{suggest(point_name, names)}"
            problems.append(source.problem((*loc, "roles", point_name), msg))
    groups = {p.group for p in template_points(template) if not isinstance(p, MqttPoint)} | {"default"}
    for group, interval in device.poll_s.items():
        if group not in groups:
            msg = f"template {template.id!r} has no polling group {group!r}{suggest(group, sorted(groups))}"
            problems.append(source.problem((*loc, "poll_s", group), msg))
        elif interval <= 0:
            problems.append(source.problem((*loc, "poll_s", group), "interval must be > 0 seconds"))
    return problems


def _energy_system_refs(site: SiteFile, source: YamlSource) -> list[ConfigProblem]:
    ids = [d.id for d in site.devices]
    refs: list[tuple[tuple[str | int, ...], str]] = []
    es = site.energy_systems
    for i, pv in enumerate(es.pv):
        refs += [(("energy_systems", "pv", i, "inverters", j), inv) for j, inv in enumerate(pv.inverters)]
        if pv.weather_station:
            refs.append((("energy_systems", "pv", i, "weather_station"), pv.weather_station))
    refs += [(("energy_systems", "wind", i, "device"), w.device) for i, w in enumerate(es.wind)]
    refs += [(("energy_systems", "storage", i, "device"), s.device) for i, s in enumerate(es.storage)]
    for i, g in enumerate(es.grid):
        refs += [(("energy_systems", "grid", i, "meters", j), m) for j, m in enumerate(g.meters)]
    return [source.problem(loc, f"unknown device {ref!r}{suggest(ref, ids)}") for loc, ref in refs if ref not in ids]


def _duplicates(source: YamlSource, key: str, ids: list[str]) -> list[ConfigProblem]:
    counts = Counter(ids)
    return [
        source.problem((key, i, "id"), f"duplicate id {ident!r}; ids must be unique")
        for i, ident in enumerate(ids)
        if counts[ident] > 1 and ids.index(ident) != i
    ]
