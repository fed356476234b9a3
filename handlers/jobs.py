"""Answering questions away from the request threads, by default in a worker process.

A listener acknowledges Slack's request and hands the question to :class:`Jobs`; the job
answers it, stores it and posts the reply. In a worker process the search, the storing and
the posting never compete with the server's acks for Python's interpreter lock (measured in
docs/benchmarks.md). The worker opens the same SQLite database and its own Web API client.
Failures are logged there with their context, and the user is told where Slack allows.
"""

from __future__ import annotations

import atexit
import itertools
import logging
import multiprocessing
import os
import queue
import signal
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from multiprocessing.process import BaseProcess
from multiprocessing.queues import Queue
from typing import Any

from slack_sdk import WebClient
from slack_sdk.webhook import WebhookClient

from bot.config import Settings
from bot.i18n import t
from bot.knowledge.text import detect_language
from bot.questions import SmallTalk, small_talk
from bot.services import Services, build_services, keep_vectors_complete
from handlers.blocks import answer_blocks, fallback_text, text_blocks
from handlers.client import build_client
from handlers.failures import log_failure, user_message

log = logging.getLogger(__name__)

# Seconds a worker gets to finish its queue when the server stops.
CLOSE_TIMEOUT = 60.0
# How often an idle worker checks that its server is still there.
SERVER_CHECK_SECONDS = 0.5


@dataclass
class _Worker:
    settings: Settings
    services: Services
    client: WebClient
    posting: ThreadPoolExecutor
    # What each reply still being posted answers ("dm from U1 in D1"), by a number of its own.
    unsent: dict[int, str] = field(default_factory=dict)
    unsent_lock: threading.Lock = field(default_factory=threading.Lock)


_worker: _Worker | None = None
_post_numbers = itertools.count()


Job = tuple[Callable[..., None], tuple[Any, ...]]


class Jobs:
    """Runs answer jobs in ``processes`` worker processes, or on threads when it is 0.

    Jobs are fire-and-forget: the server puts each on a queue and returns to acking; a
    worker logs whatever goes wrong. No result travels back, so nothing in the server
    process waits on, or wakes up for, a job.
    """

    def __init__(self, settings: Settings, processes: int = 1, threads: int = 4) -> None:
        self._executor: ThreadPoolExecutor | None = None
        self._processes: list[BaseProcess] = []
        # Request threads submit at once: one of them replaces dead workers, and none
        # submits once close() has begun.
        self._lock = threading.Lock()
        self._closed = False
        if processes > 0:
            self._settings = settings
            self._context = multiprocessing.get_context("spawn")
            self._start_processes(processes)
            # Workers stop only when told (or when this process is gone): tell them at exit,
            # before multiprocessing's own exit handler waits for them.
            atexit.register(self.close)
        else:
            _start_worker(settings, own_process=False)
            self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="job")

    def submit(self, job: Callable[..., None], *args: Any) -> None:
        """Start ``job(*args)``; do not wait for it. After :meth:`close` the job is logged
        and dropped (the server is stopping)."""
        with self._lock:
            if self._closed:
                log.warning("not started, the server is stopping: %s%r", job.__name__, args)
                return
            if self._executor is not None:
                self._executor.submit(job, *args).add_done_callback(_log_crash)
                return
            dead = [p for p in self._processes if not p.is_alive()]
            if dead:
                # A worker killed mid-read can leave the queue's lock taken: start over with a
                # new queue. Jobs still in the old one are lost (their questions were not yet
                # stored).
                log.error(
                    "job worker %s died (exit %s); starting new workers",
                    dead[0].pid,
                    dead[0].exitcode,
                )
                for process in self._processes:
                    process.kill()
                self._abandon_queue()
                self._start_processes(len(self._processes), wait=False)  # keep the ack fast
            self._queue.put((job, args))

    def _start_processes(self, count: int, wait: bool = True) -> None:
        self._queue: Queue[Job | None] = self._context.Queue()
        # Kept on self: a spawned child fetches the queues' pipes from this process as it starts.
        self._ready: Queue[bool] = self._context.Queue()
        ready = self._ready
        self._processes = [
            self._context.Process(
                target=_worker_main, args=(self._settings, self._queue, ready), daemon=True
            )
            for _ in range(count)
        ]
        for process in self._processes:
            process.start()
        for _ in self._processes if wait else ():
            ready.get(timeout=120)

    def close(self) -> None:
        """Finish the queued jobs, then stop the workers (one still busy after a minute is
        killed, so that stopping never hangs). Later jobs are refused."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            for _ in self._processes:
                self._queue.put(None)
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            _finish_posting()
            _current().services.close()
            return
        for process in self._processes:
            process.join(timeout=CLOSE_TIMEOUT)
            if process.is_alive():
                log.error("job worker %s did not finish its queue in time; killed", process.pid)
                process.kill()
                process.join()
                self._abandon_queue()

    def _abandon_queue(self) -> None:
        """Give up the jobs still in the queue: nobody reads them, and the thread that feeds
        them to the pipe must not keep this process from exiting."""
        self._queue.cancel_join_thread()
        self._queue.close()


def _worker_main(settings: Settings, jobs: Queue[Job | None], ready: Queue[bool]) -> None:
    """A worker process: run jobs from the queue until told to stop (None), or until its
    server is gone.

    Ctrl+C and a SIGTERM to the whole service (systemd sends it to every process) reach the
    worker too: it ignores them. The server gets them as well; it stops taking requests,
    then tells the worker to stop once the jobs queued so far are done.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    _start_worker(settings, own_process=True)
    ready.put(True)
    server = multiprocessing.parent_process()
    assert server is not None, "a worker runs in a process of its own"
    while True:
        try:
            item = jobs.get(timeout=SERVER_CHECK_SECONDS)
        except queue.Empty:
            if not server.is_alive():  # an orphan has nobody to answer for
                break
            continue
        if item is None:
            break
        job, args = item
        try:
            job(*args)
        except Exception as error:  # noqa: BLE001 - a job must never end the worker
            log.error("an answer job crashed: %s", error, exc_info=error)
    _finish_posting()
    _current().services.close()


