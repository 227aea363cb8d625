"""openday served the README's production way, from a checkout that never ran `make`.

A copy of the checkout as git has it (no compiled catalogues: they are git-ignored) is built into
a wheel and installed into a fresh virtualenv (`pip install .`, without an index: the build uses
the setuptools and Babel of requirements.lock, `--no-build-isolation`). Then gunicorn runs from the
copy with openday/gunicorn_conf.py and two workers, as the README's several-servers recipe and
the systemd unit do. The wheel carries the .mo files; the pages answer in English and 繁體 when
asked; /metrics adds up what both workers counted.
"""
from __future__ import annotations

import gettext
import io
import os
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

ROOT = Path(__file__).resolve().parents[2]
LOCALES = ("en", "zh_Hant")


def sh(*command, cwd=None, env=None, timeout=300) -> str:
    done = subprocess.run([str(c) for c in command], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, f"{command}: {done.stdout[-2000:]}\n{done.stderr[-2000:]}"
    return done.stdout


def checkout_copy(target: Path) -> Path:
    """The files git would check out (tracked, and new ones not ignored): no .venv, no .mo."""
    listed = sh("git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", cwd=ROOT)
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fetch(url: str, headers: dict | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, response.read().decode()


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("production")
    src = checkout_copy(tmp / "openday")
    assert not list(src.rglob("*.mo")), "the copy must start without compiled catalogues"

    # A fresh virtualenv; the locked dependencies come from the test's own environment (a .pth
    # file), so the install needs no index.
    venv = tmp / "venv"
    sh(sys.executable, "-m", "venv", "--without-pip", venv)
    python = venv / "bin" / "python"
    site = Path(sh(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").strip())
    (site / "locked-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    pip = [sys.executable, "-m", "pip", "--python", python]
    sh(*pip, "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", tmp / "dist", src)
    wheel = next((tmp / "dist").glob("openday-*.whl"))
    sh(*pip, "install", "-q", "--no-deps", wheel)

    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("OPENDAY_", "PROMETHEUS_", "PYTHON", "FLASK_"))}
    port = free_port()
    env.update({"SECRET_KEY": "production-test-secret-0123456789",
                "OPENDAY_DATABASE_URL": f"sqlite:///{tmp / 'openday.db'}",
                "OPENDAY_BIND": f"127.0.0.1:{port}", "OPENDAY_WORKERS": "2", "OPENDAY_THREADS": "2",
                "OPENDAY_SECURE_COOKIES": "0", "OPENDAY_RATELIMIT_ENABLED": "0"})
    sh(python, "-m", "flask", "--app", "wsgi", "db", "upgrade", cwd=src, env=env)
    log = (tmp / "gunicorn.log").open("w")
    server = subprocess.Popen([python, "-m", "gunicorn", "-c", "openday/gunicorn_conf.py", "wsgi:app"],
                              cwd=src, env=env, stdout=log, stderr=subprocess.STDOUT,
                              start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                if fetch(base + "/")[0] == 200:
                    break
            except OSError:
                assert server.poll() is None, (tmp / "gunicorn.log").read_text()
                time.sleep(0.1)
        yield {"base": base, "wheel": wheel, "src": src, "log": tmp / "gunicorn.log"}
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        log.close()


def test_the_wheel_carries_compiled_catalogues(served):
    with zipfile.ZipFile(served["wheel"]) as wheel:
        names = set(wheel.namelist())
        for locale in LOCALES:
            name = f"openday/translations/{locale}/LC_MESSAGES/messages.mo"
            assert name in names, sorted(n for n in names if "translations" in n)
            catalogue = gettext.GNUTranslations(io.BytesIO(wheel.read(name)))
            assert catalogue.gettext("找活动") == {"en": "Find events", "zh_Hant": "找活動"}[locale]


def test_english_with_lang_parameter(served):
    status, html = fetch(served["base"] + "/?lang=en")
    assert status == 200
    assert 'lang="en"' in html
    assert "Find events" in html and "找活动" not in html


def test_english_and_traditional_from_accept_language(served):
    _status, english = fetch(served["base"] + "/", {"Accept-Language": "en-GB,en;q=0.9"})
    assert "Find events" in english and "找活动" not in english
    _status, traditional = fetch(served["base"] + "/", {"Accept-Language": "zh-TW"})
    assert "找活動" in traditional and "Find events" not in traditional


def test_metrics_add_up_both_workers(served):
    def total() -> float:
        _status, text = fetch(served["base"] + "/metrics")
        return sum(sample.value for family in text_string_to_metric_families(text)
                   for sample in family.samples
                   if sample.name == "openday_http_requests_total"
                   and sample.labels.get("route") == "/participation")

    before = total()
    pids = set()
    for _ in range(20):
        # A new connection each time, so the kernel spreads them over both workers.
        fetch(served["base"] + "/participation")
    for line in served["log"].read_text().splitlines():
        if "Booting worker with pid" in line:
            pids.add(line.rsplit(" ", 1)[-1])
    assert len(pids) == 2
    assert total() - before == 20
