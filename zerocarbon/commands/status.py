"""``zerocarbon status``: per-device health, last value, requests per cycle and spool depth of the running
collector(s), from the snapshot each writes to ``<data_dir>/status/collector*.json`` every few seconds."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import typer

STALE_AFTER_S = 30.0


def _age(ts: float | None, now: float) -> str:
    if ts is None:
        return "never"
    s = now - ts
    return f"{s:.0f}s ago" if s < 120 else f"{s / 60:.0f}min ago" if s < 7200 else f"{s / 3600:.1f}h ago"


def _print_snapshot(path: Path, snap: dict[str, Any], now: float) -> None:
    written = snap.get("written", 0.0)
    running = now - written < STALE_AFTER_S
    state = f"running (pid {snap.get('pid')})" if running else f"NOT RUNNING (last snapshot {_age(written, now)})"
    typer.echo(f"{path.name}: {state}")
    spool = snap.get("spool")
    if spool:
        age = "-" if spool.get("age_s") is None else f"{spool['age_s']:.0f}s"
        alarm = f"  ALARM: {spool['alarm']}" if spool.get("alarm") else ""
        typer.echo(f"  spool: {spool['depth']} readings waiting, oldest {age}, "
                   f"{spool['bytes'] / 2**20:.1f} of {spool['max_bytes'] / 2**20:.0f} MiB, "
                   f"dropped {spool['dropped']}{alarm}")
    store = snap.get("store")
    if store:
        ok = "ok" if store["store_ok"] else f"FAILING: {store['last_store_error']}"
        typer.echo(f"  store: {ok}, {store['written']} readings written")
    typer.echo(f"  {'device':<26} {'proto':<6} {'state':<13} {'last value':<12} {'req/cycle':<24} failed")
    for d in snap.get("devices", []):
        req = ",".join(f"{g}:{n}" for g, n in (d.get("requests_per_cycle") or {}).items()) or "-"
        failed = f"{d['failed_cycles']}/{d.get('cycles', 0)}" if "failed_cycles" in d else "-"  # polled devices
        typer.echo(f"  {d['device']:<26} {d['protocol']:<6} {d['state']:<13} "
                   f"{_age(d.get('last_value_ts'), now):<12} {req:<24} {failed}")
        if d.get("last_error"):
            typer.echo(f"      {d['last_error']}")
    _print_quality_counts(snap)


def _print_quality_counts(snap: dict[str, Any]) -> None:
    """Readings outside their plausible range, and MQTT dead letters by kind (docs/collectors.md)."""
    suspect = {d["device"]: d["suspect_readings"] for d in snap.get("devices", []) if d.get("suspect_readings")}
    if suspect:
        typer.echo("  suspect readings (outside range): " + ", ".join(f"{k} {v}" for k, v in sorted(suspect.items())))
    dead = (snap.get("mqtt") or {}).get("dead_letters") or {}
    if dead:
        typer.echo("  MQTT dead letters: " + ", ".join(f"{k} {v}" for k, v in sorted(dead.items())))


def status(as_json: bool = typer.Option(False, "--json", help="print the snapshots as JSON")) -> None:
    """Show what the running collector(s) report; exit 1 when none is running."""
    from zerocarbon.settings import load_settings

    directory = load_settings().data_dir / "status"
    paths = sorted(directory.glob("collector*.json"))
    if not paths:
        typer.echo(f"no collector status in {directory}: start one with 'zerocarbon collect'", err=True)
        raise typer.Exit(1)
    snaps = {p: json.loads(p.read_text()) for p in paths}
    now = time.time()
    if as_json:
        typer.echo(json.dumps({p.stem: s for p, s in snaps.items()}, indent=1))
    else:
        for p, s in snaps.items():
            _print_snapshot(p, s, now)
    if not any(now - s.get("written", 0) < STALE_AFTER_S for s in snaps.values()):
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("status")(status)
