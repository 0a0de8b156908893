"""Collector benchmarks, each beside its baseline in the same run; prints ratios (docs/benchmarks.md).

    python bench/bench_collectors.py                 # everything, about 12 minutes on 2 cores
    python bench/bench_collectors.py scheduled       # some sections: scheduled handoff mqtt
    ZC_BENCH_SIZES=200 ZC_BENCH_REPEAT=3 python bench/bench_collectors.py scheduled

``scheduled`` is the path users run: the scheduled CollectorService against N simulated devices at 1 s
(bench/collector_runs.py, with its outside harness; the farm is bench/modbus_farm.py, pinned to its own CPU).
``handoff`` prices one read's decode and spool hand-off
against a lean device farm in a separate process (``--serve``), so the collector's CPU time is its own.
"""

from __future__ import annotations

import asyncio
import json
import os
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pymodbus.client import AsyncModbusTcpClient  # noqa: E402

from collectors.modbus import DevicePoller  # noqa: E402
from collectors.spool import Spool  # noqa: E402
from models.site import Device  # noqa: E402
from models.template import ModbusTemplate, RegisterPoint  # noqa: E402

FULL_READ = ModbusTemplate(  # 62 float32 + 1 uint16 = one 125-register read
    id="bench-125",
    points=[RegisterPoint(name=f"f{i}", address=2 * i, type="float32") for i in range(62)]  # type: ignore[arg-type]
    + [RegisterPoint(name="u", address=124, type="uint16")],  # type: ignore[arg-type]
)
# -- device farm (runs in its own process) -----------------------------------------------------------------
class SimulatedDevice(asyncio.Protocol):
    """A Modbus TCP device answering FC3/FC4 after ``delay_s`` with constant registers. Lean on purpose
    (~10 us CPU per request against pymodbus' server's ~86 us), so the farm measures the collector, not itself."""

    def __init__(self, delay_s: float) -> None:
        self.delay_s, self.buffer = delay_s, b""
        self.loop = asyncio.get_running_loop()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while len(self.buffer) >= 12:
            tid, _, _, unit, fc, _, count = struct.unpack_from(">HHHBBHH", self.buffer)
            self.buffer = self.buffer[12:]
            body = bytes([fc, 2 * count]) + b"\x41\x48" * count
            answer = struct.pack(">HHHB", tid, 0, len(body) + 1, unit) + body
            if self.delay_s:
                self.loop.call_later(self.delay_s, self.transport.write, answer)  # type: ignore[attr-defined]
            else:
                self.transport.write(answer)  # type: ignore[attr-defined]


async def serve(count: int, delay_s: float, slow: dict[int, float]) -> None:
    loop = asyncio.get_running_loop()
    ports, servers = [], []
    for i in range(count):
        delay = slow.get(i, delay_s)
        server = await loop.create_server(lambda d=delay: SimulatedDevice(d), "127.0.0.1", 0)
        servers.append(server)
        ports.append(server.sockets[0].getsockname()[1])
    print(json.dumps(ports), flush=True)
    await loop.run_in_executor(None, sys.stdin.read)  # until the parent closes stdin


