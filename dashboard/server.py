"""Serving the console: waitress in-process (a thread of ``zerocarbon demo``, tests) and the stop handle.

waitress is a production WSGI server that runs inside the caller's process, so one DuckDB store and one
journal can be shared with the other in-process services. ``zerocarbon dashboard`` uses gunicorn instead.
"""

from __future__ import annotations

import threading
from typing import Any

import dash
from waitress.server import create_server

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8050
# 20 browsers on 2 cores (issue 15): shared snapshots make most requests a few ms of JSON, so 16 threads keep
# a slow one (a report export, a first computation) from holding up the ticks of everyone else. More threads
# would only queue inside Python's one interpreter lock.
THREADS = 16
# read one request ahead on each connection, so waitress notices a client that hung up while its request
# waited in the queue and skips that request (with 0 it computed it for nobody: tests/dashboard/
# test_security.py fails); the app can also ask (environ["waitress.client_disconnected"], dashboard.security)
REQUEST_LOOKAHEAD = 1


class ConsoleServer:
    """A bound waitress server. ``run()`` blocks; ``start()`` runs it in a daemon thread; ``stop()`` closes."""

    def __init__(self, app: dash.Dash, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> None:
        self._server: Any = create_server(app.server, host=host, port=port, threads=THREADS, ident="zerocarbon",
                                          channel_request_lookahead=REQUEST_LOOKAHEAD)
        self.host, self.port = host, int(self._server.effective_port)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def run(self) -> None:
        self._server.run()

    def start(self) -> ConsoleServer:
        self._thread = threading.Thread(target=self.run, name="console-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.close()
        if self._thread is not None:
            self._thread.join(timeout=5)


def serve(app: dash.Dash, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> None:
    """Serve until the process stops (call it in a thread to run beside other services)."""
    ConsoleServer(app, host, port).run()
