"""Stores: embedded DuckDB (default) and InfluxDB over its v1 HTTP API; rollups, counter energy, import/export."""
