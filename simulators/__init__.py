"""The simulated site: every device of a site file served over real Modbus TCP and MQTT, faults on demand.

Imports only ``models/``. Physics are pure seeded functions (``weather``, ``solar``, ``wind``, ``building``,
``storage_dispatch`` -> ``physics.site_frame``); ``device_values``/``gateway_values`` turn them into each
template's points; ``registers`` encodes them for Modbus, ``mqtt_publisher`` into JSON; ``live`` + ``site``
run them on the clock with ``faults``; ``control`` is the loopback fault API; ``backfill`` writes history
into any store with ``write_frame``. Wiring (which store, which broker) lives in ``zerocarbon/commands/simulate``.
"""
