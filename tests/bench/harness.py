"""The pieces the benchmarks share: databases with generated data, gunicorn servers, wrk.

Everything talks to 127.0.0.1 only, every wait is bounded, and every process started here is
stopped here (by its own pid).
"""
from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
GUNICORN_CONF = ROOT / "openday" / "gunicorn_conf.py"
CACHE = Path(os.environ.get("OPENDAY_BENCH_DIR", "/tmp/openday-bench"))
PG_ADMIN_URL = os.environ.get("OPENDAY_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
SECRET = "bench-only-secret-key-0123456789abcdef"


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def flask(url: str, *args: str, check: bool = True, capture: bool = False) -> subprocess.CompletedProcess:
    env = {**os.environ, "OPENDAY_DATABASE_URL": url, "SECRET_KEY": SECRET}
    return subprocess.run([str(BIN / "flask"), "--app", "wsgi", *args], cwd=ROOT, env=env,
                          check=check, text=True, capture_output=capture, timeout=4 * 3600)


# ---- databases ---------------------------------------------------------------------------------

@dataclass
class Database:
    url: str
    backend: str
    generate_seconds: float | None = None  # None: reused from the cache
    generate_output: str = ""


def _generate(url: str, labs: int) -> tuple[float, str]:
    flask(url, "db", "upgrade", capture=True)
    started = time.perf_counter()
    result = flask(url, "openday", "generate", "--labs", str(labs), capture=True)
    seconds = time.perf_counter() - started
    summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""
    log(summary)
    return seconds, summary


def sqlite_database(labs: int, fresh: bool = False) -> Database:
    """A working copy of the generated SQLite file; the generated one is cached per size."""
    CACHE.mkdir(parents=True, exist_ok=True)
    pristine = CACHE / f"sqlite-{labs}.db"
    done = CACHE / f"sqlite-{labs}.done"
    seconds, summary = None, ""
    if fresh or not done.exists():
        for path in (pristine, Path(f"{pristine}-wal"), Path(f"{pristine}-shm"), done):
            path.unlink(missing_ok=True)
        log(f"generating {labs} labs into {pristine} (SQLite)")
        seconds, summary = _generate(f"sqlite:///{pristine}", labs)
        with contextlib.closing(sqlite3.connect(pristine)) as connection:
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        done.write_text(summary + "\n")
    else:
        log(f"reusing {pristine} ({done.read_text().strip()})")
    work = CACHE / f"sqlite-{labs}-run.db"
    for path in (work, Path(f"{work}-wal"), Path(f"{work}-shm")):
        path.unlink(missing_ok=True)
    shutil.copyfile(pristine, work)
    flask(f"sqlite:///{work}", "db", "upgrade", capture=True)  # the kept file may predate a migration
    # Write the 2 GB copy out now: left to the kernel, its write-back ran through the first minute
    # of measurements and took the floor's second run from 10,000 to 3,600 req/s.
    os.sync()
    return Database(f"sqlite:///{work}", "sqlite", seconds, summary)


def _pg_url(name: str) -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


@contextlib.contextmanager
def postgres_database(labs: int, fresh: bool = False):
    """A bench database cloned from the generated one, dropped after the run.

    Like the SQLite file, the generated database is kept between runs (``openday_bench_<labs>``,
    its summary in the database's comment, written last, so a generation cut short is redone);
    each run works on a copy made with ``CREATE DATABASE … TEMPLATE``, which takes seconds.
    """
    pristine, name = f"openday_bench_{labs}", f"openday_bench_run_{os.getpid()}"
    admin = psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5)
    summary = admin.execute("SELECT shobj_description(oid, 'pg_database') FROM pg_database "
                            "WHERE datname = %s", (pristine,)).fetchone()
    seconds = None
    if fresh or summary is None or not summary[0]:
        admin.execute(f'DROP DATABASE IF EXISTS "{pristine}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{pristine}"')
        log(f"generating {labs} labs into {pristine} (PostgreSQL)")
        seconds, text = _generate(_pg_url(pristine), labs)
        with psycopg.connect(_pg_url(pristine), autocommit=True) as connection:
            connection.execute("VACUUM ANALYZE")  # as a live server's autovacuum would have done
        admin.execute(sql.SQL("COMMENT ON DATABASE {} IS {}").format(sql.Identifier(pristine),
                                                                     sql.Literal(text)))
    else:
        text = summary[0]
        log(f"reusing {pristine} ({text})")
    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{pristine}"')
    flask(_pg_url(name), "db", "upgrade", capture=True)  # the kept data may predate a migration
    try:
        yield Database(_pg_url(name), "postgresql", seconds, text if seconds is not None else "")
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


