"""How a long-running command learns it should stop: SIGINT (Ctrl-C) and SIGTERM (systemd, docker stop)."""

from __future__ import annotations

import signal
import threading


def stop_on_signals() -> threading.Event:
    """An event set by SIGINT or SIGTERM; the command waits on it and then stops its services in order."""
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    return stop
