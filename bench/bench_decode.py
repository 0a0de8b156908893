"""Device-fidelity costs, each beside its baseline in the same process; prints ratios (docs/benchmarks.md).

    python bench/bench_decode.py

- strict MQTT parsing (``collectors.mqtt_payload.parse_payload``: UTF-8 only, duplicate keys, NaN, depth scan)
  against plain ``json.loads`` on the collector benchmark's 95-byte gateway payload and on a 4 KiB one;
- a Modbus block mixing two orders (CDAB floats, ABCD counters: ``config/templates/mixed-order-meter.yaml``)
  against the same block in one order, through ``BlockDecoder.values`` (the polling fast path).
"""

from __future__ import annotations

import json
import struct
import sys
import timeit
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from collectors.decode import BlockDecoder, ByteOrder  # noqa: E402
from collectors.mqtt_payload import parse_payload  # noqa: E402
from models.template import RegisterPoint  # noqa: E402

SMALL = b'{"ts":1760000000,"power_kw":114.286,"devices":{"online":40,"total":42},"alarms":{"active":1}}'
LARGE = json.dumps({"ts": 1760000000, "zones": [{"id": f"z{i}", "temp_c": 21.5 + i / 10, "rh_pct": 55.0,
                                                 "co2_ppm": 600 + i, "pm25": 12.5} for i in range(48)]}).encode()


def paired_us(base: object, ours: object, number: int, rounds: int = 9) -> tuple[float, float]:
    """Best µs per call of each, measured alternately so a busy shared machine slows both alike."""
    best = [float("inf"), float("inf")]
    for _ in range(rounds):
        for i, fn in enumerate((base, ours)):
            best[i] = min(best[i], timeit.timeit(fn, number=number) / number * 1e6)  # type: ignore[arg-type]
    return best[0], best[1]


def section_mqtt() -> None:
    for label, payload in (("95 B", SMALL), (f"{len(LARGE) // 1024} KiB", LARGE)):
        n = 20000 if len(payload) < 1000 else 1000
        base, strict = paired_us(lambda p=payload: json.loads(p), lambda p=payload: parse_payload(p), n)
        print(f"[mqtt-parse] {label}: json.loads {base:.1f} us, strict {strict:.1f} us = {strict / base:.2f} x")


def section_orders() -> None:
    floats = [RegisterPoint(name=f"f{i}", address=2 * i, type="float32") for i in range(30)]  # type: ignore[arg-type]
    counters = [RegisterPoint(name=f"c{i}", address=60 + 2 * i, type="uint32", order="ABCD")  # type: ignore[arg-type]
                for i in range(30)]
    one = BlockDecoder(0, 120, [*floats, *(p.model_copy(update={"order": None}) for p in counters)],
                       ByteOrder.named("CDAB"))
    mixed = BlockDecoder(0, 120, [*floats, *counters], ByteOrder.named("CDAB"))
    wire = struct.pack(">120H", *range(120))
    base, both = paired_us(lambda: one.values(wire), lambda: mixed.values(wire), 20000)
    print(f"[orders] 60 values in 120 registers: one order {base:.1f} us, two orders {both:.1f} us "
          f"= {both / base:.2f} x")


if __name__ == "__main__":
    section_mqtt()
    section_orders()
