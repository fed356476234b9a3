"""A local fake of Slack's Socket Mode websocket endpoint for tests.

Slack hands a Socket Mode app a websocket URL (from ``apps.connections.open``), greets it
with a ``hello`` message, then sends it envelopes; the app acknowledges each one by sending
back its ``envelope_id``. This fake does the same on localhost, on the websockets library's
threaded server::

    with FakeSocketMode() as socket_mode:
        slack.set_response("apps.connections.open", {"ok": True, "url": socket_mode.url})
        ...  # start the app
        socket_mode.wait_connected()
        socket_mode.send({"envelope_id": "e1", "type": "slash_commands", "payload": {...}})
        socket_mode.wait_for_ack("e1")
"""

from __future__ import annotations

import json
import threading
import time
from types import TracebackType
from typing import Any

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import Server, ServerConnection, serve

__all__ = ["FakeSocketMode"]


class FakeSocketMode:
    """Accepts Socket Mode connections, sends envelopes and records what the app sends back."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._connections: list[ServerConnection] = []
        self._received: list[dict[str, Any]] = []
        self._server: Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> FakeSocketMode:
        """Listen on a free localhost port, serving in a background thread."""
        # No compression and no server-side pings: the app's client does its own pinging.
        self._server = serve(self._handle, "127.0.0.1", 0, compression=None, ping_interval=None)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Close every connection and stop listening."""
        if self._server is not None:
            self._server.shutdown()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeSocketMode:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The websocket URL to hand out from ``apps.connections.open``."""
        assert self._server is not None, "start the fake first"
        port = self._server.socket.getsockname()[1]
        return f"ws://127.0.0.1:{port}/link/?ticket=test"

    def connections(self) -> int:
        """How many connections the app has opened so far."""
        with self._cond:
            return len(self._connections)

    def wait_connected(self, count: int = 1, timeout: float = 10.0) -> None:
        """Block until the app has opened ``count`` connections."""
        self._wait(lambda: len(self._connections) >= count, timeout, f"{count} connection(s)")

    def send(self, envelope: dict[str, Any]) -> None:
        """Send one envelope over the newest connection."""
        with self._cond:
            connection = self._connections[-1]
        connection.send(json.dumps(envelope))

    def wait_for_ack(self, envelope_id: str, timeout: float = 10.0) -> dict[str, Any]:
        """The message in which the app acknowledged ``envelope_id``."""

        def acked() -> bool:
            return any(m.get("envelope_id") == envelope_id for m in self._received)

        self._wait(acked, timeout, f"an ack of {envelope_id}")
        with self._cond:
            return next(m for m in self._received if m.get("envelope_id") == envelope_id)

    def received(self) -> list[dict[str, Any]]:
        """Every message the app sent, in order."""
        with self._cond:
            return list(self._received)

    def _wait(self, condition: Any, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        with self._cond:
            while not condition():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"timed out after {timeout}s waiting for {what}")
                self._cond.wait(remaining)

    def _handle(self, connection: ServerConnection) -> None:
        connection.send(
            json.dumps(
                {
                    "type": "hello",
                    "num_connections": 1,
                    "connection_info": {"app_id": "A1"},
                    "debug_info": {"host": "fake-socket-mode", "approximate_connection_time": 3600},
                }
            )
        )
        with self._cond:
            self._connections.append(connection)
            self._cond.notify_all()
        try:
            for message in connection:
                with self._cond:
                    self._received.append(json.loads(message))
                    self._cond.notify_all()
        except ConnectionClosed:
            pass
