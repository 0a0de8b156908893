"""The shared words of a site: point kinds, energy roles, units and Modbus data types.

Everything here is a closed set, so a typo in a YAML file is caught at load time with a suggestion instead of
flowing downstream as an unknown string.
"""

from __future__ import annotations

from enum import StrEnum


class PointKind(StrEnum):
    POWER = "power"  # instantaneous active power
    ENERGY_COUNTER = "energy_counter"  # cumulative energy register: energy comes from its deltas
    REACTIVE_POWER = "reactive_power"
    VOLTAGE = "voltage"
    CURRENT = "current"
    FREQUENCY = "frequency"
    POWER_FACTOR = "power_factor"
    TEMPERATURE = "temperature"
    HUMIDITY = "humidity"
    CO2 = "co2"
    PM25 = "pm25"
    IRRADIANCE = "irradiance"
    WIND_SPEED = "wind_speed"
    SPEED = "speed"
    SOC = "soc"
    PERCENT = "percent"
    COUNT = "count"  # people, tickets, parked cars: gauges of things
    COUNTER = "counter"  # cumulative count of events (not energy)
    FLOW = "flow"
    THERMAL_POWER = "thermal_power"  # cooling or heating delivered
    STATE = "state"  # enumerated operating state
    FAULT_CODE = "fault_code"
    EVENT_BITFIELD = "event_bitfield"
    SCALE_FACTOR = "scale_factor"  # SunSpec *_SF registers: read, used for decoding, stored for audit
    TEXT = "text"
    OTHER = "other"


class EnergyRole(StrEnum):
    """What a point means for the building's energy balance; carbon and the dashboard group by it."""

    GRID_IMPORT = "grid_import"
    GRID_EXPORT = "grid_export"
    PV = "pv"
    WIND = "wind"
    BATTERY_CHARGE = "battery_charge"
    BATTERY_DISCHARGE = "battery_discharge"
    BATTERY_POWER = "battery_power"  # signed: + discharge, - charge
    EV_CHARGING = "ev_charging"
    CONSUMPTION = "consumption"  # a subsystem's consumption (sub-meter)
    COOLING_DELIVERED = "cooling_delivered"
    VISITORS = "visitors"
    IRRADIANCE_POA = "irradiance_poa"
    MODULE_TEMPERATURE = "module_temperature"
    OUTDOOR_TEMPERATURE = "outdoor_temperature"
    WIND_SPEED = "wind_speed"
    SOC = "soc"


class ModbusTransport(StrEnum):
    """How the collector speaks Modbus TCP (setting ``ZEROCARBON_MODBUS_TRANSPORT``)."""

    PYMODBUS = "pymodbus"  # pymodbus' async client: the default
    WIRE = "wire"  # collectors/modbus_wire.py: a lean read-only reader for CPU-bound sites


class DataType(StrEnum):
    INT16 = "int16"
    UINT16 = "uint16"
    INT32 = "int32"
    UINT32 = "uint32"
    INT64 = "int64"
    UINT64 = "uint64"
    FLOAT32 = "float32"
    FLOAT64 = "float64"
    STRING = "string"


class RegisterOrder(StrEnum):
    """How a multi-register value's bytes lie on the wire, in the letters integrators use.

    A is the most significant byte; the letters are the bytes in the order the device sends them, registers
    first to last. The 64-bit names are the same two axes as the 32-bit ones (ABCDEFGH is ABCD, GHEFCDAB is
    CDAB, ...). docs/collectors.md works an example of each.
    """

    ABCD = "ABCD"  # big-endian bytes and words (Modbus' own order)
    BADC = "BADC"  # bytes swapped within each register
    CDAB = "CDAB"  # registers low word first, bytes big-endian ("word swap", many meters' floats)
    DCBA = "DCBA"  # fully little-endian
    ABCDEFGH = "ABCDEFGH"
    BADCFEHG = "BADCFEHG"
    GHEFCDAB = "GHEFCDAB"
    HGFEDCBA = "HGFEDCBA"
    BIG = "big"  # alias of ABCD / ABCDEFGH
    LITTLE = "little"  # alias of DCBA / HGFEDCBA


# (byte order within a register, word order across registers) of each name
ORDER_AXES: dict[RegisterOrder, tuple[str, str]] = {
    RegisterOrder.ABCD: ("big", "big"),
    RegisterOrder.BADC: ("little", "big"),
    RegisterOrder.CDAB: ("big", "little"),
    RegisterOrder.DCBA: ("little", "little"),
    RegisterOrder.ABCDEFGH: ("big", "big"),
    RegisterOrder.BADCFEHG: ("little", "big"),
    RegisterOrder.GHEFCDAB: ("big", "little"),
    RegisterOrder.HGFEDCBA: ("little", "little"),
    RegisterOrder.BIG: ("big", "big"),
    RegisterOrder.LITTLE: ("little", "little"),
}
ORDER_NAMES_32 = {axes: name for name, axes in list(ORDER_AXES.items())[:4]}  # (byte, word) -> ABCD...
ORDER_NAMES_64 = {axes: name for name, axes in list(ORDER_AXES.items())[4:8]}  # (byte, word) -> ABCDEFGH...


# Registers per data type and the struct code of one value (big-endian byte order within a word).
# Users never type a register count for numeric points: it follows from the type (Telegraf, Home Assistant).
REGISTER_COUNT: dict[DataType, int] = {
    DataType.INT16: 1,
    DataType.UINT16: 1,
    DataType.INT32: 2,
    DataType.UINT32: 2,
    DataType.INT64: 4,
    DataType.UINT64: 4,
    DataType.FLOAT32: 2,
    DataType.FLOAT64: 4,
}
STRUCT_CODE: dict[DataType, str] = {
    DataType.INT16: "h",
    DataType.UINT16: "H",
    DataType.INT32: "i",
    DataType.UINT32: "I",
    DataType.INT64: "q",
    DataType.UINT64: "Q",
    DataType.FLOAT32: "f",
    DataType.FLOAT64: "d",
}

# Units we know how to convert and display. Energy and power units normalise to kWh and kW in storage/.
UNITS: frozenset[str] = frozenset(
    {
        "W",
        "kW",
        "MW",
        "Wh",
        "kWh",
        "MWh",
        "var",
        "kvar",
        "VA",
        "kVA",
        "V",
        "A",
        "Hz",
        "%",
        "degC",
        "ppm",
        "ug/m3",
        "m/s",
        "rpm",
        "W/m2",
        "m3",
        "m3/h",
        "L",
        "count",
        "kW_th",
        "kWh_th",
        "h",
        "s",
        "",
    }
)
