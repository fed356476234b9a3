from __future__ import annotations

import io
import logging
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from waitress.channel import HTTPChannel

from bot.config import Settings
from bot.errors import ConfigError
from bot.logs import RedactSecrets
from handlers.runtime import slack_client
from handlers.serve import check_bot_token, http_server, stop_http_server


def logged(name: str, *calls: tuple[object, ...], exc_info: bool = False) -> str:
    """What a handler with the redaction filter writes for ``logger.warning(*call)`` each, on
    a logger of its own (pytest hangs its capture handlers on a logger once it has run)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactSecrets(["my-signing-secret-value"]))
    logger = logging.getLogger(name)
    logger.addHandler(handler)
    logger.propagate = False
    try:
        for call in calls:
            logger.warning(*call, exc_info=exc_info)
    finally:
        logger.removeHandler(handler)
    return stream.getvalue()


def test_tokens_and_secrets_are_redacted_from_logs() -> None:
    output = logged(
        "redaction-test",
        (
            "token %s app %s secret %s",
            "xoxb-123-456-abc",
            "xapp-1-A1-xyz",
            "my-signing-secret-value",
        ),
        ("Authorization: Bearer xoxp-999-abc",),
    )
    for secret in ("xoxb-123-456-abc", "xapp-1-A1-xyz", "my-signing-secret-value", "xoxp-999"):
        assert secret not in output
    assert "xoxb-[redacted]" in output and "[redacted]" in output


def test_a_log_call_with_bad_arguments_neither_raises_nor_leaks() -> None:
    output = logged(
        "bad-format-test", ("%d items", "xoxb-123-456-abc")
    )  # a library's mistake, with a token
    assert "%d items" in output and "do not fit the format" in output
    assert "xoxb-123-456-abc" not in output and "xoxb-[redacted]" in output


def test_tracebacks_are_redacted_too() -> None:
    try:
        raise RuntimeError("refused xoxb-123-456-abc, secret my-signing-secret-value")
    except RuntimeError:
        output = logged("traceback-test", ("the call failed",), exc_info=True)
    assert "Traceback" in output and "RuntimeError: refused xoxb-[redacted]" in output
    assert "xoxb-123-456-abc" not in output and "my-signing-secret-value" not in output


class _NotSlack(BaseHTTPRequestHandler):
    """Answers every request with an HTML error page of the status in the path, e.g. /503/."""

    def do_POST(self) -> None:
        status = int(self.path.strip("/").split("/")[0])
        page = b"<html><body>error</body></html>"
        self.send_response(status)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(page)))
        self.end_headers()
        self.wfile.write(page)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


@pytest.fixture
def not_slack() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _NotSlack)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_an_api_url_that_is_not_slack_is_named_not_the_token(not_slack: str) -> None:
    settings = Settings(slack_bot_token="xoxb-1-2-abc", slack_api_url=f"{not_slack}/404/")
    with pytest.raises(ConfigError) as error:
        check_bot_token(slack_client(settings), settings)
    assert error.value.variable == "SLACK_API_URL"
    assert "HTTP 404" in str(error.value)


def test_slack_in_trouble_at_start_up_is_logged_not_blamed_on_a_setting(
    not_slack: str, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(slack_bot_token="xoxb-1-2-abc", slack_api_url=f"{not_slack}/503/")
    check_bot_token(slack_client(settings), settings)
    assert "answered HTTP 503 to the bot token check" in caplog.text


def _hello(environ: dict[str, object], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hello\n"]


@pytest.mark.parametrize("in_a_thread", [True, False])
def test_stopping_the_server_closes_every_connection(in_a_thread: bool) -> None:
    """The connections still open when the server stops are closed, not left to the garbage
    collector (a ResourceWarning, which the tests' -W error turned into a failure of
    whichever test ran when it collected them). Served from a thread as the tests serve,
    the loop ends as their sockets close; served as ``socialbot serve`` does, the loop has
    ended (on a signal) before the server is stopped."""
    server = http_server(_hello, "127.0.0.1", 0, threads=2)
    loop = threading.Thread(target=server.run, daemon=True)
    loop.start()
    idle = socket.create_connection(("127.0.0.1", server.effective_port), timeout=5)
    served = socket.create_connection(("127.0.0.1", server.effective_port), timeout=5)
    with idle, served:
        idle.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")  # a request not finished
        served.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")  # HTTP/1.1: kept alive
        answer = b""
        while not answer.endswith(b"hello\n"):
            answer += served.recv(4096)
        assert answer.startswith(b"HTTP/1.1 200 OK")
        connections = [c for c in server._map.values() if isinstance(c, HTTPChannel)]
        assert len(connections) == 2
        sockets = [c.socket for c in connections]
        if in_a_thread:
            stop_http_server(server, loop)
        else:
            # as a signal ends the loop in `serve`: the loop stops with the sockets open
            everything = dict(server._map)
            server.trigger.pull_trigger(lambda: server._map.clear())
            loop.join(timeout=5)
            server._map.update(everything)
            stop_http_server(server)
        assert not loop.is_alive()
        assert all(s.fileno() == -1 for s in sockets)
        assert idle.recv(4096) == b"" and served.recv(4096) == b""  # closed by the server
