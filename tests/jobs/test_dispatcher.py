"""The outbox dispatcher thread: it keeps forks of its process out of its rounds."""

import os
import threading
import time

from mes_web.jobs import dispatcher as dispatcher_module
from mes_web.jobs.dispatcher import OutboxDispatcher


def test_a_fork_waits_for_the_round_in_progress(app, monkeypatch):
    in_round = threading.Event()

    def slow_round() -> int:  # stands in for a round that is connecting or resolving when the worker forks
        in_round.set()
        time.sleep(0.5)
        return 0

    monkeypatch.setattr(dispatcher_module, "events_dispatch", slow_round)
    dispatcher = OutboxDispatcher(app, every_seconds=5)
    dispatcher.hold_forks()
    with dispatcher.running():
        assert in_round.wait(5)
        asked = time.monotonic()
        child = os.fork()
        if child == 0:
            os._exit(0)
        forked_after = time.monotonic() - asked
        os.waitpid(child, 0)
    assert forked_after > 0.3  # the fork began only once the round had ended
