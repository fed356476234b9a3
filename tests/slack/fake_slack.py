"""A local, in-process fake of the Slack Web API for tests (stdlib only).

Usage::

    with FakeSlack() as slack:
        client = WebClient(token="xoxb-test", base_url=slack.api_url)
        client.chat_postMessage(channel="C1", text="hi")
        (call,) = slack.wait_for("chat.postMessage")
        assert call.params["text"] == "hi"

Requests to ``/api/<method>`` are answered with canned successful responses (see
``FakeSlack._canned``); requests to ``/response/<name>`` emulate a slash command
``response_url`` and are recorded with method ``"response_url"``.
"""

from __future__ import annotations

import email.parser
import email.policy
import json
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

__all__ = ["Call", "FakeSlack", "RESPONSE_URL_METHOD"]

#: Method name under which POSTs to a ``response_url`` are recorded.
RESPONSE_URL_METHOD = "response_url"

_BOT_USER_ID = "UBOT"
_BOT_ID = "BBOT"
_TEAM_ID = "T1"
_TS_BASE_SECONDS = 1_700_000_000
_DEFAULT_ERRORS = {
    400: "invalid_arguments",
    404: "unknown_method",
    429: "ratelimited",
    500: "internal_error",
    502: "bad_gateway",
    503: "service_unavailable",
}


@dataclass
class Call:
    """One HTTP request received by the fake.

    ``params`` holds form fields (single values flattened to ``str``, repeated
    fields kept as lists), JSON body keys, or multipart fields, plus any query
    string parameters. ``headers`` keeps the header names as sent; use
    :meth:`header` for a case-insensitive lookup. ``status`` is the HTTP status
    the fake answered with.
    """

    method: str
    params: dict[str, Any]
    headers: dict[str, str]
    path: str
    status: int = 200
    body: str = ""

    def json(self, key: str) -> Any:
        """Return ``params[key]`` decoded from JSON (as-is if it is not a string)."""
        value = self.params[key]
        return json.loads(value) if isinstance(value, (str, bytes)) else value

    def header(self, name: str, default: str | None = None) -> str | None:
        """Case-insensitive header lookup."""
        lowered = name.lower()
        for key, value in self.headers.items():
            if key.lower() == lowered:
                return value
        return default

    @property
    def token(self) -> str | None:
        """The token sent as ``Authorization: Bearer ...`` or as a ``token`` param."""
        auth = self.header("Authorization")
        if auth and auth.lower().startswith("bearer "):
            return auth[len("bearer ") :].strip()
        token = self.params.get("token")
        return token if isinstance(token, str) else None


@dataclass
class _Failure:
    """A pending injected failure for one method."""

    status: int
    remaining: int
    retry_after: str | None = None
    error: str | None = None
    extra_headers: dict[str, str] = field(default_factory=dict)


class _Server(ThreadingHTTPServer):
    """HTTP server carrying a back-reference to its :class:`FakeSlack`."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, fake: FakeSlack) -> None:
        self.fake = fake
        super().__init__(("127.0.0.1", 0), _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Stay quiet when a client hangs up (e.g. it timed out during a delay)."""


