"""The simulated site: every device of a site file served over real Modbus TCP and MQTT, faults on demand."""
