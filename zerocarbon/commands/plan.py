"""``zerocarbon plan``: tomorrow's storage plan, or a backtested month against the rule-based dispatch.

    zerocarbon plan --backtest-month 2026-08 --json   # LP plan vs the simulator's rule, yuan / tCO2e / peak kW
    zerocarbon plan --backtest-month 2026-08 --carbon-price 20000   # the same at another carbon price
    zerocarbon plan --json                            # tomorrow, from the store's history (and --weather FILE)
    zerocarbon plan --day 2026-12-05 --ev-bookings simulated   # plan the EV fleet too (simulated site's sessions)

The plan is advice: nothing is written to a device. The day's plan is saved as ``<data_dir>/plans/<day>.json``
(``models.plan_file``), which the simulated site follows (``zerocarbon simulate``, the demo). Formulas:
``planning.dispatch``; docs/methodology.md §12.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer


def plan(
    backtest_month: str = typer.Option(None, "--backtest-month", help="YYYY-MM: simulate the month both ways"),
    day: str = typer.Option(None, help="the day to plan (default: tomorrow in the site's zone)"),
    weather: Path = typer.Option(None, help="weather forecast CSV: time, ghi_wm2, temp_c (default: the latest "
                                            "forecast from the MQTT feed, else clear sky)"),
    seed: int = typer.Option(0, help="simulator seed (backtest, simulated EV bookings)"),
    carbon_price: float = typer.Option(None, min=0, help="yuan/tCO2e instead of planning.yaml's carbon price"),
    ev_bookings: str = typer.Option("none", help="'simulated': plan the EV fleet on the simulator's sessions of "
                                                 "the day, taken as bookings; 'none': storage only"),
    save: bool = typer.Option(True, "--save/--no-save", help="write the day's plan to <data_dir>/plans/"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """Plan tomorrow's storage dispatch (advice only), or backtest a month against the rule-based dispatch."""
    import pandas as pd

    from models.loader import load_site
    from planning.config import load_planning_config
    from zerocarbon.plan_wiring import load_plan_files
    from zerocarbon.settings import load_settings

    settings = load_settings()
    site = load_site(settings.site)
    files = load_plan_files(settings.site)
    config = with_carbon_price(load_planning_config(Path(settings.site).parent / "planning.yaml"), carbon_price)
    factor_of = grid_factor(settings.site, config.carbon.factor_region)
    if backtest_month:
        record = _backtest(site, files, config, factor_of, backtest_month, seed)
        first = pd.Period(backtest_month, "M")
        record["tariff_placeholders"] = files.tariffs.placeholders(first.start_time.date(), first.end_time.date())
        typer.echo(json.dumps(record, indent=1, ensure_ascii=False) if as_json else _month_text(record))
        return
    record = _tomorrow(settings, site, files, config, factor_of, day, weather, _bookings(ev_bookings, site, day, seed))
    planned = pd.Timestamp(record["day"]).date()
    record["tariff_placeholders"] = files.tariffs.placeholders(planned, planned + pd.Timedelta(days=1))
    if save:
        from models.plan_file import PLANS_DIR, write_plan

        record["saved_to"] = str(write_plan(settings.data_dir / PLANS_DIR, record, site.info.timezone,
                                            record["setpoints"]))
    typer.echo(json.dumps(record, indent=1, ensure_ascii=False) if as_json else _day_text(record))


def with_carbon_price(config, price: float | None):  # type: ignore[no-untyped-def]
    """``config`` with its carbon price replaced (the knob of the carbon-versus-yuan trade-off)."""
    if price is None:
        return config
    carbon = config.carbon.model_copy(update={"price_yuan_per_tco2e": price, "price_status": "unconfirmed"})
    return config.model_copy(update={"carbon": carbon})


def _bookings(kind: str, site, day: str | None, seed: int):  # type: ignore[no-untyped-def]
    """The EV sessions the plan takes as known: the simulator's for the day ('simulated'), or none."""
    import pandas as pd

    from models.errors import InputError

    if kind == "none":
        return None
    if kind != "simulated":
        raise InputError(f"--ev-bookings {kind!r}: use 'simulated' or 'none'")
    from simulators.ev_sessions import charging_sessions

    tz = site.info.timezone
    try:
        first = pd.Timestamp(day).tz_localize(tz) if day else (pd.Timestamp.now(tz) + pd.Timedelta(days=1)).normalize()
    except ValueError:
        raise InputError(f"--day {day!r}: use an ISO date, e.g. 2026-12-04") from None
    return charging_sessions(site, first.tz_convert("UTC"), (first + pd.Timedelta(days=1)).tz_convert("UTC"), seed)


def grid_factor(site_file: str, region: str):  # type: ignore[no-untyped-def]
    """index -> Series of the location-based grid factor (kgCO2/kWh) at each instant, hourly where configured."""
    from carbon.files import CarbonFiles

    table = CarbonFiles.in_dir(Path(site_file).parent).factors
    return lambda index: table.series("electricity_location", region, index)[0]


def _tomorrow(settings, site, files, config, factor_of, day: str | None, weather: Path | None,  # type: ignore[no-untyped-def]
              sessions=None) -> dict:  # type: ignore[no-untyped-def,type-arg]
    import pandas as pd

    from models.errors import InputError
    from planning.model_cache import MODELS_DIR, keep_in
    from planning.tomorrow import plan_tomorrow
    from zerocarbon.store_wiring import open_store
    from zerocarbon.weather_wiring import latest_forecast

    tz = site.info.timezone
    try:
        when = pd.Timestamp(day).date() if day else (pd.Timestamp.now(tz) + pd.Timedelta(days=1)).date()
    except ValueError:
        raise InputError(f"--day {day!r}: use an ISO date, e.g. 2026-12-04") from None
    forecast = _weather_file(weather, tz) if weather else latest_forecast(settings, site, pd.Timestamp(when))
    keep_in(settings.data_dir / MODELS_DIR)  # the load models are fitted once a day and kept in the data dir
    store = open_store(settings, site)
    try:
        return plan_tomorrow(store, site, files.tariffs, files.calendar, config, factor_of, when, forecast, sessions)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    finally:
        store.close()


