"""Modbus TCP and MQTT acquisition: planned reads, block decoding, and the on-disk spool. Imports only models/.

Neighbours: devices and brokers on one side; on the other, any :class:`models.reading.ReadingSink` (the
:class:`collectors.spool.Spool`, drained into a :class:`models.reading.ReadingWriter` that ``zerocarbon/``
connects to a store). See docs/collectors.md.
"""
