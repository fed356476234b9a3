from __future__ import annotations

import io
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bot.config import Settings
from bot.errors import ConfigError
from handlers.serve import RedactSecrets, check_bot_token


def test_tokens_and_secrets_are_redacted_from_logs() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactSecrets(["my-signing-secret-value"]))
    logger = logging.getLogger("redaction-test")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning(
            "token %s app %s secret %s",
            "xoxb-123-456-abc",
            "xapp-1-A1-xyz",
            "my-signing-secret-value",
        )
        logger.warning("Authorization: Bearer xoxp-999-abc")
    finally:
        logger.removeHandler(handler)
    output = stream.getvalue()
    for secret in ("xoxb-123-456-abc", "xapp-1-A1-xyz", "my-signing-secret-value", "xoxp-999"):
        assert secret not in output
    assert "xoxb-[redacted]" in output and "[redacted]" in output


def test_a_log_call_with_bad_arguments_does_not_raise_into_its_caller(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    handler = logging.StreamHandler(io.StringIO())
    handler.addFilter(RedactSecrets(["my-signing-secret-value"]))
    reported: list[logging.LogRecord] = []
    monkeypatch.setattr(handler, "handleError", reported.append)  # logging's own report
    logger = logging.getLogger("bad-format-test")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("%d items", "not a number")  # a library's mistake
    finally:
        logger.removeHandler(handler)
    assert len(reported) == 1


class _NotSlack(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        page = b"<html><body>404 Not Found</body></html>"
        self.send_response(404)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(page)))
        self.end_headers()
        self.wfile.write(page)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


def test_an_api_url_that_is_not_slack_is_named_not_the_token() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _NotSlack)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/wrong/"
    try:
        with pytest.raises(ConfigError) as error:
            check_bot_token(Settings(slack_bot_token="xoxb-1-2-abc", slack_api_url=url))
    finally:
        server.shutdown()
        server.server_close()
    assert error.value.variable == "SLACK_API_URL"
    assert "HTTP 404" in str(error.value)
