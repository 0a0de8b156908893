"""Modbus TCP and MQTT acquisition: planned reads, decoding, and the on-disk spool. Imports only models/."""