# ---- servers -----------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """gunicorn with openday's config file, on a free loopback port."""

    def __init__(self, app: str, workers: int, env: dict[str, str] | None = None) -> None:
        self.app = app
        self.workers = workers
        self.port = free_port()
        self.env = {**os.environ, **(env or {}), "OPENDAY_BIND": f"127.0.0.1:{self.port}",
                    "OPENDAY_WORKERS": str(workers), "SECRET_KEY": SECRET,
                    "OPENDAY_RATELIMIT_ENABLED": "0", "OPENDAY_ACCESS_LOG": ""}
        self.process: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Server:
        self.process = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", str(GUNICORN_CONF), self.app], cwd=ROOT, env=self.env,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.app} did not start: {self.process.stderr.read()[-2000:]}")
            try:
                with urllib.request.urlopen(self.base + "/", timeout=2):
                    pass
                if len(self.worker_pids()) >= self.workers:
                    return self
            except OSError:
                pass
            time.sleep(0.2)
        self.__exit__(None, None, None)
        raise RuntimeError(f"{self.app} did not answer on {self.base} within 60 s")

    def __exit__(self, *exc) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # the master we started; it stops its workers
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def worker_pids(self) -> list[int]:
        assert self.process is not None
        master = self.process.pid
        children = Path(f"/proc/{master}/task/{master}/children")
        if children.exists():
            return [int(pid) for pid in children.read_text().split()]
        pids = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError, IndexError, ValueError):
                if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == master:
                    pids.append(int(stat.parent.name))
        return pids

    def worker_rss_mb(self) -> list[float]:
        sizes = []
        for pid in self.worker_pids():
            with contextlib.suppress(OSError):
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        sizes.append(int(line.split()[1]) / 1024)
        return sizes

    def get(self, path: str, timeout: float = 30) -> tuple[int, bytes]:
        request = urllib.request.Request(self.base + path)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()


# ---- wrk ---------------------------------------------------------------------------------------

def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    log("wrk is missing: installing the Debian package")
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, timeout=600,
                   env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
    return shutil.which("wrk") or "wrk"


@dataclass
class WrkResult:
    requests_per_s: float
    requests: int
    non_2xx: int
    errors: int
    latency_p50_ms: float | None
    latency_p99_ms: float | None
    output: str


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]


def wrk(url: str, seconds: int, connections: int, threads: int = 2, script: Path | None = None,
        env: dict[str, str] | None = None) -> WrkResult:
    command = [ensure_wrk(), f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency",
               "--timeout", "10s"]
    if script:
        command += ["-s", str(script)]
    result = subprocess.run(command + [url], capture_output=True, text=True, check=True,
                            timeout=seconds + 60, env={**os.environ, **(env or {})})
    out = result.stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    non_2xx = int(m.group(1)) if (m := re.search(r"Non-2xx or 3xx responses: (\d+)", out)) else 0
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    p50 = _ms(m.group(1)) if (m := re.search(r"\s50%\s+([\d.]+\w+)", out)) else None
    p99 = _ms(m.group(1)) if (m := re.search(r"\s99%\s+([\d.]+\w+)", out)) else None
    return WrkResult(rps, total, non_2xx, errors, p50, p99, out)
