"""The demo's embedded MQTT broker (amqtt), bound to 127.0.0.1 only.

amqtt listens on 0.0.0.0:1883 by default (feasibility.md §4.2), so the bind is always explicit. It is about ten
times slower than mosquitto, fine for a demo site of a few dozen gateways; production and tests use mosquitto.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

from amqtt.broker import Broker


class EmbeddedBroker:
    def __init__(self, port: int, host: str = "127.0.0.1") -> None:
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError(f"the embedded broker serves loopback only, not {host!r}; use mosquitto for a network")
        self.host = host
        self.port = port
        self._loop = asyncio.new_event_loop()
        self._broker: Broker | None = None
        self._thread: threading.Thread | None = None

    def _config(self) -> dict[str, Any]:
        return {
            "listeners": {"default": {"type": "tcp", "bind": f"{self.host}:{self.port}", "max_connections": 500}},
            "timeout_disconnect_delay": 0,
            # only anonymous auth: the default plugins (event and packet loggers, $SYS) cost ~40% throughput
            "plugins": {"amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}},
        }

    def start(self, timeout_s: float = 10.0) -> EmbeddedBroker:
        started = threading.Event()
        failure: list[BaseException] = []

        async def boot() -> None:
            self._broker = Broker(self._config())
            await self._broker.start()

        def run() -> None:
            asyncio.set_event_loop(self._loop)
            try:
                self._loop.run_until_complete(boot())
            except BaseException as exc:  # reported to the caller of start()
                failure.append(exc)
                started.set()
                return
            started.set()
            self._loop.run_forever()

        for name in ("amqtt", "transitions"):
            logging.getLogger(name).setLevel(logging.WARNING)
        self._thread = threading.Thread(target=run, name="embedded-mqtt", daemon=True)
        self._thread.start()
        if not started.wait(timeout_s) or failure:
            raise RuntimeError(f"embedded MQTT broker did not start on {self.host}:{self.port}: {failure}")
        return self

    def stop(self) -> None:
        if self._broker is not None and self._loop.is_running():
            asyncio.run_coroutine_threadsafe(self._broker.shutdown(), self._loop).result(10)
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(10)