class Farm:
    def __init__(self, count: int, delay_s: float = 0.0, slow: dict[int, float] | None = None) -> None:
        args = [sys.executable, __file__, "--serve", str(count), str(delay_s), json.dumps(slow or {})]
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=ROOT,
                                     env={**os.environ, "PYTHONPATH": str(ROOT)})
        assert self.proc.stdout is not None
        self.ports: list[int] = json.loads(self.proc.stdout.readline())

    def stop(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def device(i: int, port: int, template: ModbusTemplate, interval: float = 1.0, timeout: float = 1.0) -> Device:
    return Device(id=f"dev-{i:03d}", subsystem="bench", protocol="modbus", template=template.id,
                  connection={"host": "127.0.0.1", "port": port, "unit_id": 1, "timeout_s": timeout},  # type: ignore[arg-type]
                  poll_s={"default": interval})


TRANSPORT = os.environ.get("ZC_BENCH_TRANSPORT", "pymodbus")  # the collector's default; "wire" for the lean reader


class OurPoller:
    def __init__(self, dev: Device, template: ModbusTemplate, spool: Spool) -> None:
        self.poller, self.spool = DevicePoller(dev, template, transport=TRANSPORT), spool

    async def poll(self) -> None:
        self.spool.put(await self.poller.poll("default"))

    def close(self) -> None:
        self.poller.close()


def blocks_of(template: ModbusTemplate) -> list[tuple[int, int]]:
    from collectors.planner import PlanLimits, plan_reads

    return [(b.address, b.count) for b in plan_reads(template.points, PlanLimits.of(template))]


# -- sections -----------------------------------------------------------------------------------------------
def section_handoff(spool: Spool, reads: int = 2000) -> None:
    farm = Farm(1)

    async def bare() -> float:
        c = AsyncModbusTcpClient("127.0.0.1", port=farm.ports[0], timeout=3, retries=0)
        await c.connect()
        cpu = time.process_time()
        for _ in range(reads):
            await c.read_holding_registers(0, count=125, device_id=1)
        c.close()
        return (time.process_time() - cpu) / reads

    async def ours() -> float:
        p = OurPoller(device(0, farm.ports[0], FULL_READ, timeout=5), FULL_READ, spool)
        await p.poll()
        cpu = time.process_time()
        for _ in range(reads):
            await p.poll()
        p.close()
        return (time.process_time() - cpu) / reads

    try:
        b1, o1, b2, o2 = asyncio.run(bare()), asyncio.run(ours()), asyncio.run(bare()), asyncio.run(ours())
    finally:
        farm.stop()
    b, o = min(b1, b2), min(o1, o2)
    print(f"[handoff] bare pymodbus read of 125 registers: {b * 1e6:.0f} us CPU; read + decode 63 values + "
          f"readings + spool: {o * 1e6:.0f} us CPU = {o / b:.2f} x "
          f"(goal <= 1.5: {'MET' if o / b <= 1.5 else 'NOT MET'})")


def section_scheduled(spool: Spool) -> None:
    """The scheduled service at N = 20, 200, 1000 beside a plain poller, checked by an outside harness."""
    from bench.collector_runs import section_scheduled as run

    sizes = tuple(int(n) for n in os.environ.get("ZC_BENCH_SIZES", "20,200,1000").split(","))
    seconds, repeat = float(os.environ.get("ZC_BENCH_SECONDS", "10")), int(os.environ.get("ZC_BENCH_REPEAT", "2"))
    run(sizes, seconds=seconds, repeat=repeat)


def main(names: list[str]) -> None:
    sections = {"scheduled": section_scheduled, "handoff": section_handoff}
    chosen = [n for n in sections if not names or n in names]
    with tempfile.TemporaryDirectory() as tmp:
        for name in chosen:
            spool = Spool(Path(tmp) / name, max_bytes=4 * 1024**3)
            t = time.perf_counter()
            sections[name](spool)
            spool.close()
            print(f"[{name}]   ({time.perf_counter() - t:.0f} s)", flush=True)
    if not names or "mqtt" in names:
        t = time.perf_counter()
        section_mqtt()
        print(f"[mqtt]   ({time.perf_counter() - t:.0f} s)", flush=True)


# -- MQTT backlog drain -------------------------------------------------------------------------------------
MQTT_TOPIC = "zc/fire/status"


def peak_rss_mib() -> float:
    """This process's peak resident memory (VmHWM: unlike ru_maxrss, not inherited from the forking parent)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


BENCH_T0 = int(time.time()) - 3 * 86400  # 100k messages 1 s apart end 2 days ago: inside the accepted window


def mqtt_payload(i: int) -> bytes:
    return (b'{"ts":%d,"power_kw":%.3f,"devices":{"online":40,"total":42},"alarms":{"active":%d}}'
            % (BENCH_T0 + i, 100 + (i % 997) / 7, i % 3))


def publish_backlog(port: int, n: int) -> float:
    import paho.mqtt.client as mqtt

    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="bench-pub")
    client.max_queued_messages_set(0)
    client.connect("127.0.0.1", port)
    client.loop_start()
    t = time.perf_counter()
    infos = []
    for i in range(n):
        if i >= 10_000:
            infos[i - 10_000].wait_for_publish(30)  # paho fails with ERR_QUEUE_SIZE past 65,535 unacked
        infos.append(client.publish(MQTT_TOPIC, mqtt_payload(i), qos=1))
    infos[-1].wait_for_publish(60)
    client.disconnect()
    client.loop_stop()
    return time.perf_counter() - t


def bare_drain(port: int, n: int, register: bool) -> None:
    """Bare paho: json.loads each message, count to n. Prints JSON {seconds, cpu, rss_mib}."""
    import paho.mqtt.client as mqtt

    got, first, last = 0, 0.0, 0.0
    done = __import__("threading").Event()

    def on_message(client, userdata, msg) -> None:  # type: ignore[no-untyped-def]
        nonlocal got, first, last
        json.loads(msg.payload)
        got += 1
        last = time.perf_counter()
        if got == 1:
            first = last
        if got >= n:
            done.set()

    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="bench-bare", clean_session=False)
    client.on_message = on_message
    client.on_connect = lambda c, *a: c.subscribe(MQTT_TOPIC, qos=1)
    client.connect("127.0.0.1", port)
    t, cpu = time.perf_counter(), time.process_time()
    client.loop_start()
    if register:
        time.sleep(0.5)
    else:
        done.wait(600)
    client.disconnect()
    client.loop_stop()
    # rate = messages / (last - first), as research/feasibility.md §4.1 measured it
    print(json.dumps({"seconds": (last - first) or time.perf_counter() - t, "cpu": time.process_time() - cpu,
                      "got": got,
                      "rss_mib": peak_rss_mib()}), flush=True)


def ours_drain(port: int, n: int, register: bool, workdir: str, shared: str, index: str, client: str) -> None:
    """Our MqttCollector into a spool (mapping, dead-lettering). Prints the same JSON."""
    from collectors.mqtt import MqttCollector
    from models.loader import load_site

    site = load_site(ROOT / "config" / "site.yaml")
    spool = Spool(Path(workdir) / f"spool-{index}", max_bytes=4 * 1024**3)
    devices = [d for d in site.devices if d.protocol == "mqtt"]
    collector = MqttCollector(site, devices, spool, host="127.0.0.1", port=port, client_id=f"bench-zc-{index}",
                              shared_group=shared or None, dead_letter_path=Path(workdir) / "dead.jsonl",
                              client=client)
    seen = [0.0, 0.0]  # first and last message handled
    handle = collector.handle

    def timed(topic: str, payload: bytes, received: float) -> list:  # type: ignore[type-arg]
        seen[1] = time.perf_counter()
        seen[0] = seen[0] or seen[1]
        return handle(topic, payload, received)

    collector.handle = timed  # type: ignore[method-assign]
    t, cpu = time.perf_counter(), time.process_time()
    collector.start()
    if register:
        time.sleep(0.5)
    else:
        deadline = time.monotonic() + 600
        last, still = -1, 0
        while collector.received < n and time.monotonic() < deadline:
            time.sleep(0.01)
            if shared:  # each member gets a share: stop when no message came for 0.5 s
                still = still + 1 if collector.received == last else 0
                last = collector.received
                if still > 50 and collector.received:
                    break
    elapsed = (seen[1] - seen[0]) or time.perf_counter() - t
    collector.stop()
    spool.close()
    print(json.dumps({"seconds": elapsed, "cpu": time.process_time() - cpu, "got": collector.received,
                      "readings": collector.readings,
                      "rss_mib": peak_rss_mib()}), flush=True)


def _child(args: list[str]) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, __file__, *args], stdout=subprocess.PIPE, text=True, cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})


def _result(proc: subprocess.Popen[str]) -> dict:  # type: ignore[type-arg]
    out, _ = proc.communicate(timeout=900)
    return json.loads(out.strip().splitlines()[-1])


def start_broker(workdir: Path):  # type: ignore[no-untyped-def]
    """mosquitto as the tests run it, but with its default autosave interval (1800 s): the tests' 1 s makes
    it rewrite its whole store of 200k queued messages every second, which stalls it, not the subscribers."""
    from tests.support.processes import Mosquitto, require_binary, start_mosquitto, wait_for_port

    probe = start_mosquitto(workdir)  # writes the config we then adjust
    probe.stop()
    conf = workdir / "mosquitto.conf"
    conf.write_text(conf.read_text().replace("autosave_interval 1", "autosave_interval 1800"))
    log = workdir / "bench.log"
    proc = subprocess.Popen([require_binary("mosquitto", "mosquitto"), "-c", str(conf)], stdout=log.open("ab"),
                            stderr=subprocess.STDOUT)
    wait_for_port(probe.port, 10, proc, log)
    return Mosquitto(proc=proc, port=probe.port, workdir=workdir)


VARIANTS = (("paho", 1), ("paho", 2), ("wire", 1), ("wire", 2))  # (MQTT client, processes sharing the subscription)


def _ours(port: int, n: int, mode: str, tmp: str, client: str, processes: int) -> list[subprocess.Popen[str]]:
    shared = f"bench-{client}" if processes > 1 else ""
    return [_child(["--mqtt-ours", str(port), str(n), mode, tmp, shared, f"{client}{processes}-{i}", client])
            for i in range(processes)]


def section_mqtt(n: int = 100_000) -> None:
    """One backlog of n messages queued for every session: bare paho, and ours with paho or the lean client
    (collectors/mqtt_wire.py), in one process or two sharing a subscription; each drained alone in turn."""
    with tempfile.TemporaryDirectory() as tmp:
        broker = start_broker(Path(tmp) / "mosquitto")
        try:
            _result(_child(["--mqtt-bare", str(broker.port), str(n), "register"]))
            for client, k in VARIANTS:
                [_result(p) for p in _ours(broker.port, n, "register", tmp, client, k)]
            pub = publish_backlog(broker.port, n)
            print(f"[mqtt] published {n:,} QoS 1 messages in {pub:.1f} s; every session holds the backlog")
            bare = _result(_child(["--mqtt-bare", str(broker.port), str(n), "drain"]))
            b_rate = bare["got"] / bare["seconds"]
            print(f"[mqtt] bare paho: {bare['got']:,} in {bare['seconds']:.1f} s = {b_rate:,.0f} msg/s, "
                  f"{1e6 * bare['cpu'] / bare['got']:.0f} us CPU/msg, {bare['rss_mib']:.0f} MiB")
            for client, k in VARIANTS:
                _report_ours(client, k, [_result(p) for p in _ours(broker.port, n, "drain", tmp, client, k)], b_rate)
        finally:
            broker.stop()


def _report_ours(client: str, processes: int, results: list[dict], bare_rate: float) -> None:  # type: ignore[type-arg]
    got = sum(r["got"] for r in results)
    seconds = max(r["seconds"] for r in results)
    rss = sum(r["rss_mib"] for r in results)
    rate = got / seconds
    how = f"{client}, " + ("1 process" if processes == 1 else f"{processes} processes, shared subscription")
    print(f"[mqtt] ours ({how}): {got:,} messages, {sum(r['readings'] for r in results):,} readings spooled "
          f"in {seconds:.1f} s = {rate:,.0f} msg/s, {1e6 * sum(r['cpu'] for r in results) / max(got, 1):.0f} us "
          f"CPU/msg, {rss:.0f} MiB in total")
    print(f"[mqtt]   ours / bare = {rate / bare_rate:.2f} (goal >= 2 with <= 120 MiB: "
          f"{'MET' if rate / bare_rate >= 2 and rss <= 120 else 'NOT MET'})")

if __name__ == "__main__":
    if sys.argv[1:2] == ["--mqtt-bare"]:
        bare_drain(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "register")
    elif sys.argv[1:2] == ["--mqtt-ours"]:
        ours_drain(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "register", sys.argv[5], sys.argv[6],
                   sys.argv[7], sys.argv[8])
    elif sys.argv[1:2] == ["--serve"]:
        slow_devices = {int(k): v for k, v in json.loads(sys.argv[4]).items()}
        asyncio.run(serve(int(sys.argv[2]), float(sys.argv[3]), slow_devices))
    else:
        main(sys.argv[1:])
