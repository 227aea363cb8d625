"""The deployment of deploy/ run for real: Debian's nginx, with deploy/nginx-openday.conf templated
for loopback ports and a temporary prefix, in front of gunicorn (openday/gunicorn_conf.py) on a
SQLite database holding the demo. One stack per test session (the deploy tests share an xdist
group); every test speaks HTTPS to nginx."""
from __future__ import annotations

import http.client
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SITE = ROOT / "deploy" / "nginx-openday.conf"
BIN = Path(sys.executable).parent
SECRET = "test-secret-key-0123456789abcdef"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(port: int, process: subprocess.Popen, log: Path, what: str) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"{what} did not start: {log.read_text()[-3000:]}", pytrace=False)
            time.sleep(0.2)


def stop(process: subprocess.Popen, sig=signal.SIGTERM) -> None:
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def nginx_binary() -> str:
    found = shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/sbin/nginx") if os.path.exists(p)), None)
    if found is None:
        # Never a skip, here or under CI=true: `make install-test` installs it.
        pytest.fail("Debian's nginx is needed for the deployment tests: make install-test "
                    "(apt-get install nginx libnginx-mod-http-brotli-static)", pytrace=False)
    return found


def site_config(app_port: int, https_port: int, http_port: int, assets: Path, prefix: Path) -> str:
    """deploy/nginx-openday.conf with the operator's placeholders replaced for this machine. Each
    placeholder must be there, so the test cannot quietly drift from the shipped file."""
    text = SITE.read_text()
    replacements = [
        ("server 127.0.0.1:8000;", f"server 127.0.0.1:{app_port};"),
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;"),
        ("listen [::]:443 ssl http2;", ""),
        ("listen 80;", f"listen 127.0.0.1:{http_port};"),
        ("listen [::]:80;", ""),
        ("/etc/ssl/openday/fullchain.pem", str(prefix / "cert.pem")),
        ("/etc/ssl/openday/privkey.pem", str(prefix / "key.pem")),
        ("root /srv/openday/assets;", f"root {assets};"),
    ]
    for old, new in replacements:
        assert old in text, f"{old!r} is no longer in {SITE.name}: update the test's template"
        text = text.replace(old, new)
    return text


