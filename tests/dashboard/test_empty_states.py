"""Empty states in the reader's language: a missing number says why."""

from __future__ import annotations


def test_pr_before_sunrise_says_why_in_both_languages() -> None:
    from dashboard.pages.renewables import pr_label

    assert pr_label(None, "zh") == "PR：日照不足，暂无法计算"
    assert pr_label(float("nan"), "en") == "PR: too little sun yet to judge"
    assert pr_label(0.834, "en") == "PR 83.4%"


def test_a_year_without_readings_charts_a_reason_not_bars_of_zero() -> None:
    from dashboard.pages.carbon import burn_down_figure, scope2_figure

    model = {"strategies": {"management": {"coverage": {"data_share": 0.0}, "monthly": []}},
             "scope2": {"location_based_kgco2e": 0.0, "market_based_kgco2e": 0.0}}
    for lang, words in (("zh", "今年还没有读数"), ("en", "No readings this year yet")):
        for figure in (scope2_figure(model, lang), burn_down_figure(model, lang)):
            assert not figure.data and words in figure.layout.annotations[0].text


def test_no_readings_is_not_a_period_of_zero_kwh(site, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """An empty store answers every interval with 0 kWh flagged gap: the console reads that as nothing measured."""
    from alerts.journal import AlarmJournal
    from dashboard.comparison import PeriodChoice
    from dashboard.context import Console
    from dashboard.kpis import overview_kpis, period_summary
    from dashboard.pages.ev import charging
    from dashboard.pages.renewables import produced
    from dashboard.sources import balance, energy_frame
    from storage.duckdb_store import DuckDBStore
    from zerocarbon.settings import Settings

    store = DuckDBStore(tmp_path / "z.duckdb", site.info.timezone)
    journal = AlarmJournal(tmp_path / "a.sqlite")
    try:
        c = Console(store, site, journal, Settings(data_dir=tmp_path))
        start, end, _ = PeriodChoice("week").span(c)
        frame = energy_frame(c, start, end, by="day")
        assert not frame.empty and (frame["energy_kwh"] == 0).all()  # the store's answer: gaps of 0 kWh
        assert balance(frame).measured is False
        k = overview_kpis(c)
        assert (k.measured, k.consumption_kwh, k.generation_kwh, k.carbon_today_kg) == (False, None, None, None)
        assert k.carbon_ytd_kg is None  # no reading this year: a dash, not 0.0 t
        from dashboard.pages.overview import carbon_month
        assert carbon_month(c)[0] is None and carbon_month(c)[1] is not None  # the grid factor is still known
        assert period_summary(c, start, end).consumption_kwh is None
        assert produced(c, start, end) == (None, None, None) and charging(c, start, end)[0].empty
    finally:
        journal.close()
        store.close()


def test_self_consumption_before_sunrise_says_why_in_both_languages() -> None:
    from dashboard.kpis import OverviewKpis
    from dashboard.pages.overview import kpi_tiles

    night = OverviewKpis(consumption_kwh=812.0, generation_kwh=0.0, self_sufficiency=0.0, self_consumption=None,
                         renewable_share=0.0, carbon_today_kg=330.0, carbon_ytd_kg=None, carbon_budget_kg=None,
                         active_alarms=0)
    for lang, words in (("zh", "今天尚未发电"), ("en", "nothing generated yet today")):
        assert words in str(kpi_tiles(night, lang))
    assert "nothing generated" not in str(kpi_tiles(OverviewKpis(**{**night.__dict__, "generation_kwh": 40.0}), "en"))


def test_the_plan_page_of_a_fresh_install_says_why_in_both_languages(site, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """No history yet: the Plan page names the days it has and needs, in the page's language (it showed the
    planner's English message on the Chinese page)."""
    from alerts.journal import AlarmJournal
    from dashboard.context import Console
    from dashboard.pages.plan import _body, tomorrow
    from storage.duckdb_store import DuckDBStore
    from zerocarbon.settings import Settings

    store = DuckDBStore(tmp_path / "z.duckdb", site.info.timezone)
    journal = AlarmJournal(tmp_path / "a.sqlite")
    try:
        c = Console(store, site, journal, Settings(data_dir=tmp_path))
        for lang, words in (("zh", "数据库中仅有 0.0 天的实测负荷，制定计划至少需要 2 天"),
                            ("en", "the store holds 0.0 days of measured load; a plan needs at least 2")):
            text = str(_body(c, lang, tomorrow(c)))
            assert words in text and "sub-meter history" not in text
    finally:
        journal.close()
        store.close()


def test_a_negative_storage_saving_says_it_is_a_cost_in_both_languages() -> None:
    """Storage that charged in the peak raised it and the bill: -106 kW "reduced" needs the reason beside it."""
    from dashboard.pages.carbon import demand_tiles

    d = {"peak_demand": {"peak_kw": 3298.6, "reduction_kw": -106.0},
         "storage_dispatch": {"saved_yuan": -3297.0, "saved_tco2e": -0.42, "tariff_placeholders": []}}
    for lang, words in (("zh", ("负值：储能抬高了最大需量", "负值：储能增加了电费")),
                        ("en", ("negative: storage raised the peak", "negative: storage added to the bill"))):
        text = str(demand_tiles(d, lang))
        assert all(w in text for w in words), text
    d["peak_demand"]["reduction_kw"], d["storage_dispatch"]["saved_yuan"] = 40.0, 900.0
    assert "negative" not in str(demand_tiles(d, "en")).replace("negative: conversion", "")


def test_a_period_the_history_covers_in_part_says_so_and_wind_is_judged_on_measured_hours(  # type: ignore[no-untyped-def]
    site, console_store, console_now, tmp_path
) -> None:
    """A week over 3 days of history: the EV tiles say they are a lower bound; a turbine's capacity factor divides
    by the hours its meter read (72), not the week's 168 (which made a windy week look calm)."""
    from datetime import timedelta

    from carbon.efficiency import wind_capacity_factor
    from dashboard.comparison import PeriodChoice
    from dashboard.context import Console
    from dashboard.pages import ev, renewables
    from dashboard.sources import measured_share, point_energy
    from models.vocabulary import EnergyRole, PointKind
    from zerocarbon.settings import Settings

    c = Console(console_store, site, None, Settings(data_dir=tmp_path), clock=lambda: console_now)
    start, end, _ = PeriodChoice("week").span(c)
    per_interval, skipped = ev.charging(c, start, end)
    assert 0.3 < per_interval["measured"].mean() < 0.6  # 3 days of 6 and a bit
    tiles = str(ev.tiles(c, "zh", per_interval, skipped, ev._fleet_points(c), (start, end)))
    assert tiles.count("的时段有电表数据：为下限值") == 2  # energy and sessions
    counters = [p for p in c.points_by_role(EnergyRole.WIND) if p.kind is PointKind.ENERGY_COUNTER]
    energy = point_energy(c, counters, start, end, "hour")
    turbine = site.energy_systems.wind[0]
    own = energy[energy["device"] == turbine.device]
    period_h = (end - start) / timedelta(hours=1)
    hours = period_h * measured_share(own)  # type: ignore[operator]  # the period's hours its meter read
    assert abs(hours - 24 * 3) <= 2 and hours < period_h / 2
    cf = wind_capacity_factor(float(own["energy_kwh"].sum()), turbine.rated_kw, hours)
    tile = str(renewables.wind_section(c, "en", start, end, "hour")[0])
    assert f"'{cf * 100:.1f}'" in tile and f"over {hours:,.0f} hours with data" in tile


def test_a_comparison_over_partly_covered_periods_shows_no_change_and_says_why(  # type: ignore[no-untyped-def]
    site, console_store, console_now, tmp_path
) -> None:
    from dashboard.comparison import PeriodChoice
    from dashboard.components import summary_comparison
    from dashboard.context import Console
    from dashboard.kpis import period_summary
    from zerocarbon.settings import Settings

    c = Console(console_store, site, None, Settings(data_dir=tmp_path), clock=lambda: console_now)
    start, end, _ = PeriodChoice("week").span(c)
    assert 0.3 < period_summary(c, start, end).covered < 0.8  # type: ignore[operator]  # 3 or 4 of 7 days
    week = str(summary_comparison(c, "zh", "t", PeriodChoice("week", "previous")))
    assert "本期仅" in week and "▼" not in week and "▲" not in week
    from datetime import timedelta

    evening = c.local_midnight() - timedelta(seconds=1)  # "today" is then all of yesterday, whatever the hour
    c = Console(console_store, site, None, Settings(data_dir=tmp_path), clock=lambda: evening)
    assert period_summary(c, c.local_midnight(), evening).covered == 1.0
    today = str(summary_comparison(c, "en", "t", PeriodChoice("day", "previous")))
    assert "meter data on" not in today and ("▼" in today or "▲" in today)  # today against yesterday: whole days
