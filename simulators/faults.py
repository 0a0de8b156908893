"""Faults a simulated device can be told to show, and the checks that a fault fits the device.

Transport faults act in the servers (``comm_loss``, ``slow``, ``exception``); value faults act on what the
device reports (``inverter_fault``, ``stuck``, ``counter_reset``); ``malformed_payload`` acts on MQTT JSON;
``out_of_service`` and ``fault_flag`` set the BACnet status flags of every object of a BACnet device.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from models.errors import FaultError
from models.protocols import label
from models.site import Device

KINDS = ("comm_loss", "slow", "exception", "inverter_fault", "stuck", "counter_reset", "malformed_payload",
         "out_of_service", "fault_flag")
ONLY = {"exception": "modbus", "malformed_payload": "mqtt", "out_of_service": "bacnet", "fault_flag": "bacnet"}
FAULT_STATE_TEMPLATES = {"sunspec-inverter", "wind-turbine", "storage-pcs"}
DEFAULTS: dict[str, dict[str, Any]] = {
    "comm_loss": {"mode": "close"},  # close: port refuses connections; silent: accepts, never answers
    "slow": {"delay_s": 2.0},
    "exception": {"code": 4},  # 4 = SLAVE DEVICE FAILURE; 2 = ILLEGAL DATA ADDRESS; 6 = BUSY
    "inverter_fault": {"events": ["GROUND_FAULT"], "code": 101},
    "stuck": {},
    "counter_reset": {},
    "malformed_payload": {"style": "not_json"},  # not_json | wrong_types | missing_fields
    "out_of_service": {},
    "fault_flag": {},
}



@dataclass
class Fault:
    kind: str
    params: dict[str, Any] = field(default_factory=dict)

    def param(self, name: str) -> Any:
        return self.params.get(name, DEFAULTS[self.kind].get(name))


def check_fault(device: Device, kind: str, params: dict[str, Any]) -> Fault:
    if kind not in KINDS:
        raise FaultError(f"unknown fault {kind!r} for {device.id}; use one of {', '.join(KINDS)}")
    needs = ONLY.get(kind)
    if needs is not None and device.protocol != needs:
        raise FaultError(f"{device.id} speaks {label(device.protocol)}: fault {kind!r} needs a {label(needs)} device")
    if kind == "inverter_fault" and device.template not in FAULT_STATE_TEMPLATES:
        raise FaultError(
            f"{device.id} ({device.template}) has no fault state; use it on {sorted(FAULT_STATE_TEMPLATES)} devices"
        )
    unknown = set(params) - set(DEFAULTS[kind])
    if unknown:
        raise FaultError(f"fault {kind!r} takes {sorted(DEFAULTS[kind]) or 'no parameters'}, not {sorted(unknown)}")
    return Fault(kind, dict(params))


def parse_fault_spec(spec: str) -> tuple[str, str, dict[str, Any]]:
    """``pv-inv-03=slow:delay_s=5`` or ``pv-inv-03=comm_loss`` -> (device, kind, params)."""
    device, sep, rest = spec.partition("=")
    if not sep or not rest:
        raise FaultError(f"fault {spec!r} is not DEVICE=KIND[:param=value,...], e.g. pv-inv-03=comm_loss")
    kind, _, raw_params = rest.partition(":")
    params: dict[str, Any] = {}
    for item in filter(None, raw_params.split(",")):
        key, _, value = item.partition("=")
        params[key] = _parse_value(value)
    return device.strip(), kind.strip(), params


def _parse_value(text: str) -> Any:
    if "+" in text:
        return text.split("+")  # events=OVER_TEMP+GROUND_FAULT
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text