def reply(
    jobs: Jobs, text: str, user: str, channel: str, thread_ts: str | None, surface: str
) -> None:
    """Reply to a message in ``channel`` (in its thread, if given): small talk gets a reply
    of its own, anything else an answer from the knowledge base."""
    chat = small_talk(text)
    if chat:
        jobs.submit(post_small_talk, chat, channel, thread_ts)
    else:
        jobs.submit(answer_message, text, user, channel, thread_ts, surface)


def answer_command(text: str, user: str, channel: str, response_url: str) -> None:
    """``/ask``: answer privately through the command's response_url."""
    _answer(text, user, channel, "command", _respond, response_url, shareable=True)


def answer_message(text: str, user: str, channel: str, thread_ts: str | None, surface: str) -> None:
    """A question from a mention (answered in its thread), a DM or the App Home (answered in
    the DM)."""
    _answer(text, user, channel, surface, _post_message, channel, thread_ts=thread_ts)


def _answer(
    text: str,
    user: str,
    channel: str,
    surface: str,
    send: Callable[..., None],
    target: str,
    shareable: bool = False,
    **where_to: Any,
) -> None:
    """Ask, then send the answer with ``send(target, ...)``; on failure, say so in the
    question's language."""
    where = f"{surface} from {user} in {channel}"
    try:
        asked = _current().services.questions.ask(text, user, channel, surface)
    except Exception as error:  # noqa: BLE001 - logged with context, the user is told
        log_failure(where, error)
        lang = detect_language(text, _current().settings.default_lang)
        _post(where, send, target, text=user_message(error, lang, "ask_failed"), **where_to)
        return
    _post(
        where,
        send,
        target,
        text=fallback_text(asked.answer),
        blocks=answer_blocks(asked.answer, asked.question_id, shareable=shareable),
        **where_to,
    )


def post_small_talk(chat: SmallTalk, channel: str, thread_ts: str | None) -> None:
    """The reply to a mention or DM that holds no question: how to ask, or you're welcome."""
    reply = t(chat.reply, chat.lang or _current().settings.default_lang)
    _post(
        f"{chat.reply} in {channel}",
        _post_message,
        channel,
        text=reply,
        blocks=text_blocks(reply),
        thread_ts=thread_ts,
    )


def _respond(response_url: str, **message: Any) -> None:
    response = WebhookClient(response_url, timeout=10).send(
        response_type="ephemeral", replace_original=False, **message
    )
    if response.status_code != 200:
        raise RuntimeError(f"response_url answered HTTP {response.status_code}")


def _post_message(channel: str, **message: Any) -> None:
    _current().client.chat_postMessage(channel=channel, **message)


def _post(where: str, send: Callable[..., None], target: str, **message: Any) -> None:
    """Post on the worker's I/O threads: a slow Web API never holds up the next answer."""

    worker = _current()
    with worker.unsent_lock:
        key = next(_post_numbers)
        worker.unsent[key] = where

    def run() -> None:
        try:
            send(target, **message)
        except Exception as error:  # noqa: BLE001 - logged with context; the answer is stored
            log_failure(f"{where}: posting the answer", error)
        finally:
            with worker.unsent_lock:
                del worker.unsent[key]

    worker.posting.submit(run)


def _finish_posting() -> None:
    """Post the replies still waiting (a slow Web API may hold them up), naming them first:
    a worker still busy CLOSE_TIMEOUT seconds after the stop is killed, and they are lost."""
    worker = _current()
    with worker.unsent_lock:
        unsent = list(worker.unsent.values())
    if unsent:
        log.warning(
            "stopping: %d replies still to post (lost if the worker is still posting them "
            "when the server's stop timeout of %.0f s ends): %s",
            len(unsent),
            CLOSE_TIMEOUT,
            "; ".join(unsent[:50]) + (" …" if len(unsent) > 50 else ""),
        )
    worker.posting.shutdown(wait=True)


def _start_worker(settings: Settings, own_process: bool) -> None:
    global _worker
    if own_process:
        from handlers.serve import configure_logging

        configure_logging(settings)
        _lower_priority()
    services = build_services(settings, seed=False)
    keep_vectors_complete(services.kb)  # the worker answers: it notices missing vectors
    _worker = _Worker(
        settings=settings,
        services=services,
        client=build_client(settings.slack_bot_token, settings.slack_api_url),
        posting=ThreadPoolExecutor(max_workers=8, thread_name_prefix="post"),
    )


def _lower_priority() -> None:
    """Let the OS run the server's acks first when both want the CPU; answers can wait."""
    try:
        os.nice(10)
    except (AttributeError, OSError):  # not on this platform: a nicety, not a need
        log.debug("could not lower the worker's priority")


def _current() -> _Worker:
    assert _worker is not None, "the job worker was not started"
    return _worker


def _log_crash(future: Future[None]) -> None:
    error = future.exception()
    if error is not None:
        log.error("an answer job crashed: %s", error, exc_info=error)
