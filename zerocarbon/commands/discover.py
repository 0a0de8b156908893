"""``zerocarbon discover modbus://HOST:PORT/UNIT``: walk a SunSpec device (or read a template) and print every
point with its decoded value, or a ready template for ``config/templates/``.
``zerocarbon discover bacnet://HOST[:PORT]/INSTANCE``: Who-Is/I-Am, then every analog, binary and multi-state
object with its name, units and present value, or a template reading them."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import typer


def parse_address(url: str) -> tuple[str, int, int]:
    parsed = urlparse(url)
    unit = parsed.path.strip("/") or "1"
    if parsed.scheme != "modbus" or not parsed.hostname or not unit.isdigit():
        raise typer.BadParameter(f"{url!r}: write it as modbus://HOST:PORT/UNIT, e.g. modbus://10.0.0.5:502/1")
    return parsed.hostname, parsed.port or 502, int(unit)


def parse_bacnet(url: str) -> tuple[str, int, int]:
    parsed = urlparse(url)
    instance = parsed.path.strip("/")
    if parsed.scheme != "bacnet" or not parsed.hostname or not instance.isdigit():
        raise typer.BadParameter(f"{url!r}: write it as bacnet://HOST[:PORT]/INSTANCE, e.g. bacnet://10.0.5.20/1101")
    return parsed.hostname, parsed.port or 47808, int(instance)


async def _discover_bacnet(host: str, port: int, instance: int, timeout: float) -> Any:
    from collectors.bacnet_discovery import BacnetDiscoverer
    from models.bacnet import BacnetConnection

    d = BacnetDiscoverer(f"bacnet-{instance}", BacnetConnection(host=host, port=port, device_instance=instance),
                         timeout)
    try:
        return await d.walk()
    finally:
        d.close()


def discover_bacnet(address: str, as_json: bool, template: bool, timeout: float) -> None:
    from collectors.bacnet_discovery import template_yaml
    from models.errors import DeviceError

    host, port, instance = parse_bacnet(address)
    try:
        peer, found = asyncio.run(_discover_bacnet(host, port, instance, timeout))
    except DeviceError as exc:
        typer.echo(f"discover {address}: {exc}", err=True)
        raise typer.Exit(1) from None
    if as_json:
        typer.echo(json.dumps([o.as_json() for o in found], indent=1))
    elif template:
        typer.echo(template_yaml(f"bacnet-{host.replace('.', '-')}-{instance}", peer, found), nl=False)
    else:
        typer.echo(f"BACnet device {instance} at {host}:{port}: vendor {peer.vendor_id}, max APDU {peer.max_apdu}, "
                   f"{peer.segmentation}, {len(found)} objects")
        for o in found:
            value = "missing" if o.value is None else f"{o.value:g}"
            named = o.states.get(int(o.value)) if o.states and o.value is not None else None
            state = f" ({named})" if named else ""
            quality = "" if o.quality == "good" else f"  [{o.quality}]"
            typer.echo(f"  {o.object_type + ',' + str(o.instance):<24} {o.name:<24} {value} {o.unit or o.units}"
                       f"{state}{quality}")


def _show(name: str, row: dict[str, Any]) -> str:
    value = "missing" if row["value"] is None else row["value"]
    if isinstance(value, float):
        value = f"{value:g}"
    extra = f" {row['flags']}" if row.get("flags") else f" ({row['state']})" if row.get("state") else ""
    quality = "" if row["quality"] == "good" else f"  [{row['quality']}]"
    return f"    {name:<12} {value} {row['unit']}{extra}{quality}"


async def _discover(host: str, port: int, unit: int, template_id: str | None, timeout: float) -> Any:
    from collectors.sunspec_discovery import Discoverer

    d = Discoverer(host, port, unit, timeout)
    try:
        if template_id:
            return await d.read_template(_load_template(template_id))
        return await d.walk()
    finally:
        d.close()


def _load_template(template_id: str) -> Any:
    from models.errors import ConfigError, InputError
    from models.loader import load_template
    from models.template import ModbusTemplate
    from models.yaml_source import suggest
    from zerocarbon.settings import load_settings

    path = Path(template_id)
    if not path.is_file():
        folder = load_settings().site.parent / "templates"
        path = folder / f"{template_id}.yaml"
        if not path.is_file():
            known = sorted(p.stem for p in folder.glob("*.yaml"))
            hint = suggest(template_id, known) or (f" (there: {', '.join(known[:6])}...)" if known else "")
            raise InputError(f"--with-template {template_id}: no template {path}{hint}; give a template id "
                             f"from {folder} or the path of a template YAML")  # fmt: skip
    template, problems = load_template(path)
    if problems:
        raise ConfigError(problems)
    if not isinstance(template, ModbusTemplate):
        raise InputError(f"--with-template {path}: not a Modbus template; discover reads Modbus devices")
    return template


def discover(
    address: str = typer.Argument(..., help="modbus://HOST:PORT/UNIT or bacnet://HOST[:PORT]/INSTANCE"),
    as_json: bool = typer.Option(False, "--json", help="print models and points as JSON"),
    template: bool = typer.Option(False, "--template", help="print a ready template YAML for config/templates/"),
    template_id: str = typer.Option(None, "--with-template", help="read this template's points instead of SunSpec"),
    timeout: float = typer.Option(2.0, help="seconds to wait for each answer"),
) -> None:
    """Show what a device holds: a Modbus device's SunSpec models and decoded points (not-implemented shown as
    missing), or a BACnet device's objects with name, units and present value."""
    from collectors.sunspec_discovery import template_yaml
    from models.errors import DeviceError

    if address.startswith("bacnet:"):
        discover_bacnet(address, as_json, template, timeout)
        return
    host, port, unit = parse_address(address)
    try:
        found = asyncio.run(_discover(host, port, unit, template_id, timeout))
    except DeviceError as exc:
        typer.echo(f"discover {address}: {exc}", err=True)
        raise typer.Exit(1) from None
    if template_id:
        typer.echo(json.dumps(found, indent=1) if as_json else "\n".join(_show(n, r) for n, r in found.items()))
        return
    base, models = found
    if as_json:
        typer.echo(json.dumps([m.as_json() for m in models], indent=1))
    elif template:
        typer.echo(template_yaml(base, models, f"sunspec-{host.replace('.', '-')}-{unit}"), nl=False)
    else:
        typer.echo(f"SunSpec device at {host}:{port} unit {unit}, base {base}")
        for m in models:
            typer.echo(f"  model {m.id} {m.name} at {m.address} (L={m.length})")
            for name, row in m.points.items():
                typer.echo(_show(name, row))


def register(app: typer.Typer) -> None:
    app.command("discover")(discover)
