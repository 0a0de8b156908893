"""BACnet/IP collector against a bare bacpypes3 ReadPropertyMultiple loop, same devices, same run.

    python bench/bench_bacnet.py [devices] [objects] [rounds]     # default 10 devices x 40 objects x 30 rounds

The devices are the simulator's bacpypes3 endpoints in a separate process (``--serve``), so their CPU is not
counted. Both sides read present-value and status-flags of every object of every device, all devices at once
(one task per device), in the batches the device's I-Am allows. "Ours" is :class:`collectors.bacnet.BacnetPoller`
(COV off: every object is read every cycle) handing each cycle to a real :class:`collectors.spool.Spool`; the
baseline is one bacpypes3 application per device calling ``read_property_multiple`` and keeping the values.
Prints objects read per second and CPU per object for each, and the ratio (goal ours / bare >= 0.8).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from collectors.bacnet import BacnetPoller  # noqa: E402
from collectors.bacnet_client import make_application  # noqa: E402
from collectors.bacnet_plan import batches, objects_per_request  # noqa: E402
from collectors.spool import Spool  # noqa: E402
from models.bacnet import BacnetConnection, BacnetPoint, BacnetTemplate  # noqa: E402
from models.site import Device  # noqa: E402


def template(objects: int) -> BacnetTemplate:
    kinds = ["analog-input", "analog-value", "binary-input", "multi-state-value"]
    points = [BacnetPoint(name=f"p{i}", object_type=kinds[i % 4], instance=i)  # type: ignore[arg-type]
              for i in range(objects)]
    return BacnetTemplate(id="bench-bacnet", points=points)


def device(i: int, port: int) -> Device:
    return Device(id=f"bench-{i}", subsystem="bench", protocol="bacnet", template="bench-bacnet",
                  connection=BacnetConnection(host="127.0.0.1", port=port, device_instance=1000 + i, cov=False,
                                              timeout_s=10.0),
                  poll_s={"default": 20.0})  # a long timeout: a loaded 2-core machine, not a device, is slow here


def serve(n: int, objects: int) -> None:
    """The device farm: ``n`` bacpypes3 devices of ``objects`` objects each; prints their ports, runs until stdin
    closes."""
    from simulators.bacnet_server import BacnetEndpoint

    async def main() -> None:
        t = template(objects)
        endpoints = [BacnetEndpoint(device(i, 47808), t, "127.0.0.1", 0, {}) for i in range(n)]
        for e in endpoints:
            await e.start()
            e.update({p.name: float(k % 3 + 1) for k, p in enumerate(t.points)})
        print(json.dumps([e.port for e in endpoints]), flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
        for e in endpoints:
            await e.stop()

    asyncio.run(main())


async def ours(ports: list[int], objects: int, rounds: int, spool: Spool) -> tuple[float, float]:
    t = template(objects)
    pollers = [BacnetPoller(device(i, port), t) for i, port in enumerate(ports)]
    for p in pollers:
        spool.put(await p.poll("default"))  # meet each device (Who-Is) outside the timing

    async def run(p: BacnetPoller) -> None:
        for _ in range(rounds):
            spool.put(await p.poll("default"))

    wall, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(run(p) for p in pollers))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    assert all(p.health.state == "ok" for p in pollers), [p.health for p in pollers]
    for p in pollers:
        await p.stop()
    return wall, cpu


async def bare(ports: list[int], objects: int, rounds: int, parsed: bool = False) -> tuple[float, float]:
    """The loop bacpypes3's samples write (object ids and property names as strings); ``parsed``: the same with
    them parsed once and the vendor info passed, the cheapest use of bacpypes3's client."""
    from bacpypes3.basetypes import PropertyIdentifier
    from bacpypes3.pdu import Address
    from bacpypes3.primitivedata import ObjectIdentifier
    from bacpypes3.vendor import get_vendor_info

    t = template(objects)
    apps = [make_application(timeout_s=10.0) for _ in ports]
    plans = []
    for i, (app, port) in enumerate(zip(apps, ports, strict=True)):
        address = Address(f"127.0.0.1:{port}")
        i_am = (await app.who_is(1000 + i, 1000 + i, address))[0]
        per = objects_per_request(int(i_am.maxAPDULengthAccepted), "segmented-both")
        props: list[object] = ["present-value", "status-flags"]
        if parsed:
            props = [PropertyIdentifier(p) for p in props]
        requests = []
        for batch in batches(t.points, per):
            request: list[object] = []
            for p in batch:
                request += [ObjectIdentifier(p.object_id) if parsed else p.object_id, props]
            requests.append(request)
        vendor = get_vendor_info(int(i_am.vendorID)) if parsed else None
        plans.append((app, address, requests, vendor))
    kept: list[object] = []

    async def run(app: object, address: object, requests: list[list[object]], vendor: object) -> None:
        for _ in range(rounds):
            for request in requests:
                kept.extend(await app.read_property_multiple(address, request, vendor))  # type: ignore[attr-defined]

    wall, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(run(*plan) for plan in plans))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    assert len(kept) == 2 * objects * rounds * len(ports)
    for app, *_ in plans:
        app.close()
    return wall, cpu


def main(n: int, objects: int, rounds: int) -> None:
    farm = subprocess.Popen([sys.executable, __file__, "--serve", str(n), str(objects)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        ports = json.loads(farm.stdout.readline())  # type: ignore[union-attr]
        total = n * objects * rounds
        print(f"{n} devices x {objects} objects x {rounds} rounds = {total} objects each way; "
              f"load average {os.getloadavg()[0]:.1f}")
        with tempfile.TemporaryDirectory() as tmp:
            spool = Spool(Path(tmp) / "spool")
            results: dict[str, list[tuple[float, float]]] = {"bare": [], "parsed": [], "ours": []}
            for _ in range(2):  # interleaved, so a change of machine load hits all three
                results["bare"].append(asyncio.run(bare(ports, objects, rounds)))
                results["parsed"].append(asyncio.run(bare(ports, objects, rounds, parsed=True)))
                results["ours"].append(asyncio.run(ours(ports, objects, rounds, spool)))
            spool.close()
        rate = {k: total * len(v) / sum(w for w, _ in v) for k, v in results.items()}
        cpu = {k: 1e6 * sum(c for _, c in v) / (total * len(v)) for k, v in results.items()}
        for k in ("bare", "parsed", "ours"):
            print(f"  {k:<6} {rate[k]:>9,.0f} objects/s  {cpu[k]:6.1f} us CPU per object")
        for k in ("bare", "parsed"):
            print(f"  ours / {k}: objects/s {rate['ours'] / rate[k]:.2f}x (goal >= 0.8), "
                  f"CPU per object {cpu['ours'] / cpu[k]:.2f}x")
        print(f"  load average {os.getloadavg()[0]:.1f}")
    finally:
        farm.stdin.close()  # type: ignore[union-attr]
        farm.wait(30)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--serve"]:
        serve(int(sys.argv[2]), int(sys.argv[3]))
    else:
        args = [int(a) for a in sys.argv[1:4]]
        main(*(args + [10, 40, 30][len(args):]))
