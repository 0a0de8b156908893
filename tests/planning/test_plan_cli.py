"""``zerocarbon plan`` and ``forecast``: what a user reads when the plan cannot be made (one line, exit 2)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from zerocarbon.cli import app

runner = CliRunner()


@pytest.fixture(autouse=True)
def _site(site_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZEROCARBON_SITE", str(site_file))


def test_an_empty_store_says_how_much_history_the_plan_needs() -> None:
    result = runner.invoke(app, ["plan", "--day", "2026-12-04"])
    assert result.exit_code == 2, result.output
    assert "zerocarbon plan: plan for 2026-12-04: the store has 0.0 days of sub-meter history" in result.output
    assert "Traceback" not in result.output


def test_bad_options_name_the_fix(tmp_path: Path) -> None:
    month = runner.invoke(app, ["plan", "--backtest-month", "2026-13"])
    assert month.exit_code == 2 and "use YYYY-MM, e.g. 2026-08" in month.output
    bad = tmp_path / "fc.csv"
    bad.write_text("time,ghi\n2026-12-04T00:00,0\n")
    weather = runner.invoke(app, ["plan", "--day", "2026-12-04", "--weather", str(bad)])
    assert weather.exit_code == 2 and f"{bad}:1: missing column(s) ghi_wm2, temp_c; the header is" in weather.output
    forecast = runner.invoke(app, ["forecast"])
    assert forecast.exit_code == 2 and "--backtest" in forecast.output
