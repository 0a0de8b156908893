"""A loopback-only HTTP control port for a running simulated site: set, clear and list faults.

    GET    /faults                 -> {"pv-inv-03": {"kind": "comm_loss", "mode": "close"}, ...}
    PUT    /faults/<device>        body {"kind": "slow", "params": {"delay_s": 5}}
    DELETE /faults/<device>
    GET    /values/<device>        -> what the device reports now

``zerocarbon simulate --set-fault pv-inv-03=comm_loss`` and ``--clear-fault pv-inv-03`` are clients of it.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from models.errors import FaultError
from simulators.site import SimulatedSite

DEFAULT_CONTROL_PORT = 8765


class _Handler(BaseHTTPRequestHandler):
    sim: SimulatedSite  # set on the subclass made per server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's signature
        pass  # the simulator logs faults itself; one line per HTTP call would drown them

    def _reply(self, status: int, body: object) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _device(self, prefix: str) -> str | None:
        return self.path[len(prefix) :] if self.path.startswith(prefix) and len(self.path) > len(prefix) else None

    def do_GET(self) -> None:  # noqa: N802 - http.server naming
        if self.path == "/faults":
            return self._reply(200, self.sim.faults())
        device = self._device("/values/")
        if device is None:
            return self._reply(404, {"error": f"no route {self.path}; use /faults or /values/<device>"})
        try:
            self.sim.site.device(device)
        except KeyError as exc:
            return self._reply(404, {"error": str(exc)})
        return self._reply(200, self.sim.values(device))

    def do_PUT(self) -> None:  # noqa: N802
        device = self._device("/faults/")
        if device is None:
            return self._reply(404, {"error": "PUT /faults/<device> with {\"kind\": ..., \"params\": {...}}"})
        try:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
            self.sim.fault(device, str(body.get("kind")), **dict(body.get("params") or {}))
        except (FaultError, KeyError, ValueError, TypeError) as exc:
            return self._reply(400, {"error": str(exc).strip('"')})
        return self._reply(200, self.sim.faults())

    def do_DELETE(self) -> None:  # noqa: N802
        device = self._device("/faults/")
        try:
            if device is None:
                raise KeyError(f"no route {self.path}; use DELETE /faults/<device>")
            self.sim.clear_fault(device)
        except KeyError as exc:
            return self._reply(404, {"error": str(exc).strip('"')})
        return self._reply(200, self.sim.faults())


class ControlServer:
    """Serves the control port on 127.0.0.1 only, in a daemon thread."""

    def __init__(self, sim: SimulatedSite, port: int = DEFAULT_CONTROL_PORT) -> None:
        handler = type("Handler", (_Handler,), {"sim": sim})
        self._server = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(target=self._server.serve_forever, name="sim-control", daemon=True)

    def start(self) -> ControlServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)


def call(port: int, method: str, path: str, body: object | None = None, timeout_s: float = 5.0) -> Any:
    """One request to a running simulator's control port; raises RuntimeError with its message."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method)
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as exc:
        raise RuntimeError(json.loads(exc.read() or b"{}").get("error", str(exc))) from None
    except (urllib.error.URLError, ConnectionError) as exc:
        raise RuntimeError(
            f"no simulator control port on 127.0.0.1:{port} ({exc}); start `zerocarbon simulate` or pass --control-port"
        ) from None
