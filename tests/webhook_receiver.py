"""A real HTTP receiver on loopback for webhook tests: records every request and answers as the test scripts it.

Behaviours, taken one per request from the path's queue, then from the global one, then 200:
    200                                  a status with its reason phrase as the body
    (429, {"Retry-After": "2"})          a status with headers
    (200, {}, b"body")                   a status, headers and a body (bytes or str)
    ("sleep", 2.0)                       wait, then answer 200 (the client has timed out by then)
    "drop"                               close the connection without answering
"""

import ssl
import threading
import time
from collections import deque
from dataclasses import dataclass
from email.message import Message
from http.client import responses
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

HOST = "127.0.0.1"


@dataclass(frozen=True)
class ReceivedRequest:
    method: str
    path: str
    headers: Message  # case-insensitive: request.headers["Webhook-Id"]
    body: bytes
    at: float  # time.time() on arrival


class WebhookReceiver:
    """A threaded HTTP server on a free loopback port; start() and stop() it, or use the fixture.

    With a server-side SSL context it speaks HTTPS instead.
    """

    def __init__(self, tls: ssl.SSLContext | None = None):
        self._server = ThreadingHTTPServer((HOST, 0), _Handler)
        self._server.receiver = self
        self.scheme = "https" if tls else "http"
        if tls:
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
        # A short poll: shutdown() waits for the loop to notice, and every test stops a receiver.
        serve = {"poll_interval": 0.02}
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs=serve, name="webhook-receiver")
        self._thread.daemon = True
        self._changed = threading.Condition()
        self._requests: list[ReceivedRequest] = []
        self._scripts: dict[str | None, deque] = {}
        self.stopping = threading.Event()  # wakes sleeping handlers so that stop() does not wait for them

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    def url(self, path: str = "/hook", host: str = HOST) -> str:
        return f"{self.scheme}://{host}:{self.port}{path}"

    @property
    def requests(self) -> list[ReceivedRequest]:
        with self._changed:
            return list(self._requests)

    def answer(self, *behaviours, path: str | None = None) -> None:
        """Queue behaviours for the next requests to `path`, or to any path when path is None."""
        with self._changed:
            self._scripts.setdefault(path, deque()).extend(behaviours)

    def wait_for(self, count: int, timeout: float = 5.0) -> list[ReceivedRequest]:
        """Return the requests once there are at least `count`; fail the test after `timeout` seconds."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self._requests) >= count, timeout):
                raise AssertionError(f"the receiver got {len(self._requests)} requests, expected {count}")
            return list(self._requests)

    def start(self) -> "WebhookReceiver":
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()  # joins the handler threads
        self._thread.join()

    def record(self, request: ReceivedRequest):
        """Keep the request and return how to answer it."""
        with self._changed:
            self._requests.append(request)
            self._changed.notify_all()
            for key in (request.path.split("?")[0], None):
                if self._scripts.get(key):
                    return self._scripts[key].popleft()
            return 200


class _Handler(BaseHTTPRequestHandler):
    timeout = 5  # a client that connects and says nothing must not keep stop() waiting

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        request = ReceivedRequest(self.command, self.path, self.headers, body, time.time())
        behaviour = self.server.receiver.record(request)
        if behaviour == "drop":
            self.close_connection = True
            return
        if isinstance(behaviour, tuple) and behaviour[0] == "sleep":
            self.server.receiver.stopping.wait(behaviour[1])
            behaviour = 200
        self._reply(*(behaviour if isinstance(behaviour, tuple) else (behaviour,)))

    do_GET = do_PUT = do_PATCH = do_DELETE = do_POST

    def _reply(self, status: int, headers: dict | None = None, body: bytes | str | None = None) -> None:
        if body is None:
            body = responses.get(status, "")  # the reason phrase
        data = body.encode() if isinstance(body, str) else body
        try:
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test): nobody is left to answer

    def log_message(self, format, *args):
        pass  # keep the test output clean


# Named apart from its function so that tests taking `webhook_receiver` do not shadow an import (ruff F811).
@pytest.fixture(name="webhook_receiver")
def webhook_receiver_fixture():
    """A started receiver, stopped after the test."""
    receiver = WebhookReceiver().start()
    try:
        yield receiver
    finally:
        receiver.stop()
