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

Messages posted with chat.postMessage are kept per channel (a user id posts to that
user's DM channel ``"D" + user id``): chat.update edits them, conversations.history and
conversations.replies read them back, and :meth:`FakeSlack.messages` and
:meth:`FakeSlack.metadata_keys` show them to tests. :meth:`FakeSlack.set_down` (or
``with slack.down(): ...``) emulates an outage and :meth:`FakeSlack.expire_response_url`
an expired ``response_url``. ``scopes`` sets the ``x-oauth-scopes`` header of auth.test.
"""

from __future__ import annotations

import base64
import binascii
import copy
import email.parser
import email.policy
import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
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
_RESPONSE_PREFIX = "/response/"
# Where files.getUploadURLExternal tells a client to send a file's bytes (files_upload_v2).
_UPLOAD_PREFIX = "/upload/"
UPLOAD_METHOD = "files.upload_url"
_ANY_METHOD = "*"
_HISTORY_LIMIT = 100
_HISTORY_MAX_LIMIT = 999
_CURSOR_PREFIX = "next_ts:"
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
    raw: bytes = b""  # the request body as sent (e.g. a file's bytes)
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
    channel: str | None = None


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


def _json_field(value: Any) -> Any:
    """A JSON-encoded form field decoded (other values, and invalid JSON, as-is)."""
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        return value


def _is_true(value: Any) -> bool:
    """Whether a boolean API argument is set (``True``, ``"true"`` or ``"1"``)."""
    return value is True or str(value).strip().lower() in ("true", "1")


def _parse_ts(value: Any) -> Decimal | None:
    """A message timestamp as an exact number, or None if it is not one."""
    try:
        parsed = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return parsed if parsed.is_finite() else None


def _dm_channel(channel: str) -> str:
    """The channel a message to ``channel`` lands in: a user id (U/W) means their DM."""
    return "D" + channel if channel[:1] in ("U", "W") else channel


class FakeSlack:
    """Local fake of the Slack Web API served on ``127.0.0.1`` from a daemon thread."""

    def __init__(self) -> None:
        self.delay: float = 0.0
        #: The scopes a successful auth.test names in its ``x-oauth-scopes`` header, as
        #: Slack does; None sends no such header.
        self.scopes: list[str] | None = None
        self._cond = threading.Condition()
        self._calls: list[Call] = []
        self._failures: dict[str, list[_Failure]] = {}
        self._delays: dict[str, float] = {}
        self._responses: dict[str, dict[str, Any] | Callable[[Call], dict[str, Any]]] = {}
        self._last_ts_micros = 0
        # (channel, message) in posting order; messages keep their "metadata" here
        self._messages: list[tuple[str, dict[str, Any]]] = []
        self._down_status: int | None = None
        self._expired: set[str] = set()
        # files_upload_v2: bytes by file id (step 2), then shared to a channel (step 3)
        self._uploaded: dict[str, bytes] = {}
        self._files: list[dict[str, Any]] = []
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

    def response_posts(self, name: str = "r1") -> list[Call]:
        """The successful (status 200) posts to ``response_url(name)``, in arrival order."""
        path = _RESPONSE_PREFIX + name
        with self._cond:
            return [
                c
                for c in self._calls
                if c.method == RESPONSE_URL_METHOD and c.path == path and c.status == 200
            ]

    def reset(self) -> None:
        """Forget recorded calls, stored messages, pending failures, delays, response
        overrides, expired response URLs and an outage."""
        with self._cond:
            self._calls.clear()
            self._messages.clear()
            self._failures.clear()
            self._delays.clear()
            self._responses.clear()
            self._expired.clear()
            self._uploaded.clear()
            self._files.clear()
            self._down_status = None
            self.delay = 0.0

    # -- stored messages -------------------------------------------------------------------

    def messages(self, channel: str) -> list[dict[str, Any]]:
        """Copies of the messages stored in ``channel``, oldest first, thread replies
        included. A user id (U/W) means that user's DM channel."""
        wanted = _dm_channel(channel)
        with self._cond:
            return [copy.deepcopy(m) for c, m in self._messages if c == wanted]

    def metadata_keys(self, channel: str | None = None) -> list[str]:
        """``metadata.event_payload["key"]`` of each stored message that has one, in
        posting order, from ``channel`` (a user id means their DM) or from all channels."""
        wanted = None if channel is None else _dm_channel(channel)
        keys: list[str] = []
        with self._cond:
            for stored_channel, message in self._messages:
                if wanted is not None and stored_channel != wanted:
                    continue
                metadata = message.get("metadata")
                payload = metadata.get("event_payload") if isinstance(metadata, dict) else None
                if isinstance(payload, dict) and payload.get("key") is not None:
                    keys.append(str(payload["key"]))
        return keys

    def files(self, channel: str | None = None) -> list[dict[str, Any]]:
        """Files shared by files.completeUploadExternal (``id``, ``title``, ``channel``,
        ``content``: the bytes uploaded), in sharing order; only ``channel``'s when given."""
        with self._cond:
            return [dict(f) for f in self._files if channel is None or f["channel"] == channel]

    # -- behaviour knobs -------------------------------------------------------------------

    def fail(
        self,
        method: str,
        status: int | None = None,
        times: int = 1,
        retry_after: int | str | None = None,
        error: str | None = None,
        channel: str | None = None,
    ) -> None:
        """Make the next ``times`` calls to ``method`` fail (only those whose ``channel``
        parameter is ``channel``, when given).

        ``method`` ``"*"`` means any API method (not ``response_url``); failures queued
        for the method itself are used first.
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
        failure = _Failure(status=resolved, remaining=times, error=error, channel=channel)
        if resolved == 429:
            failure.retry_after = str(retry_after) if retry_after is not None else "1"
        elif retry_after is not None:
            failure.retry_after = str(retry_after)
        with self._cond:
            self._failures.setdefault(method, []).append(failure)

    def set_down(self, down: bool, status: int = 503) -> None:
        """Start (``down=True``) or end an outage.

        While down, every request (API methods, ``response_url`` posts) is recorded
        with ``status`` and answered ``{"ok": false, "error": "service_unavailable"}``
        (plus ``Retry-After: 1`` for a 429) and has no other effect: nothing is stored,
        no injected failure is used up and no delay applies.
        """
        with self._cond:
            self._down_status = status if down else None

    @contextmanager
    def down(self, status: int = 503) -> Iterator[FakeSlack]:
        """``with slack.down(): ...``: an outage for the block, then as before."""
        with self._cond:
            previous = self._down_status
            self._down_status = status
        try:
            yield self
        finally:
            with self._cond:
                self._down_status = previous

    def expire_response_url(self, name: str = "r1") -> None:
        """Make later posts to ``response_url(name)`` answer 404 ``expired_url``."""
        with self._cond:
            self._expired.add(name)

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
        """A unique, increasing Slack-style message timestamp based on the current time."""
        with self._cond:
            micros = max(time.time_ns() // 1000, self._last_ts_micros + 1)
            self._last_ts_micros = micros
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def _take_failure(self, method: str, is_api: bool, channel: object) -> _Failure | None:
        queue = self._failures.get(method)
        if not queue and is_api:
            queue = self._failures.get(_ANY_METHOD)
        if not queue:
            return None
        failure = queue[0]
        if failure.channel is not None and failure.channel != channel:
            return None
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
        elif route.startswith(_RESPONSE_PREFIX):
            method = RESPONSE_URL_METHOD
        elif route.startswith(_UPLOAD_PREFIX):
            method = UPLOAD_METHOD
            params = {"file_id": route[len(_UPLOAD_PREFIX) :]}
        else:
            method = route

        call = Call(
            method=method,
            params=params,
            headers=headers,
            path=route,
            body=raw_body.decode("utf-8", errors="replace"),
            raw=raw_body,
        )
        extra_headers: dict[str, str] = {}
        with self._cond:
            down_status = self._down_status
            if down_status is not None:  # an outage: record the call, change nothing else
                call.status = down_status
                self._calls.append(call)
                self._cond.notify_all()
            else:
                expired = (
                    method == RESPONSE_URL_METHOD
                    and route[len(_RESPONSE_PREFIX) :] in self._expired
                )
                failure = (
                    None if expired else self._take_failure(method, is_api, params.get("channel"))
                )
                delay = self._delays.get(method, self.delay if is_api else 0.0)
                override = self._responses.get(method)
        if down_status is not None:
            if down_status == 429:
                extra_headers["Retry-After"] = "1"
            return down_status, extra_headers, {"ok": False, "error": "service_unavailable"}

        if expired:
            call.status = 404
            payload: dict[str, Any] = {"ok": False, "error": "expired_url"}
        elif failure is not None:
            call.status = failure.status
            payload = {
                "ok": False,
                "error": failure.error or _DEFAULT_ERRORS.get(failure.status, "fatal_error"),
            }
            if failure.retry_after is not None:
                extra_headers["Retry-After"] = failure.retry_after
        elif not is_api and method not in (RESPONSE_URL_METHOD, UPLOAD_METHOD):
            call.status = 404
            payload = {"ok": False, "error": "unknown_path"}
        elif override is not None:
            payload = override(call) if callable(override) else dict(override)
        else:
            payload = self._canned(call)
        if method == "auth.test" and call.status == 200 and self.scopes is not None:
            extra_headers["x-oauth-scopes"] = ",".join(self.scopes)

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
            return self._post_message(p)
        if method == "files.getUploadURLExternal":
            with self._cond:
                file_id = f"F{len(self._uploaded) + 1:06d}"
                self._uploaded[file_id] = b""
            upload_url = f"{self.base_url}{_UPLOAD_PREFIX}{file_id}"
            return {"ok": True, "file_id": file_id, "upload_url": upload_url}
        if method == UPLOAD_METHOD:
            with self._cond:
                self._uploaded[str(p["file_id"])] = call.raw
            return {"ok": True}
        if method == "files.completeUploadExternal":
            return self._complete_upload(p)
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": self._next_ts()}
        if method == "chat.update":
            return self._update_message(p)
        if method == "conversations.history":
            return self._history(p)
        if method == "conversations.replies":
            return self._replies(p)
        if method == "views.publish":
            return {"ok": True, "view": {"id": "V1"}}
        if method in ("views.open", "views.update", "views.push"):
            view = _json_field(p.get("view"))
            view = dict(view) if isinstance(view, dict) else {}
            view_id = str(p.get("view_id") or f"V{self._next_ts().replace('.', '')}")
            return {"ok": True, "view": {**view, "id": view_id, "hash": f"h-{view_id}"}}
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
        if method == "conversations.info":
            channel = str(p.get("channel", ""))
            return {
                "ok": True,
                "channel": {"id": channel, "name": channel.lower(), "is_member": True,
                            "is_private": channel.startswith("G"), "is_archived": False},
            }  # fmt: skip
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

    def _complete_upload(self, p: dict[str, Any]) -> dict[str, Any]:
        """files.completeUploadExternal: share the uploaded files to ``channel_id``."""
        files = _json_field(p.get("files")) or []
        shared = []
        with self._cond:
            for item in files:
                file_id = str(item.get("id"))
                if file_id not in self._uploaded:
                    return {"ok": False, "error": "file_not_found"}
                stored = {
                    "id": file_id,
                    "title": item.get("title"),
                    "channel": p.get("channel_id"),
                    "content": self._uploaded[file_id],
                }
                self._files.append(stored)
                shared.append({"id": file_id, "title": item.get("title")})
        return {"ok": True, "files": shared}

    def _post_message(self, p: dict[str, Any]) -> dict[str, Any]:
        """chat.postMessage: store the message in its channel (a user's: their DM)."""
        channel = p.get("channel")
        if isinstance(channel, str) and channel:
            channel = _dm_channel(channel)
        with self._cond:  # one lock for ts and append: a channel's order is ts order
            ts = self._next_ts()
            message = self._message(p, ts)
            if isinstance(channel, str) and channel:
                stored = copy.deepcopy(message)
                if "thread_ts" in stored:
                    stored["thread_ts"] = str(stored["thread_ts"])
                if "metadata" in p:
                    stored["metadata"] = _json_field(p["metadata"])
                self._messages.append((channel, stored))
        return {"ok": True, "channel": channel, "ts": ts, "message": message}

    def _update_message(self, p: dict[str, Any]) -> dict[str, Any]:
        """chat.update: replace the sent fields of the stored message with that ts."""
        channel, ts = str(p.get("channel", "")), str(p.get("ts", ""))
        with self._cond:
            stored = next((m for c, m in self._messages if c == channel and m["ts"] == ts), None)
            if stored is None:
                return {"ok": False, "error": "message_not_found"}
            if "text" in p:
                stored["text"] = p["text"]
            for key in ("blocks", "attachments"):
                if key in p:
                    value = _json_field(p[key])
                    if value in ([], ""):  # an empty array removes them
                        stored.pop(key, None)
                    else:
                        stored[key] = value
            if "metadata" in p:
                stored["metadata"] = _json_field(p["metadata"])
            message = {k: copy.deepcopy(v) for k, v in stored.items() if k != "metadata"}
        return {
            "ok": True,
            "channel": channel,
            "ts": ts,
            "text": message.get("text", ""),
            "message": message,
        }

    def _history(self, p: dict[str, Any]) -> dict[str, Any]:
        """conversations.history: top-level messages, newest first, one page."""
        inclusive = _is_true(p.get("inclusive"))
        bounds: dict[str, Decimal | None] = {}
        for name in ("oldest", "latest"):
            raw = p.get(name)
            bounds[name] = None if raw in (None, "") else _parse_ts(raw)
            if raw not in (None, "") and bounds[name] is None:
                return {"ok": False, "error": f"invalid_ts_{name}"}
        oldest, latest = bounds["oldest"], bounds["latest"]
        try:
            limit = int(p.get("limit") or _HISTORY_LIMIT)
        except (TypeError, ValueError):
            return {"ok": False, "error": "invalid_limit"}
        limit = min(max(limit, 1), _HISTORY_MAX_LIMIT)
        cursor = p.get("cursor")
        start: Decimal | None = None
        if cursor:
            try:
                decoded = base64.b64decode(str(cursor), validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                decoded = ""
            start = _parse_ts(decoded[len(_CURSOR_PREFIX) :])
            if not decoded.startswith(_CURSOR_PREFIX) or start is None:
                return {"ok": False, "error": "invalid_cursor"}

        def wanted(ts: Decimal) -> bool:
            if oldest is not None and (ts < oldest or (ts == oldest and not inclusive)):
                return False
            if latest is not None and (ts > latest or (ts == latest and not inclusive)):
                return False
            return start is None or ts <= start

        with_metadata = _is_true(p.get("include_all_metadata"))
        channel = str(p.get("channel", ""))
        with self._cond:
            found = [
                self._as_listed(m, with_metadata)
                for c, m in self._messages
                if c == channel
                and m.get("thread_ts") in (None, m["ts"])
                and wanted(Decimal(m["ts"]))
            ]
        found.reverse()  # newest first
        page, rest = found[:limit], found[limit:]
        next_cursor = ""
        if rest:  # like Slack's: base64 of "next_ts:<ts of the first message not listed>"
            next_cursor = base64.b64encode(f"{_CURSOR_PREFIX}{rest[0]['ts']}".encode()).decode()
        return {
            "ok": True,
            "messages": page,
            "has_more": bool(rest),
            "pin_count": 0,
            "response_metadata": {"next_cursor": next_cursor},
        }

    def _replies(self, p: dict[str, Any]) -> dict[str, Any]:
        """conversations.replies: the thread's parent (if stored) and replies, oldest first."""
        channel, ts = str(p.get("channel", "")), str(p.get("ts", ""))
        with_metadata = _is_true(p.get("include_all_metadata"))
        with self._cond:
            found = [
                self._as_listed(m, with_metadata)
                for c, m in self._messages
                if c == channel and (m["ts"] == ts or m.get("thread_ts") == ts)
            ]
        if not found:
            return {"ok": False, "error": "thread_not_found"}
        return {
            "ok": True,
            "messages": found,
            "has_more": False,
            "response_metadata": {"next_cursor": ""},
        }

    @staticmethod
    def _as_listed(message: dict[str, Any], with_metadata: bool) -> dict[str, Any]:
        """A stored message as history/replies list it (metadata only when asked for)."""
        listed = copy.deepcopy(message)
        if not with_metadata:
            listed.pop("metadata", None)
        return listed

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
