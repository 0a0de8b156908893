"""Serving the console: waitress in-process (``zerocarbon demo``, ``run``, ``dashboard``, tests), the lanes
every request goes through whatever serves it, and the stop handle.

waitress is a production WSGI server that runs inside the caller's process, so one DuckDB store and one
journal can be shared with the other in-process services. ``zerocarbon dashboard --workers N`` (InfluxDB only)
serves the same app with gunicorn instead.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

import dash
from waitress import wasyncore
from waitress.server import create_server

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8050
# 20 browsers on 2 cores (issue 15): shared snapshots make most requests a few ms of JSON, so 16 requests at
# once keep a slow one (a report export, a first computation) from holding up the ticks of everyone else. More
# would only queue inside Python's one interpreter lock (6 were slower at every level: docs/benchmarks.md).
PAGE_SLOTS = 16
# sign-in and sign-out have slots of their own, so they never wait behind twenty users' page callbacks
SIGN_IN_SLOTS = 2
SIGN_IN_PATHS = frozenset({"/login", "/logout"})
# server threads: more than the slots, so a sign-in finds a free thread and goes straight to its own lane
# while up to THREADS - PAGE_SLOTS page requests wait for a page slot (a waiting thread costs no CPU). A
# server's own queue is one FIFO: a request queued there waits behind every page request before it.
THREADS = 64
# read one request ahead on each connection, so waitress notices a client that hung up while its request
# waited (for a thread or a page slot); the app then drops it before any callback runs
# (environ["waitress.client_disconnected"], dashboard.security; with 0 waitress computed it for nobody)
REQUEST_LOOKAHEAD = 1

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class Lanes:
    """WSGI middleware: at most :data:`PAGE_SLOTS` page requests run at once; sign-in and sign-out run on
    :data:`SIGN_IN_SLOTS` of their own, so a sign-in never waits behind page callbacks.

    Issue 15: under 20 users a sign-in waited up to 13.5 s in the server's one FIFO behind page callbacks. The
    lanes are in the app, not in the server (public WSGI only, no server internals), so waitress and gunicorn
    get the same behaviour; each serves with :data:`THREADS` threads, more than the slots.
    """

    def __init__(self, app: WsgiApp, pages: int = PAGE_SLOTS, sign_in: int = SIGN_IN_SLOTS) -> None:
        self.app = app
        self.pages = threading.BoundedSemaphore(pages)
        self.sign_in = threading.BoundedSemaphore(sign_in)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        lane = self.sign_in if environ.get("PATH_INFO") in SIGN_IN_PATHS else self.pages
        # the response is built inside the call (Flask); a streamed file is read by the server afterwards,
        # outside the slot: disk reads need no place in the lane
        with lane:
            return self.app(environ, start_response)


class ConsoleServer:
    """A bound waitress server. ``run()`` blocks; ``start()`` runs it in a daemon thread; ``stop()`` closes."""

    def __init__(self, app: dash.Dash, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> None:
        self._sockets: dict[int, Any] = {}  # the server's event loop runs while this map holds a socket
        self._server: Any = create_server(app.server, host=host, port=port, threads=THREADS, ident="zerocarbon",
                                          channel_request_lookahead=REQUEST_LOOKAHEAD, map=self._sockets)
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
        """Close the listening socket and every connection, then end the request threads. The sockets are
        closed by the event loop itself (waitress's trigger runs the thunk in the loop's thread): closed from
        here, one could vanish under the loop's select() (EBADF in the server thread); open connections kept
        the loop running, and the request threads outlived the server. ``trigger`` and ``task_dispatcher`` are
        waitress's own (public names, not documented API): every test that serves a console stops it here."""
        if self._thread is not None and self._thread.is_alive():
            try:
                self._server.trigger.pull_trigger(lambda: wasyncore.close_all(self._sockets))
            except OSError:  # the trigger is closed: the loop is already ending (seen once at load 11, EBADF)
                wasyncore.close_all(self._sockets)
            self._thread.join(timeout=5)
        else:
            wasyncore.close_all(self._sockets)
        self._server.task_dispatcher.shutdown(cancel_pending=True, timeout=5)


def serve(app: dash.Dash, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> None:
    """Serve until the process stops (call it in a thread to run beside other services)."""
    ConsoleServer(app, host, port).run()