def main_config(prefix: Path) -> str:
    """What Debian's /etc/nginx/nginx.conf gives a site, on a private prefix. Run as root here
    (tests run as root on CI), the workers stay root: they read files under pytest's temporary
    folder, which is private to root."""
    user = "user root;\n" if os.geteuid() == 0 else ""
    enabled = Path("/etc/nginx/modules-enabled")
    modules = f"include {enabled}/*.conf;\n" if enabled.is_dir() else ""
    temp = "\n".join(f"    {kind}_temp_path {prefix / 'tmp' / kind};"
                     for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    return f"""{user}{modules}worker_processes 1;
error_log {prefix / 'error.log'} info;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    access_log {prefix / 'access.log'};
{temp}
    include {prefix / 'openday.conf'};
}}
"""


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes  # as sent: compressed when Content-Encoding says so

    def header(self, name: str) -> str:
        return self.headers.get(name, "")


@dataclass
class Browser:
    """HTTPS to nginx from a chosen loopback address, with cookies; bodies are left as sent."""
    port: int
    source: str = "127.0.0.1"
    cookies: dict = field(default_factory=dict)
    tls: bool = True  # False: plain http, straight to gunicorn (tests/deploy/page_weight.py)

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict | None = None) -> Response:
        if self.tls:
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE  # the test's own self-signed certificate
            connection = http.client.HTTPSConnection(
                "127.0.0.1", self.port, timeout=30, context=context,
                source_address=(self.source, 0))
        else:
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30,
                                                    source_address=(self.source, 0))
        sent = {"Host": "openday.example.cn", "Accept-Encoding": "br, gzip"}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        sent.update(headers or {})
        try:
            connection.request(method, path, body=body, headers=sent)
            answer = connection.getresponse()
            data = answer.read()
        finally:
            connection.close()
        for raw in answer.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(raw).items():
                self.cookies[name] = morsel.value
        return Response(answer.status, answer.headers, data)

    def get(self, path: str, **headers) -> Response:
        return self.request("GET", path, headers=headers)

    def text(self, path: str) -> str:
        response = self.get(path, **{"Accept-Encoding": "identity"})
        assert response.status == 200, (path, response.status)
        return response.body.decode()

    def submit(self, path: str, data: dict, form_path: str | None = None) -> Response:
        page = self.text(form_path or path)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        assert token, f"no csrf_token on {form_path or path}"
        from urllib.parse import urlencode
        body = urlencode({"csrf_token": token.group(1), **data}).encode()
        return self.request("POST", path, body=body, headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Referer": f"https://openday.example.cn{form_path or path}"})


@dataclass
class Stack:
    port: int
    http_port: int
    prefix: Path
    assets: Path

    def browser(self, source: str = "127.0.0.1") -> Browser:
        return Browser(self.port, source)


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    nginx = nginx_binary()
    prefix = tmp_path_factory.mktemp("nginx")
    (prefix / "tmp").mkdir()
    # Debian's modules-enabled/*.conf name the modules relative to the prefix.
    if Path("/usr/lib/nginx/modules").is_dir():
        (prefix / "modules").symlink_to("/usr/lib/nginx/modules")
    assets = prefix / "assets"
    app_port, https_port, http_port = free_port(), free_port(), free_port()
    env = dict(os.environ, SECRET_KEY=SECRET,
               OPENDAY_DATABASE_URL=f"sqlite:///{prefix / 'openday.db'}",
               OPENDAY_ASSETS_DIR=str(assets), OPENDAY_PROXY_HOPS="1",
               OPENDAY_PUBLIC_URL="https://openday.example.cn",
               OPENDAY_BIND=f"127.0.0.1:{app_port}", OPENDAY_WORKERS="1",
               OPENDAY_RATELIMIT_ENABLED="1", OPENDAY_RATELIMIT_STORAGE_URI="memory://",
               OPENDAY_LOGIN_ADDRESS_LIMIT="3 per hour")
    for command in (["db", "upgrade"], ["openday", "demo"]):
        subprocess.run([str(BIN / "flask"), "--app", "wsgi", *command], cwd=ROOT, env=env,
                       check=True, capture_output=True)
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=openday.example.cn", "-keyout", str(prefix / "key.pem"),
                    "-out", str(prefix / "cert.pem")], check=True, capture_output=True)
    site = site_config(app_port, https_port, http_port, assets, prefix)
    (prefix / "openday.conf").write_text(site)
    (prefix / "nginx.conf").write_text(main_config(prefix))

    app_log = prefix / "gunicorn.log"
    with open(app_log, "w") as log:
        app = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", "openday/gunicorn_conf.py", "wsgi:app"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    wait_for(app_port, app, app_log, "gunicorn")
    # The workers build the hashed copies as they start; nginx serves them from the disk.
    deadline = time.monotonic() + 60
    while not (assets / "manifest.json").exists():
        if time.monotonic() > deadline:
            stop(app)
            pytest.fail("gunicorn wrote no static manifest: " + app_log.read_text()[-3000:],
                        pytrace=False)
        time.sleep(0.2)

    nginx_log = prefix / "error.log"
    nginx_log.touch()
    check = subprocess.run([nginx, "-t", "-p", str(prefix), "-c", str(prefix / "nginx.conf"),
                            "-e", str(nginx_log)], capture_output=True, text=True)
    if check.returncode != 0:
        stop(app)
        pytest.fail("nginx refused deploy/nginx-openday.conf: " + check.stderr, pytrace=False)
    server = subprocess.Popen(
        [nginx, "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-e", str(nginx_log),
         "-g", f"daemon off; pid {prefix / 'nginx.pid'};"],
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    wait_for(https_port, server, nginx_log, "nginx")
    try:
        yield Stack(https_port, http_port, prefix, assets)
    finally:
        stop(server, signal.SIGQUIT)  # nginx's graceful stop
        stop(app, signal.SIGINT)
