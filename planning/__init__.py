"""Tomorrow's plan: tariffs and energy cost, day-ahead PV and load forecasts, and the storage dispatch that
minimises cost plus demand charge plus a carbon price.

Floor 3, beside ``carbon/`` and ``alerts/``: pure functions over frames; it reads ``models`` (the site) and takes
energy frames that ``zerocarbon/`` wiring reads from ``storage`` or builds with the simulator. The plan is advice:
nothing here writes to a device.
"""
