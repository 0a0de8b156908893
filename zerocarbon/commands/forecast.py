"""``zerocarbon forecast --backtest [--year 2026] [--json]``: how good the day-ahead forecasts are.

Simulates the year before (training) and the year (test) with the site's simulator, issues each test day's
forecasts from what was known the day before, and prints nMAE and skill against persistence and against the
same day last week (``planning.backtest``). Goals: skill ≥ 0.3 for load and ≥ 0.2 for PV.
"""

from __future__ import annotations

import json
import time

import typer

GOALS = {"load": 0.3, "pv": 0.2}


def forecast(
    backtest: bool = typer.Option(False, "--backtest", help="backtest over a simulated year"),
    year: int = typer.Option(2026, help="test year; the year before it trains the models"),
    days: int = typer.Option(365, help="test days from 1 January (fewer for a quick look)"),
    seed: int = typer.Option(0, help="simulator seed"),
    retrain_days: int = typer.Option(91, help="refit the load models every N test days (the plan refits daily; "
                                                  "28, 56 and 91 gave the same skill within 0.01 on the simulator)"),
    as_json: bool = typer.Option(False, "--json", help="print the result as JSON"),
    listen: bool = typer.Option(False, "--listen", help="keep the weather forecasts published on the MQTT topic "
                                                        "(config/planning.yaml forecast.weather_topic) until stopped"),
    publish_simulated: str = typer.Option(None, "--publish-simulated", metavar="DAY",
                                          help="publish the simulator's day-ahead weather forecast of DAY"),
) -> None:
    """Backtest the day-ahead PV and load forecasts on a simulated year, or run the weather-forecast feed."""
    if listen or publish_simulated:
        _feed(listen, publish_simulated, seed)
        return
    if not backtest:
        raise typer.BadParameter("use --backtest, --listen or --publish-simulated; tomorrow's forecast is part of "
                                 "`zerocarbon plan`", param_hint="--backtest")
    record = run_backtest(year, days, seed, retrain_days)
    typer.echo(json.dumps(record, indent=1) if as_json else render_text(record))


def run_backtest(year: int, days: int, seed: int, retrain_days: int) -> dict:  # type: ignore[type-arg]
    from pathlib import Path

    import pandas as pd

    from models.loader import load_site
    from planning.backtest import backtest
    from planning.config import load_planning_config
    from planning.pv_forecast import inverters_of
    from zerocarbon.plan_wiring import load_plan_files, local_index, planning_frame, simulated_truth
    from zerocarbon.settings import load_settings

    started = time.perf_counter()
    settings = load_settings()
    site = load_site(settings.site)
    files = load_plan_files(settings.site)
    windows = load_planning_config(Path(settings.site).parent / "planning.yaml").forecast
    index = local_index(site, f"{year - 1}-01-01", 365 + days + (1 if (year - 1) % 4 == 0 else 0))
    frame = planning_frame(site, simulated_truth(site, index, seed), seed)
    test = pd.date_range(f"{year}-01-01", periods=days, freq="D")
    result = backtest(site, inverters_of(site), files.calendar, frame, test, retrain_days, windows.history_days,
                      windows.clearness_days)
    pv, load = result["pv"]["site_total"]["weather_forecast"], result["load"]["building_total"]
    clear = result["pv"]["site_total"]["clear_sky_x_clearness"]
    result["goals"] = {
        "load_skill_min": GOALS["load"], "pv_skill_min": GOALS["pv"],
        "load_met": bool(min(load["skill_vs_persistence"], load["skill_vs_same_day_last_week"]) >= GOALS["load"]),
        "pv_met": bool(min(pv["skill_vs_persistence"], pv["skill_vs_same_day_last_week"]) >= GOALS["pv"]),
        "pv_without_forecast_met": bool(min(clear["skill_vs_persistence"], clear["skill_vs_same_day_last_week"])
                                        >= GOALS["pv"]),
    }
    result["data"] = (f"simulated site (seed {seed}); weather forecast = simulated day-ahead forecast "
                      "(simulators/weather_forecast.py), not a real forecast service")
    result["seconds"] = round(time.perf_counter() - started, 1)
    return result


def _feed(listen: bool, day: str | None, seed: int) -> None:
    import signal
    import threading
    from pathlib import Path

    from models.loader import load_site
    from planning.config import load_planning_config
    from zerocarbon import weather_wiring
    from zerocarbon.settings import load_settings

    settings = load_settings()
    site = load_site(settings.site)
    topic = load_planning_config(Path(settings.site).parent / "planning.yaml").forecast.weather_topic
    if day:
        payload = weather_wiring.publish_simulated(settings, site, topic, day, seed)
        typer.echo(f"published the simulated forecast of {day} on {topic} ({len(payload)} bytes, retained)")
    if listen:
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        typer.echo(f"keeping weather forecasts from {topic} in {weather_wiring.archive(settings).directory}")
        feed = weather_wiring.listen(settings, site, topic, stop)
        typer.echo(f"stopped: {feed.received} received, {feed.kept} kept, dead letters {dict(feed.dead.counts)}")


def render_text(r: dict) -> str:  # type: ignore[type-arg]
    lines = [f"backtest {r['first_day']} .. {r['last_day']} ({r['test_days']} days, {r['interval']}), "
             f"{r['seconds']} s; {r['data']}",
             f"{'forecast':<34} {'nMAE':>7} {'skill/persist.':>15} {'skill/last week':>16}"]
    rows = [("PV, weather forecast", r["pv"]["site_total"]["weather_forecast"]),
            ("PV, clear sky x clearness", r["pv"]["site_total"]["clear_sky_x_clearness"]),
            ("load, building total", r["load"]["building_total"])]
    rows += [(f"  load, {k}", v) for k, v in r["load"]["by_subsystem"].items()]
    lines += [f"{name:<34} {s['nmae']:>7.3f} {s['skill_vs_persistence']:>15.3f} "
              f"{s['skill_vs_same_day_last_week']:>16.3f}" for name, s in rows]
    m = r["load_models"]
    lines.append(f"load models: refitted every {m['refit_every_days']} days on the {m['training_window_days']} days "
                 f"before (the plan refits daily); PV clearness half-life {r['clearness_halflife_days']} days")
    g = r["goals"]
    lines.append(f"goals: load skill >= {g['load_skill_min']} {'met' if g['load_met'] else 'NOT met'}; "
                 f"PV skill >= {g['pv_skill_min']} {'met' if g['pv_met'] else 'NOT met'} with a weather forecast, "
                 f"{'met' if g['pv_without_forecast_met'] else 'NOT met'} without")
    return "\n".join(lines)


def register(app: typer.Typer) -> None:
    app.command("forecast")(forecast)
