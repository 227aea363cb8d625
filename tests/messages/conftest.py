"""The messages tests' world: a local SMS relay and SMTP server, the app configured for them, and
real ``flask --app wsgi openday worker`` processes sharing the test's database and queue."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.messages.gateways import SmsGateway, SmtpServer

ROOT = Path(__file__).resolve().parents[2]
FLASK = Path(sys.executable).parent / "flask"
PUBLIC_URL = "http://openday.test"


@pytest.fixture
def sms():
    gateway = SmsGateway()
    yield gateway
    gateway.close()


@pytest.fixture
def smtp():
    server = SmtpServer()
    yield server
    server.close()


@pytest.fixture(params=["sqlite-queue"])
def queue_url(request, tmp_path) -> str:
    if request.param == "redis-queue":
        return "redis://127.0.0.1:6379/0"
    return f"sqlite:///{tmp_path / 'queue.db'}"


@pytest.fixture
def message_settings(sms, smtp, queue_url) -> dict:
    """What the app and its workers share. Quiet hours are off here (tests of them set the time
    themselves); retries and leases are short so a test sees them through."""
    return {
        "OPENDAY_QUEUE_URL": queue_url,
        "OPENDAY_QUEUE_NAME": f"openday-test-{uuid.uuid4().hex[:8]}",
        "OPENDAY_SMS_WEBHOOK_URL": sms.url,
        "OPENDAY_SMTP_URL": smtp.url,
        "OPENDAY_PUBLIC_URL": PUBLIC_URL,
        "OPENDAY_SMS_QUIET_HOURS": "",
        "OPENDAY_MESSAGE_RETRY_SECONDS": 1,
        "OPENDAY_MESSAGE_LEASE_SECONDS": 3,
        "OPENDAY_SMS_TIMEOUT_SECONDS": 30,
    }


@pytest.fixture
def app_config(message_settings, request) -> dict:
    # The test client asks for "localhost"; links in messages still use the public address.
    config = {**message_settings, "TRUSTED_HOSTS": ["localhost", "openday.test"]}
    if "limited" in request.fixturenames:  # a test of rate limits turns them on
        config.update(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://",
                      **request.getfixturevalue("limited"))
    return config


class Worker:
    """One ``openday worker`` process; stopped by its own pid."""

    def __init__(self, env: dict, log: Path) -> None:
        self.log = log
        self.process = subprocess.Popen(
            [str(FLASK), "--app", "wsgi", "openday", "worker"], cwd=ROOT, env=env,
            stdout=log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True)

    def kill(self) -> None:
        """SIGKILL: no clean-up, as when the machine loses power mid-delivery."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(30)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def start_worker(app, message_settings, tmp_path):
    """start_worker(**settings) → a running Worker against the test's database and queue."""
    started: list[Worker] = []

    def start(**overrides) -> Worker:
        env = {**os.environ, "SECRET_KEY": "test-worker-secret-0123456789abcdef",
               "OPENDAY_DATABASE_URL": app.config["OPENDAY_DATABASE_URL"]}
        for key, value in {**message_settings, **overrides}.items():
            env[key] = str(value)
        worker = Worker(env, tmp_path / f"worker-{len(started)}.log")
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()
