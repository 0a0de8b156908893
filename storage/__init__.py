"""Stores: embedded DuckDB (default) and InfluxDB over its v1 HTTP API; rollups, counter energy, import/export.

Fed by the spool drainer (wired in ``zerocarbon/``), read by ``carbon/``, ``alerts/`` and ``dashboard/``.
Imports only ``models/``. Where things live:

- ``base.py``: the Store contract; ``frames.py``: raw and rollup frames, checked and typed.
- ``duckdb_store.py``, ``influx_store.py`` (+ ``line_protocol.py``): the two backends.
- ``counters.py``: counter arithmetic (glitches, resets, rollovers); ``rollups.py``: 15 min/hour/day/month
  aggregates; ``rollup_plan.py``: what to rebuild after late data; ``retention.py``; ``jobs.py``: the job.
- ``energy.py``: ``interval_energy`` and ``energy_by_role`` (kWh with quality per interval).
- ``importer.py``, ``exporter.py``: CSV/Excel in, CSV/Excel/Parquet out. See docs/storage.md.
"""
