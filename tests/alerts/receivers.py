"""Real local receivers for notification tests: an HTTP webhook server, an SMTP server, an MQTT subscriber.

They are servers of the outside world (an on-call webhook, a mail relay), not ours, so tests run small real
ones on free loopback ports instead of mocking the client libraries.
"""

from __future__ import annotations

import json
import socketserver
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import paho.mqtt.client as mqtt


def wait_until(predicate: Callable[[], bool], timeout_s: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


class WebhookReceiver:
    """Collects JSON POST bodies; ``fail_first`` answers that many requests with 503 first."""

    def __init__(self, fail_first: int = 0) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.attempts = 0
        self.fail_first = fail_first
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                receiver.attempts += 1
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if receiver.attempts <= receiver.fail_first:
                    self.send_response(503)
                else:
                    receiver.bodies.append(json.loads(body))
                    self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class SmtpReceiver:
    """Just enough SMTP (RFC 5321: EHLO/HELO, MAIL, RCPT, DATA, QUIT) to receive messages."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        receiver = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                self.reply("220 localhost test smtp")
                envelope: dict[str, Any] = {"to": []}
                while line := self.rfile.readline():
                    command = line.decode().strip()
                    verb = command[:4].upper()
                    if verb in ("EHLO", "HELO"):
                        self.reply("250 localhost")
                    elif verb == "MAIL":
                        envelope["from"] = command.split(":", 1)[1].strip()
                        self.reply("250 OK")
                    elif verb == "RCPT":
                        envelope["to"].append(command.split(":", 1)[1].strip())
                        self.reply("250 OK")
                    elif verb == "DATA":
                        self.reply("354 end with .")
                        envelope["data"] = self.read_data()
                        receiver.messages.append(envelope)
                        envelope = {"to": []}
                        self.reply("250 OK queued")
                    elif verb == "QUIT":
                        self.reply("221 bye")
                        return
                    else:
                        self.reply("250 OK")

            def read_data(self) -> str:
                lines = []
                while (line := self.rfile.readline().decode()) not in (".\r\n", ".\n", ""):
                    lines.append(line[1:] if line.startswith("..") else line)
                return "".join(lines)

            def reply(self, text: str) -> None:
                self.wfile.write(text.encode() + b"\r\n")

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class MqttRecorder:
    """Subscribes to a topic filter on a real broker and records (topic, payload) pairs."""

    def __init__(self, port: int, topic: str = "#") -> None:
        self.messages: list[tuple[str, dict[str, Any]]] = []
        subscribed = threading.Event()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
        self.client.on_connect = lambda c, *_: c.subscribe(topic, qos=1)
        self.client.on_subscribe = lambda *_: subscribed.set()
        self.client.on_message = lambda _c, _u, m: self.messages.append((m.topic, json.loads(m.payload)))
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        if not subscribed.wait(10):
            raise RuntimeError(f"could not subscribe to {topic!r} on 127.0.0.1:{port}")

    def stop(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()
