"""The outbox dispatcher: a thread that turns new events into queued webhook deliveries and queues due retries."""

import logging
import os
import threading
from contextlib import contextmanager
from time import monotonic

from flask import Flask

from mes_web.extensions import db
from mes_web.services.webhook_deliveries import (
    EVENTS_PER_DISPATCH,
    deliveries_due_queue,
    deliveries_resend_lost,
    events_dispatch,
)

log = logging.getLogger(__name__)
AFTER_FAILURE_SECONDS = 10


class OutboxDispatcher:
    """Polls the event log every half second, and straight away again while a round comes back full (a backlog).

    Under steady scanning a round is never empty: going again whenever it found something kept the
    thread busy a hundred times a second and cost the scan path 30 % (measured, bench/aggregate.py).

    Polling rather than a message per change keeps the request path free of any call to Redis, and
    reads whatever has committed, in whatever order transactions committed.
    """

    def __init__(self, app: Flask, every_seconds: float = 0.5, resend_every_seconds: float | None = None):
        """resend_every_seconds: also re-send what was lost, where no scheduler does it (`flask serve`)."""
        self.app, self.every_seconds, self.resend_every_seconds = app, every_seconds, resend_every_seconds
        self.resent_at = monotonic()
        self.stopping = threading.Event()
        self.passing = threading.Lock()  # held for a round

    def hold_forks(self) -> None:
        """Make a fork of this process wait for the round in progress to end.

        A child forked mid-round would inherit the locks this thread holds then (the connection pool's)
        and hang on them: the worker forks a child for every report, export or import.
        """
        os.register_at_fork(
            before=self.passing.acquire, after_in_parent=self.passing.release, after_in_child=self.passing.release
        )

    def pass_once(self) -> int | None:
        """Dispatch one round of events and queue the retries now due; return how many events, None on failure."""
        steps = [events_dispatch, deliveries_due_queue]
        if self.resend_every_seconds and monotonic() - self.resent_at > self.resend_every_seconds:
            self.resent_at = monotonic()
            steps.append(deliveries_resend_lost)
        with self.passing:
            results = [self._step(step) for step in steps]
        return None if None in results else results[0]

    def _step(self, step) -> int | None:
        with self.app.app_context():
            try:
                return step()
            except Exception:  # the next round tries again; the events stay in the log meanwhile
                log.exception("webhook dispatcher: %s failed", step.__name__)
                return None
            finally:
                db.session.remove()

    def _loop(self) -> None:
        while not self.stopping.is_set():
            dispatched = self.pass_once()
            if dispatched is None:
                self.stopping.wait(AFTER_FAILURE_SECONDS)  # the database is likely down: do not flood the log
            elif dispatched < EVENTS_PER_DISPATCH:  # only a full round means a backlog worth going straight on with
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
