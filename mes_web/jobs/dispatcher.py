"""The outbox dispatcher: a thread that turns new events into queued webhook deliveries and queues due retries."""

import logging
import threading
from contextlib import contextmanager

from flask import Flask

from mes_web.extensions import db
from mes_web.services.webhook_deliveries import deliveries_due_queue, events_dispatch

log = logging.getLogger(__name__)


class OutboxDispatcher:
    """Polls the event log: every half second when idle, straight away again while there is a backlog.

    Polling rather than a message per change keeps the request path free of any call to Redis, and
    reads whatever has committed, in whatever order transactions committed.
    """

    def __init__(self, app: Flask, every_seconds: float = 0.5):
        self.app, self.every_seconds = app, every_seconds
        self.stopping = threading.Event()

    def pass_once(self) -> int:
        """Dispatch one round of events and queue the retries now due; return how many events."""
        with self.app.app_context():
            try:
                dispatched = events_dispatch()
                deliveries_due_queue()
                return dispatched
            except Exception:  # the next round tries again; the events stay in the log meanwhile
                log.exception("webhook dispatch failed")
                return 0
            finally:
                db.session.remove()

    def _loop(self) -> None:
        while not self.stopping.is_set():
            if not self.pass_once():
                self.stopping.wait(self.every_seconds)

    @contextmanager
    def running(self):
        """Run the dispatcher in a daemon thread for the duration of the block."""
        thread = threading.Thread(target=self._loop, name="mes_web-outbox", daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self.stopping.set()
            thread.join(timeout=5)
