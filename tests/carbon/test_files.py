"""One reader of the factor and carbon files per process: built once by the wiring and shared by the console,
the budget alarm and the report, parsed once, and again only after an edit."""

from __future__ import annotations

import ast
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from carbon.budget import month_budget_used_pct
from carbon.files import CarbonFiles
from storage.duckdb_store import DuckDBStore
from zerocarbon.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ["models", "collectors", "storage", "simulators", "carbon", "alerts", "planning", "dashboard", "zerocarbon"]
LOADERS = {"load_factors", "load_carbon_config"}


def test_only_carbon_files_calls_the_file_loaders():
    callers = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) in LOADERS:
                    callers.append(str(path.relative_to(ROOT)))
    assert sorted(set(callers)) == ["carbon/files.py"]


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "config"
    folder.mkdir()
    for name in ("emission_factors.yaml", "carbon.yaml"):
        shutil.copyfile(ROOT / "config" / name, folder / name)
    return folder


def test_console_and_budget_alarm_share_one_parse_of_each_file(site, config_dir: Path, tmp_path: Path):  # type: ignore[no-untyped-def]
    from dashboard.app import create_app
    from dashboard.kpis import overview_kpis
    from dashboard.report_bridge import budget_kg, carbon_files

    now = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)
    ts = pd.date_range(now - timedelta(hours=3), now, freq="15min", tz="UTC")
    frame = pd.DataFrame({"ts": ts, "point_id": "grid-meter-1.import_kwh",
                          "value": 5000.0 + 50.0 * pd.RangeIndex(len(ts)), "quality": "good"})
    store = DuckDBStore(":memory:", site.info.timezone)
    try:
        store.write_frame(frame)
        store.update_rollups()
        carbon = CarbonFiles.in_dir(config_dir)  # what zerocarbon/platform.py builds once per process
        app = create_app(store, site, None, Settings(data_dir=tmp_path), clock=lambda: now, carbon_files=carbon,
                         warm_up=False)
        console = app.zerocarbon_console  # type: ignore[attr-defined]
        assert console.carbon is carbon
        for _ in range(3):
            overview_kpis(console)
        assert budget_kg(console, 2026) == pytest.approx(carbon.config.budget_tco2e[2026] * 1000.0)
        used = [month_budget_used_pct(store, site, now.timestamp(), carbon) for _ in range(2)]
        assert used[0] is not None and used[0] > 0 and used[0] == used[1]
        assert carbon.reads == 2  # emission_factors.yaml once, carbon.yaml once
        # an operator's edit shows without a restart, parsed once more
        with (config_dir / "carbon.yaml").open("a", encoding="utf-8") as f:
            f.write("\n# edited\n")
        carbon_files(console)
        carbon_files(console)
        assert carbon.reads == 3
    finally:
        store.close()


def test_a_missing_file_is_a_config_error_naming_it(tmp_path: Path):
    from models.errors import ConfigError

    carbon = CarbonFiles.in_dir(tmp_path)
    assert not carbon.has_config()
    with pytest.raises(ConfigError, match="emission_factors.yaml: no such file"):
        carbon.both()
