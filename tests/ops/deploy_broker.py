"""The production broker for tests: deploy/mosquitto (passwords, ACL, TLS) on a real mosquitto, and MQTT sessions.

Only container paths and ports are rewritten; the accounts are made by deploy/mosquitto/make-passwd.sh.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt

from tests.ops.conftest import ROOT
from tests.support.processes import free_ports, require_binary, wait_for_port

USER, PASSWORD = "zerocarbon", "s3cret-for-test"
GATEWAY, GATEWAY_PASSWORD = "gateway", "gw-s3cret-for-test"


@dataclass
class Broker:
    port: int
    tls_port: int
    config_dir: Path
    ca_file: Path
    proc: subprocess.Popen[bytes]

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


def make_certs(certs: Path) -> None:
    certs.mkdir()
    openssl = shutil.which("openssl") or "openssl"

    def run(*args: str) -> None:
        subprocess.run([openssl, *args], cwd=certs, check=True, capture_output=True, timeout=60)

    run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
        "-subj", "/CN=zerocarbon-test-ca", "-keyout", "ca.key", "-out", "ca.crt")  # fmt: skip
    run("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-subj", "/CN=localhost",
        "-keyout", "server.key", "-out", "server.csr")  # fmt: skip
    (certs / "san.ext").write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2",
        "-extfile", "san.ext", "-out", "server.crt")  # fmt: skip


def localise(text: str, tmp: Path, port: int, tls_port: int) -> str:
    """Container paths to the test's directories, listeners to free loopback ports."""
    return (
        text.replace("/mosquitto/config", str(tmp / "config"))
        .replace("/mosquitto/data/", f"{tmp / 'data'}/")
        .replace("/mosquitto/certs", str(tmp / "certs"))
        .replace("listener 1883", f"listener {port} 127.0.0.1")
        .replace("listener 8883", f"listener {tls_port} 127.0.0.1")
    )


def start_deploy_broker(tmp: Path) -> Broker:
    """mosquitto running deploy/mosquitto (password file, ACL, TLS listener) with the test accounts."""
    shutil.copytree(ROOT / "deploy" / "mosquitto", tmp / "config")
    (tmp / "data").mkdir()
    make_certs(tmp / "certs")
    env_file = tmp / "stack.env"
    env_file.write_text(
        f"ZEROCARBON_MQTT_USERNAME={USER}\nZEROCARBON_MQTT_PASSWORD={PASSWORD}\n"
        f"MQTT_GATEWAY_USERNAME={GATEWAY}\nMQTT_GATEWAY_PASSWORD={GATEWAY_PASSWORD}\n"
    )
    made = subprocess.run(
        ["sh", str(tmp / "config" / "make-passwd.sh"), str(env_file)], capture_output=True, text=True, timeout=60
    )
    assert made.returncode == 0, made.stderr
    passwd = (tmp / "config" / "passwd").read_text()
    assert passwd.startswith(f"{USER}:$") and PASSWORD not in passwd, "hashed, never plain text"
    assert f"\n{GATEWAY}:$" in passwd and GATEWAY_PASSWORD not in passwd
    port, tls_port = free_ports(2)
    conf = tmp / "config" / "mosquitto.conf"
    conf.write_text(localise(conf.read_text(), tmp, port, tls_port) + ("user root\n" if os.geteuid() == 0 else ""))
    tls_conf = tmp / "config" / "conf.d" / "tls.conf"
    tls_conf.write_text(localise((tmp / "config" / "tls.conf.example").read_text(), tmp, port, tls_port))
    log = tmp / "mosquitto.log"
    proc = subprocess.Popen(
        [require_binary("mosquitto", "mosquitto"), "-c", str(conf)], stdout=log.open("ab"), stderr=subprocess.STDOUT
    )
    broker = Broker(
        port=port, tls_port=tls_port, config_dir=tmp / "config", ca_file=tmp / "certs" / "ca.crt", proc=proc
    )
    try:
        wait_for_port(port, 10, proc, log)
        wait_for_port(tls_port, 10, proc, log)
    except Exception:
        broker.stop()
        raise
    return broker


@dataclass
class Session:
    client: mqtt.Client
    reason: int  # CONNACK reason code, 0 = accepted
    received: list[tuple[str, bytes]]

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


def open_session(
    port: int, username: str | None = None, password: str | None = None, *, ca_file: Path | None = None,
    subscribe: str | None = None,
) -> Session:  # fmt: skip
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv311)
    if username:
        client.username_pw_set(username, password)
    if ca_file:
        client.tls_set(ca_certs=str(ca_file))
    connected, subscribed = threading.Event(), threading.Event()
    session = Session(client, -1, [])

    def on_connect(c: mqtt.Client, userdata: object, flags: object, reason: Any, props: object) -> None:
        session.reason = reason.value
        connected.set()

    client.on_connect = on_connect
    client.on_subscribe = lambda *args: subscribed.set()
    client.on_message = lambda c, u, msg: session.received.append((msg.topic, msg.payload))
    client.connect("127.0.0.1", port, keepalive=10)
    client.loop_start()
    assert connected.wait(10), "no CONNACK"
    if session.reason == 0 and subscribe:
        client.subscribe(subscribe, qos=1)
        assert subscribed.wait(10), "no SUBACK"
    return session


def publish(session: Session, topic: str, payload: bytes) -> None:
    session.client.publish(topic, payload, qos=1).wait_for_publish(10)


def delivered(listener: Session, topic: str, payload: bytes, wait_s: float = 1.0) -> bool:
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        if (topic, payload) in listener.received:
            return True
        time.sleep(0.02)
    return False


def refused(port: int, username: str | None = None, password: str | None = None, **kw: Any) -> bool:
    session = open_session(port, username, password, **kw)
    session.close()
    return session.reason != 0


def round_trip(port: int, **kw: Any) -> bool:
    session = open_session(port, USER, PASSWORD, subscribe="zc/test/#", **kw)
    try:
        publish(session, "zc/test/roundtrip", b"42")
        return delivered(session, "zc/test/roundtrip", b"42", wait_s=10)
    finally:
        session.close()
