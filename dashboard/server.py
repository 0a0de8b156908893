"""Serving the console: waitress in-process (a thread of ``zerocarbon demo``, tests) and the stop handle.

waitress is a production WSGI server that runs inside the caller's process, so one DuckDB store and one
journal can be shared with the other in-process services. ``zerocarbon dashboard`` uses gunicorn instead.
"""

from __future__ import annotations

import threading
from typing import Any

import dash
from waitress.server import create_server
from waitress.task import ThreadedTaskDispatcher

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
# sign-in has threads of its own, so it never waits behind twenty users' page callbacks in waitress's one queue
SIGN_IN_THREADS = 2
SIGN_IN_PATHS = frozenset({"/login", "/logout"})


class SignInFirstDispatcher(ThreadedTaskDispatcher):
    """waitress's task dispatcher with a second, small pool that serves only sign-in and sign-out.

    waitress queues every request of every connection in one FIFO; under load a sign-in waited there behind
    the page callbacks queued before it (issue 15: sign-in took up to 13.5 s at 20 users). A task is a
    connection whose next parsed request decides the pool; waitress hands a connection back to the
    dispatcher for each further request, so a keep-alive connection moves between pools as its requests do.
    """

    def __init__(self, threads: int, sign_in_threads: int = SIGN_IN_THREADS) -> None:
        super().__init__()
        self.sign_in = ThreadedTaskDispatcher()
        self.set_thread_count(threads)
        self.sign_in.set_thread_count(sign_in_threads)

    def add_task(self, task: Any) -> None:
        requests = getattr(task, "requests", None)  # a waitress HTTPChannel; its requests[0] is served next
        path = getattr(requests[0], "path", None) if requests else None
        if path in SIGN_IN_PATHS:
            self.sign_in.add_task(task)
        else:
            super().add_task(task)

    def shutdown(self, cancel_pending: bool = True, timeout: int = 5) -> bool:
        self.sign_in.shutdown(cancel_pending, timeout)
        return bool(super().shutdown(cancel_pending, timeout))


class ConsoleServer:
    """A bound waitress server. ``run()`` blocks; ``start()`` runs it in a daemon thread; ``stop()`` closes."""

    def __init__(self, app: dash.Dash, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> None:
        self._server: Any = create_server(app.server, host=host, port=port, threads=THREADS, ident="zerocarbon",
                                          channel_request_lookahead=REQUEST_LOOKAHEAD,
                                          _dispatcher=SignInFirstDispatcher(THREADS))
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