class _Handler(BaseHTTPRequestHandler):
    """Routes requests to the owning :class:`FakeSlack`."""

    server: _Server

    def do_POST(self) -> None:
        self._handle()

    def do_GET(self) -> None:
        self._handle()

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the default stderr request logging."""

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length > 0 else b""
        status, headers, payload = self.server.fake._dispatch(
            path=self.path,
            headers={k: v for k, v in self.headers.items()},
            raw_body=raw,
        )
        data = json.dumps(payload).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


def _flatten(parsed: dict[str, list[str]]) -> dict[str, Any]:
    return {k: v[0] if len(v) == 1 else v for k, v in parsed.items()}


def _parse_body(content_type: str, raw: bytes) -> dict[str, Any]:
    """Parse a form-encoded, JSON or multipart request body into a dict."""
    if not raw:
        return {}
    ctype = content_type.split(";", 1)[0].strip().lower()
    text = raw.decode("utf-8", errors="replace")
    if ctype == "application/json" or (not ctype and text.lstrip().startswith("{")):
        try:
            decoded = json.loads(text)
        except json.JSONDecodeError:
            return {"_raw": text}
        return decoded if isinstance(decoded, dict) else {"_json": decoded}
    if ctype == "multipart/form-data":
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            f"Content-Type: {content_type}\r\n\r\n".encode() + raw
        )
        fields: dict[str, list[Any]] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if not isinstance(name, str):
                continue
            content = part.get_payload(decode=True)
            value: Any = content
            if part.get_filename() is None and isinstance(content, bytes):
                value = content.decode("utf-8", errors="replace")
            fields.setdefault(name, []).append(value)
        return {k: v[0] if len(v) == 1 else v for k, v in fields.items()}
    return _flatten(parse_qs(text, keep_blank_values=True))


class FakeSlack:
    """Local fake of the Slack Web API served on ``127.0.0.1`` from a daemon thread."""

    def __init__(self) -> None:
        self.delay: float = 0.0
        self._cond = threading.Condition()
        self._calls: list[Call] = []
        self._failures: dict[str, list[_Failure]] = {}
        self._delays: dict[str, float] = {}
        self._responses: dict[str, dict[str, Any] | Callable[[Call], dict[str, Any]]] = {}
        self._ts_counter = 0
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> FakeSlack:
        """Bind a free port and start serving; returns ``self``."""
        if self._server is not None:
            raise RuntimeError("FakeSlack is already started")
        self._stopping.clear()
        self._server = _Server(self)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"FakeSlack:{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port (idempotent)."""
        server, thread = self._server, self._thread
        if server is None:
            return
        self._stopping.set()  # interrupt pending delays
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- URLs ------------------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The TCP port the fake listens on."""
        if self._server is None:
            raise RuntimeError("FakeSlack is not started")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        """Web API base URL for ``WebClient(base_url=...)`` (ends with ``/api/``)."""
        return f"{self.base_url}/api/"

    def response_url(self, name: str = "r1") -> str:
        """A slash-command style ``response_url`` served by this fake."""
        return f"{self.base_url}/response/{name}"

    # -- recorded calls --------------------------------------------------------------------

    @property
    def calls(self) -> list[Call]:
        """A snapshot of all recorded calls, in arrival order."""
        with self._cond:
            return list(self._calls)

    def calls_to(self, method: str) -> list[Call]:
        """All recorded calls to ``method`` (e.g. ``"chat.postMessage"``)."""
        with self._cond:
            return [c for c in self._calls if c.method == method]

    def methods(self) -> list[str]:
        """Method names of all recorded calls, in arrival order."""
        with self._cond:
            return [c.method for c in self._calls]

    def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[Call]:
        """Block until at least ``count`` calls to ``method`` arrived; return them.

        Raises AssertionError (listing the methods received so far) on timeout.
        """
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                matching = [c for c in self._calls if c.method == method]
                if len(matching) >= count:
                    return matching
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    received = Counter(c.method for c in self._calls)
                    summary = ", ".join(f"{m} x{n}" for m, n in received.items()) or "none"
                    raise AssertionError(
                        f"Timed out after {timeout:g}s waiting for {count} call(s) to "
                        f"{method!r}; got {len(matching)}. Methods received: {summary}"
                    )
                self._cond.wait(remaining)

    def reset(self) -> None:
        """Forget recorded calls, pending failures, delays and response overrides."""
        with self._cond:
            self._calls.clear()
            self._failures.clear()
            self._delays.clear()
            self._responses.clear()
            self.delay = 0.0

    # -- behaviour knobs -------------------------------------------------------------------

    def fail(
        self,
        method: str,
        status: int | None = None,
        times: int = 1,
        retry_after: int | str | None = None,
        error: str | None = None,
    ) -> None:
        """Make the next ``times`` calls to ``method`` fail.

        ``status`` defaults to 500, or to 200 when ``error`` is given; a 200 failure
        answers ``{"ok": false, "error": error}``. A 429 always carries a
        ``Retry-After`` header (``retry_after``, default ``"1"``). Non-200 failures
        answer ``{"ok": false, "error": error or <a status-based default>}``.
        Failures queue up: several ``fail()`` calls apply in order.
        """
        if times < 1:
            raise ValueError("times must be >= 1")
        resolved = status if status is not None else (200 if error is not None else 500)
        if resolved == 200 and error is None:
            raise ValueError("a status-200 failure needs an error code")
        failure = _Failure(status=resolved, remaining=times, error=error)
        if resolved == 429:
            failure.retry_after = str(retry_after) if retry_after is not None else "1"
        elif retry_after is not None:
            failure.retry_after = str(retry_after)
        with self._cond:
            self._failures.setdefault(method, []).append(failure)

    def set_delay(self, method: str, seconds: float) -> None:
        """Delay answers to ``method`` by ``seconds`` (overrides ``delay`` for it)."""
        with self._cond:
            self._delays[method] = seconds

    def set_response(
        self, method: str, response: dict[str, Any] | Callable[[Call], dict[str, Any]]
    ) -> None:
        """Override the successful answer for ``method`` (a dict or ``fn(call) -> dict``)."""
        with self._cond:
            self._responses[method] = response

    # -- request handling ------------------------------------------------------------------

    def _next_ts(self) -> str:
        """A unique, increasing Slack-style message timestamp."""
        with self._cond:
            self._ts_counter += 1
            micros = self._ts_counter * 100
        return f"{_TS_BASE_SECONDS + micros // 1_000_000}.{micros % 1_000_000:06d}"

    def _take_failure(self, method: str) -> _Failure | None:
        queue = self._failures.get(method)
        if not queue:
            return None
        failure = queue[0]
        failure.remaining -= 1
        if failure.remaining <= 0:
            queue.pop(0)
        return failure

    def _dispatch(
        self, *, path: str, headers: dict[str, str], raw_body: bytes
    ) -> tuple[int, dict[str, str], dict[str, Any]]:
        """Record one request and compute ``(status, extra headers, JSON body)``."""
        split = urlsplit(path)
        route = split.path
        content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
        params = _flatten(parse_qs(split.query, keep_blank_values=True))
        params.update(_parse_body(content_type, raw_body))

        is_api = route.startswith("/api/")
        if is_api:
            method = route[len("/api/") :]
        elif route.startswith("/response/"):
            method = RESPONSE_URL_METHOD
        else:
            method = route

        call = Call(
            method=method,
            params=params,
            headers=headers,
            path=route,
            body=raw_body.decode("utf-8", errors="replace"),
        )
        extra_headers: dict[str, str] = {}
        with self._cond:
            failure = self._take_failure(method)
            delay = self._delays.get(method, self.delay if is_api else 0.0)
            override = self._responses.get(method)

        if failure is not None:
            call.status = failure.status
            payload: dict[str, Any] = {
                "ok": False,
                "error": failure.error or _DEFAULT_ERRORS.get(failure.status, "fatal_error"),
            }
            if failure.retry_after is not None:
                extra_headers["Retry-After"] = failure.retry_after
        elif not is_api and method != RESPONSE_URL_METHOD:
            call.status = 404
            payload = {"ok": False, "error": "unknown_path"}
        elif override is not None:
            payload = override(call) if callable(override) else dict(override)
        else:
            payload = self._canned(call)

        with self._cond:
            self._calls.append(call)
            self._cond.notify_all()

        if delay > 0:
            self._stopping.wait(delay)
        return call.status, extra_headers, payload

    def _canned(self, call: Call) -> dict[str, Any]:
        """The default successful answer for ``call``."""
        p = call.params
        method = call.method
        if method == "auth.test":
            return {
                "ok": True,
                "url": "https://test.slack.com/",
                "user_id": _BOT_USER_ID,
                "bot_id": _BOT_ID,
                "team_id": _TEAM_ID,
                "user": "socialbot",
                "team": "Test",
            }
        if method == "chat.postMessage":
            ts = self._next_ts()
            return {
                "ok": True,
                "channel": p.get("channel"),
                "ts": ts,
                "message": self._message(p, ts),
            }
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": self._next_ts()}
        if method == "chat.update":
            updated_ts = str(p.get("ts", ""))
            return {
                "ok": True,
                "channel": p.get("channel"),
                "ts": updated_ts,
                "text": p.get("text", ""),
                "message": self._message(p, updated_ts),
            }
        if method == "views.publish":
            return {"ok": True, "view": {"id": "V1"}}
        if method == "conversations.open":
            users = str(p.get("users", ""))
            return {"ok": True, "channel": {"id": "D" + users.replace(",", "")}}
        if method == "chat.getPermalink":
            channel = p.get("channel", "")
            ts = str(p.get("message_ts", "")).replace(".", "")
            return {
                "ok": True,
                "channel": channel,
                "permalink": f"https://example.slack.com/archives/{channel}/p{ts}",
            }
        if method == "users.info":
            user = str(p.get("user", ""))
            return {
                "ok": True,
                "user": {
                    "id": user,
                    "name": user.lower(),
                    "locale": "en-US",
                    "tz": "Europe/Brussels",
                },
            }
        return {"ok": True}

    @staticmethod
    def _message(params: dict[str, Any], ts: str) -> dict[str, Any]:
        """The ``message`` object echoed back by chat.postMessage / chat.update."""
        message: dict[str, Any] = {
            "type": "message",
            "user": _BOT_USER_ID,
            "bot_id": _BOT_ID,
            "text": params.get("text", ""),
            "ts": ts,
        }
        for key in ("blocks", "attachments"):
            if key in params:
                value = params[key]
                try:
                    message[key] = json.loads(value) if isinstance(value, str) else value
                except json.JSONDecodeError:
                    message[key] = value
        if "thread_ts" in params:
            message["thread_ts"] = params["thread_ts"]
        return message
