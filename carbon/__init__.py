"""Carbon accounting: the operator's four strategies (降碳需 demand reduction, 提碳效 efficiency, 碳抵消 offset,
碳管理 management), Scope 1 and dual Scope 2 inventories, GB/T 51366 operational carbon, and the reports.

Pure functions over pandas frames live in the strategy modules (:mod:`carbon.baseline`, :mod:`carbon.efficiency`,
:mod:`carbon.offsets`, :mod:`carbon.management`, :mod:`carbon.emissions`); :mod:`carbon.factors` and
:mod:`carbon.config` read the YAML files; :mod:`carbon.inputs` is the only module that talks to a store;
:mod:`carbon.report` builds the one report model every renderer (``carbon.render_*``) turns into a file.
Neighbours: reads ``storage`` frames and ``models`` site data; ``zerocarbon`` and ``dashboard`` call it.
"""