def _weather_file(path: Path, tz: str):  # type: ignore[no-untyped-def]
    """A forecast CSV as a forecast issued when the file was last written (the plan says which forecast it used)."""
    import pandas as pd

    from models.weather_forecast import WeatherForecast
    from zerocarbon.plan_wiring import read_weather_csv

    frame = read_weather_csv(path, tz)
    issued = pd.Timestamp(path.stat().st_mtime, unit="s", tz="UTC")
    return WeatherForecast(issued, f"file {path.name}", frame)


def _backtest(site, files, config, factor_of, month: str, seed: int) -> dict:  # type: ignore[no-untyped-def,type-arg]
    import re

    from models.errors import InputError
    from zerocarbon.plan_backtest import compare_month

    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month):
        raise InputError(f"--backtest-month {month!r}: use YYYY-MM, e.g. 2026-08")
    return compare_month(site, files, config, factor_of, month, seed)


def _month_text(r: dict) -> str:  # type: ignore[type-arg]
    lines = [f"{r['month']} ({r['days']} days, seed {r['seed']}): LP plan from day-ahead forecasts vs rule-based",
             f"{'':<16} {'total yuan':>12} {'energy':>12} {'demand':>10} {'tCO2e':>9} {'peak kW':>9}"]
    for name in ("rule_based", "lp_plan", "lp_plan_with_ev"):
        o = r.get(name)
        if o is None:
            continue
        lines.append(f"{name:<16} {o['total_yuan']:>12,.0f} {o['energy_yuan']:>12,.0f} {o['demand_yuan']:>10,.0f} "
                     f"{o['tco2e']:>9.2f} {o['peak_kw']:>9.0f}")
    s, c = r["saved"], r["carbon_trade_off"]
    lines.append(f"saved: {s['yuan']:,.0f} yuan, {s['tco2e']:.2f} tCO2e, peak {s['peak_kw_reduced']:.0f} kW lower "
                 f"(carbon price {r['carbon_price_yuan_per_tco2e']} yuan/t; net forecast nMAE "
                 f"{r['nmae_net_forecast']:.3f})")
    if c["tco2e_added"] > 0:
        lines.append(f"trade-off: the plan saves {c['yuan_saved']:,.0f} yuan and adds {c['tco2e_added']:.2f} tCO2e "
                     f"({s['storage_losses_kwh_added']:,.0f} kWh more round-trip losses = "
                     f"{c['tco2e_of_extra_losses']:.2f} tCO2e at {c['grid_factor_mean_kg_per_kwh']} kg/kWh, "
                     f"{'hourly' if c['grid_factor_hourly'] else 'flat'} grid factor); at "
                     f"{c['carbon_price_yuan_per_tco2e']} yuan/t that carbon is worth "
                     f"{c['carbon_cost_of_added_tco2e_yuan']:,.0f} yuan. Knob: {c['knob']}")
    lines += _placeholder_lines(r)
    if r.get("saved_with_ev"):
        e = r["saved_with_ev"]
        lines.append(f"with EV charging planned too (sessions known a day ahead, followed by the simulator): saved "
                     f"{e['yuan']:,.0f} yuan, {e['tco2e']:.2f} tCO2e, peak {e['peak_kw_reduced']:.0f} kW lower "
                     f"against the rule (the LP expected {r['ev_smart_charging_expected_yuan']:,.0f} yuan from EV)")
    return "\n".join(lines)


def _day_text(r: dict) -> str:  # type: ignore[type-arg]
    e = r["expected"]
    fc = r["pv_forecast"]
    source = fc["source"] + (f" issued {fc['issued']} by {fc['provider']}" if fc.get("issued") else "")
    lines = [f"plan for {r['day']} (advice only; PV forecast: {source}; {r['history_days']} days of history; load "
             f"models fitted {r['load_models_fitted_at']})",
             f"expected: {e['plan_yuan']:,.0f} yuan with the plan vs {e['idle_yuan']:,.0f} with the storage idle "
             f"(saves {e['saved_yuan']:,.0f} yuan, {e['saved_tco2e']:.3f} tCO2e; peak {e['peak_kw_plan']:.0f} "
             f"vs {e['peak_kw_idle']:.0f} kW)",
             *_placeholder_lines(r),
             f"{'time':<6} {'load kW':>9} {'PV kW':>8} {'storage kW':>11} {'grid kW':>9}"]
    for row in r["quarters"][::4]:
        lines.append(f"{row['time'][11:16]:<6} {row['load_kw']:>9.0f} {row['pv_kw']:>8.0f} {row['storage_kw']:>11.0f} "
                     f"{row['grid_kw']:>9.0f}")
    return "\n".join(lines)


def _placeholder_lines(r: dict) -> list[str]:  # type: ignore[type-arg]
    from planning.tariffs import placeholder_note

    return [f"warning: yuan rest on a {placeholder_note(r['tariff_placeholders'])}"] if r.get("tariff_placeholders") \
        else []


def register(app: typer.Typer) -> None:
    app.command("plan")(plan)
