"""``zerocarbon alarms``: mistakes are refused with the reason and exit code 1; the rules check names lines."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from alerts.journal import AlarmJournal
from zerocarbon.alarm_wiring import journal_path
from zerocarbon.cli import app
from zerocarbon.settings import load_settings


def run(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, ["alarms", *args])


def test_refusals_say_why() -> None:
    journal = AlarmJournal(journal_path(load_settings()))
    change = journal.condition_raised("soc:storage-1.soc_pct", "soc", "storage-1.soc_pct", "medium", "low", 8.0, 1.0)
    assert change is not None
    alarm_id = str(change.alarm.id)
    missing = run("ack", "999")
    assert missing.exit_code == 1 and "no alarm 999" in missing.output
    no_reason = run("shelve", alarm_id, "--minutes", "30", "--reason", "  ")
    assert no_reason.exit_code == 1 and "shelving needs a reason" in no_reason.output
    too_long = run("shelve", alarm_id, "--minutes", "600", "--reason", "weekend")
    assert too_long.exit_code == 1 and "0 < minutes <= 480" in too_long.output  # config/alarms.yaml's limit
    assert run("unshelve", alarm_id).exit_code == 1
    assert run("ack", alarm_id, "--user", "op.he").exit_code == 0
    again = run("ack", alarm_id, "--user", "op.he")
    assert again.exit_code == 1 and "acknowledged by op.he" in again.output
    journal.close()


def test_check_reports_each_problem_with_file_and_line(tmp_path: Path) -> None:
    rules = tmp_path / "alarms.yaml"
    rules.write_text("rules:\n  - id: x\n    points: [pv-inv-01.W]\n    condition: {type: hihg, limit: 1}\n")
    result = run("check", str(rules))
    assert result.exit_code == 2  # a bad input file
    assert result.stderr.splitlines()[0].startswith(f"{rules}:4 rules[0].condition")
    assert run("check").exit_code == 0  # the shipped config/alarms.yaml


def test_list_prints_the_site_time_the_console_shows() -> None:
    journal = AlarmJournal(journal_path(load_settings()))
    raised_at = 1_780_000_000.0  # 2026-05-28 20:26:40 UTC = 2026-05-29 04:26:40 in Zhuhai (UTC+8)
    journal.condition_raised("t:grid-meter-1.p_kw", "t", "grid-meter-1.p_kw", "high", "grid high", 1.0, raised_at)
    listed = run("list")
    journal.close()
    assert listed.exit_code == 0
    assert "2026-05-29 04:26:40+0800" in listed.output and "2026-05-28 20:26:40" not in listed.output
