"""From a device and its template to the register points and catalogue rows the platform uses."""

from __future__ import annotations

from functools import cache

from models.bacnet import BacnetPoint
from models.protocols import AnyTemplate
from models.reading import point_id
from models.site import Device, PointInfo
from models.sunspec import expand
from models.template import ModbusTemplate, MqttPoint, RegisterPoint, SunSpecSpec


@cache
def _sunspec_points(
    base: int, models: tuple[int, ...], groups: tuple[tuple[int, str], ...]
) -> tuple[RegisterPoint, ...]:
    spec = SunSpecSpec(base=base, models=list(models), groups=dict(groups))  # type: ignore[arg-type]
    return tuple(expand(spec))


def register_points(template: ModbusTemplate) -> tuple[RegisterPoint, ...]:
    """The template's declared points plus, for SunSpec templates, the points of its models."""
    if template.sunspec is None:
        return tuple(template.points)
    spec = template.sunspec
    expanded = _sunspec_points(spec.base, tuple(spec.models), tuple(sorted(spec.groups.items())))
    return expanded + tuple(template.points)


def template_points(template: AnyTemplate) -> tuple[RegisterPoint | MqttPoint | BacnetPoint, ...]:
    if isinstance(template, ModbusTemplate):
        return register_points(template)
    return tuple(template.points)


def device_points(device: Device, template: AnyTemplate) -> list[PointInfo]:
    default_interval = device.poll_s.get("default", 5.0)
    out = []
    for p in template_points(template):
        group = "default" if isinstance(p, MqttPoint) else p.group
        out.append(
            PointInfo(
                id=point_id(device.id, p.name),
                device=device.id,
                name=p.name,
                unit=p.unit,
                kind=p.kind,
                role=device.roles.get(p.name),
                subsystem=device.subsystem,
                group=group,
                interval_s=device.poll_s.get(group, default_interval),
            )
        )
    return out
