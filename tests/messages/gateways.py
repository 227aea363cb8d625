"""Local stand-ins for the outside world, started by the tests on 127.0.0.1: an SMS relay that
speaks SPEC §11's webhook (and drops an id it already passed on, as deploy/README.md asks of a
real relay), and an SMTP server (aiosmtpd)."""
from __future__ import annotations

import json
import socket
import threading
import time
from email import message_from_bytes
from email.policy import default as default_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller


def wait_for(condition, timeout: float = 60.0, what: str = "condition"):
    """Poll until ``condition()`` is truthy (and return it); fail after ``timeout`` seconds. A
    bound on waiting for another process, not an assertion about how fast it is."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


class SmsGateway:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.posts: list[dict] = []          # every POST, in order
        self.delivered: dict[str, dict] = {}  # id → the first payload passed on
        self.fail_next = 0                    # answer 500 to this many more POSTs
        self.hold = threading.Event()         # while clear (and holding), POSTs wait
        self.hold.set()
        self.held = threading.Event()         # set when a POST is waiting on ``hold``
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                payload = json.loads(self.rfile.read(length))
                with gateway.lock:
                    gateway.posts.append(payload)
                    failing = gateway.fail_next > 0
                    if failing:
                        gateway.fail_next -= 1
                if failing:
                    self.send_response(500)
                    self.end_headers()
                    return
                if not gateway.hold.is_set():
                    gateway.held.set()
                    gateway.hold.wait(60)
                with gateway.lock:  # the relay's de-duplication by id
                    gateway.delivered.setdefault(payload["id"], payload)
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.end_headers()
                    self.wfile.write(b'{"ok": true}')
                except OSError:
                    pass  # the worker was killed while we held it

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/sms"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def to(self, phone: str) -> list[dict]:
        with self.lock:
            return [p for p in self.delivered.values() if p["to"] == phone]

    def posts_of(self, uid: str) -> list[dict]:
        with self.lock:
            return [p for p in self.posts if p["id"] == uid]

    def close(self) -> None:
        self.hold.set()
        self.server.shutdown()
        self.server.server_close()


class _Inbox:
    def __init__(self) -> None:
        self.mails: list = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        mail = message_from_bytes(envelope.content, policy=default_policy)
        with self.lock:
            self.mails.append(mail)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SmtpServer:
    def __init__(self) -> None:
        self.inbox = _Inbox()
        # aiosmtpd connects to its own port to see it is up, so it needs a real one, not 0.
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=free_port())
        self.controller.start()
        self.url = f"smtp://127.0.0.1:{self.controller.port}"

    def to(self, email: str) -> list:
        with self.inbox.lock:
            return [m for m in self.inbox.mails if m["To"] == email]

    def close(self) -> None:
        self.controller.stop()
