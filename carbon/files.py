"""The one reader of a site's carbon files: ``emission_factors.yaml`` and ``carbon.yaml``.

The wiring floor (``zerocarbon/``) builds one :class:`CarbonFiles` when a process starts and hands it to
everything that needs factors or carbon settings: the report command, the console (its KPI tiles, Carbon,
Reports and Plan pages), the alarm clock's monthly budget metric and the demo's baseline fill. Each file is
parsed on first use and again only when it changes on disk (its mtime or size), so an operator's edit shows
without a restart while a running process does not re-parse per request.
"""

from __future__ import annotations

import threading
from pathlib import Path

from carbon.config import CarbonConfig, load_carbon_config
from carbon.factors import FactorTable, load_factors

FACTORS_FILE = "emission_factors.yaml"
CARBON_FILE = "carbon.yaml"
Stamp = tuple[int, int] | None  # (mtime_ns, size); None while the file is missing


def _stamp(path: Path) -> Stamp:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return st.st_mtime_ns, st.st_size


class CarbonFiles:
    """A site's factor table and carbon config, parsed once and shared (thread-safe)."""

    def __init__(self, factors_path: Path, config_path: Path) -> None:
        self.factors_path, self.config_path = Path(factors_path), Path(config_path)
        self.reads = 0  # how many times a file was parsed: 2 per process unless a file changed
        self._lock = threading.Lock()
        self._factors: tuple[Stamp, FactorTable] | None = None
        self._config: tuple[Stamp, CarbonConfig] | None = None

    @classmethod
    def in_dir(cls, config_dir: Path, factors_path: Path | None = None,
               config_path: Path | None = None) -> CarbonFiles:
        """The files of ``config_dir`` (the site file's folder) unless given explicitly."""
        return cls(factors_path or Path(config_dir) / FACTORS_FILE, config_path or Path(config_dir) / CARBON_FILE)

    @property
    def factors(self) -> FactorTable:
        """The emission factor table; a ConfigError naming file, line and fix when it is missing or invalid."""
        with self._lock:
            stamp = _stamp(self.factors_path)
            if self._factors is None or self._factors[0] != stamp:
                self._factors = (stamp, load_factors(self.factors_path))
                self.reads += 1
            return self._factors[1]

    @property
    def config(self) -> CarbonConfig:
        """The carbon settings (area, budget, baseline, instruments); a ConfigError when missing or invalid."""
        with self._lock:
            stamp = _stamp(self.config_path)
            if self._config is None or self._config[0] != stamp:
                self._config = (stamp, load_carbon_config(self.config_path))
                self.reads += 1
            return self._config[1]

    def both(self) -> tuple[FactorTable, CarbonConfig]:
        return self.factors, self.config

    def has_config(self) -> bool:
        return self.config_path.is_file()
