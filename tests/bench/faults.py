"""Fault injection (`python -m tests.bench.faults`): a booking rush through gunicorn while a
worker is SIGKILLed and PostgreSQL is restarted. Not part of `make test`; about a minute.

A private PostgreSQL (tests/servers.py, never the shared one) gets the demo data; gunicorn
serves it with openday's config (2 workers). Threads book the demo's open slots through the
JSON API, each request a new phone, while the script

- SIGKILLs a gunicorn worker (its in-flight requests lose their connection: "resets"),
- stops PostgreSQL (`pg_ctl stop -m fast`), SIGKILLs another worker while it is down (the
  replacement must boot without a database and serve 503s), and starts PostgreSQL again.

Then it reports requests, 2xx, 4xx, 503, other 5xx and resets; bookings acknowledged (201/200
with a code) against those stored; seats acknowledged as confirmed against the rush slots'
``seats_taken``; and the result of ``flask --app wsgi openday check``. The promise: no slot
oversold, no acknowledged booking missing, no 5xx other than 503 (resets only from the killed
workers). Figures go to stdout and test-artifacts/faults.json.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import threading
import time
from collections import Counter

import psycopg

from tests.bench.harness import ROOT, Server, flask, log
from tests.servers import start_private_postgres

THREADS = 12
SLOTS = 12


class Rush:
    """Booking threads on keep-alive connections; every answer kept."""

    def __init__(self, port: int, slot_ids: list[int]) -> None:
        self.port = port
        self.slot_ids = slot_ids
        self.lock = threading.Lock()
        self.answers: list[tuple[float, int, dict | None]] = []  # (when, status or -1, body)
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self._run, args=(n,), daemon=True)
                        for n in range(THREADS)]
        self.started = time.monotonic()

    def _run(self, n: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        i = 0
        while not self.stopping.is_set():
            i += 1
            slot_id = self.slot_ids[(n + i) % len(self.slot_ids)]
            phone = f"17{n % 10}{i:08d}"  # 17x: never a demo phone; new for every request
            body = json.dumps({"name": "压测", "phone": phone, "party_size": 1, "consent": True})
            try:
                connection.request("POST", f"/api/v1/slots/{slot_id}/bookings", body,
                                   {"Content-Type": "application/json"})
                response = connection.getresponse()
                raw = response.read()
                status = response.status
                try:
                    parsed = json.loads(raw)
                except ValueError:
                    parsed = None
                if response.getheader("Connection", "").lower() == "close":
                    connection.close()
            except (OSError, http.client.HTTPException):
                status, parsed = -1, None  # the worker holding this connection was killed
                connection.close()
                time.sleep(0.05)
            with self.lock:
                self.answers.append((time.monotonic() - self.started, status, parsed))
        connection.close()

    def __enter__(self) -> Rush:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=60)


def open_slots(url: str) -> list[int]:
    with psycopg.connect(url) as connection:
        rows = connection.execute(
            "SELECT slot.id FROM slot WHERE slot.listed AND slot.status = 'open' "
            "AND slot.starts_at > now() + interval '6 hours' AND slot.booking_closes_at IS NULL "
            "ORDER BY slot.capacity DESC, slot.id LIMIT %s", (SLOTS,)).fetchall()
    return [row[0] for row in rows]


def stored(url: str, slot_ids: list[int]) -> tuple[dict[str, str], int, int]:
    """The rush's bookings (code -> status), the seats they hold, and the slots' seats_taken."""
    with psycopg.connect(url) as connection:
        codes = dict(connection.execute(
            "SELECT code, status FROM booking WHERE slot_id = ANY(%s) AND phone LIKE '+8617%%'",
            (slot_ids,)).fetchall())
        confirmed = connection.execute(
            "SELECT coalesce(sum(party_size), 0) FROM booking WHERE slot_id = ANY(%s) "
            "AND status = 'confirmed' AND phone LIKE '+8617%%'", (slot_ids,)).fetchone()[0]
        taken = connection.execute("SELECT coalesce(sum(seats_taken), 0) FROM slot WHERE id = ANY(%s)",
                                   (slot_ids,)).fetchone()[0]
    return codes, int(confirmed), int(taken)


def kill_worker(server: Server, what: str) -> None:
    pids = server.worker_pids()
    if pids:
        os.kill(pids[0], signal.SIGKILL)  # one of the workers of the gunicorn we started
        log(f"SIGKILLed worker {pids[0]} ({what})")


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30, help="length of the rush")
    args = parser.parse_args(argv)
    plan = {"kill": 0.15, "pg_stop": 0.35, "kill_while_down": 0.45, "pg_start": 0.6}

    with start_private_postgres() as pg:
        url = pg.create_database("openday_faults")
        flask(url, "db", "upgrade", capture=True)
        flask(url, "openday", "demo", capture=True)
        slot_ids = open_slots(url)
        taken_before = stored(url, slot_ids)[2]
        log(f"private PostgreSQL on port {pg.port}, demo data, {len(slot_ids)} rush slots")
        events: list[tuple[float, str]] = []
        server_log: list[str] = []
        with Server("wsgi:app", 2, {"OPENDAY_DATABASE_URL": url}) as server, \
                Rush(server.port, slot_ids) as rush:
            # The harness pipes gunicorn's stderr: read it, or a full pipe blocks the workers.
            threading.Thread(target=lambda: server_log.extend(server.process.stderr),
                             daemon=True).start()
            def at(fraction: float) -> None:
                delay = rush.started + fraction * args.seconds - time.monotonic()
                if delay > 0:
                    time.sleep(delay)

            def mark(what: str) -> None:
                events.append((round(time.monotonic() - rush.started, 1), what))

            at(plan["kill"])
            kill_worker(server, "rush running")
            mark("worker SIGKILLed")
            at(plan["pg_stop"])
            pg.stop("fast")
            mark("PostgreSQL stopped")
            log("PostgreSQL stopped")
            at(plan["kill_while_down"])
            kill_worker(server, "database down")
            mark("worker SIGKILLed")
            at(plan["pg_start"])
            pg.start()
            mark("PostgreSQL started")
            log("PostgreSQL started")
            at(1.0)
            health = server.get("/healthz")
        answers = list(rush.answers)
        codes, confirmed_seats, taken = stored(url, slot_ids)
        check = flask(url, "openday", "check", check=False, capture=True)

    statuses = Counter(status for _t, status, _b in answers)
    acknowledged = {body["code"]: body["status"] for _t, status, body in answers
                    if status in (200, 201) and isinstance(body, dict) and "code" in body}
    acknowledged_seats = sum(1 for status in acknowledged.values() if status == "confirmed")
    missing = sorted(set(acknowledged) - set(codes))
    kills = [t for t, what in events if what == "worker SIGKILLed"]
    resets = [t for t, status, _b in answers if status == -1]
    near_kills = sum(1 for t in resets if any(k - 0.5 <= t <= k + 3 for k in kills))
    after_restart = [status for t, status, _b in answers if t > plan["pg_start"] * args.seconds + 2]
    report = {
        "seconds": args.seconds, "events": events,
        "requests": len(answers),
        "2xx": sum(n for s, n in statuses.items() if 200 <= s < 300),
        "4xx": sum(n for s, n in statuses.items() if 400 <= s < 500),
        "503": statuses.get(503, 0),
        "5xx_other": sum(n for s, n in statuses.items() if s >= 500 and s != 503),
        "connection_resets": statuses.get(-1, 0),
        "resets_within_3_s_of_a_kill": near_kills,
        "statuses": {str(s): n for s, n in sorted(statuses.items())},
        "acknowledged_bookings": len(acknowledged), "stored_bookings": len(codes),
        "acknowledged_but_missing": len(missing),
        "stored_not_acknowledged": len(set(codes) - set(acknowledged)),
        "acknowledged_confirmed_seats": acknowledged_seats,
        "stored_confirmed_seats": confirmed_seats,
        "seats_taken_added": taken - taken_before,
        "2xx_after_restart": sum(1 for s in after_restart if 200 <= s < 300),
        "healthz_after": health[0],
        "server_log_tracebacks": sum(1 for line in server_log if "Traceback" in line),
        "server_log_503_reports": [line.strip()[-120:] for line in server_log
                                   if "database unavailable" in line][:6],
        "check_exit": check.returncode,
        "check_output": (check.stdout + check.stderr).strip().splitlines()[-3:],
    }
    ok = (report["acknowledged_but_missing"] == 0
          and acknowledged_seats <= confirmed_seats == taken - taken_before and report["5xx_other"] == 0
          and report["check_exit"] == 0 and report["2xx_after_restart"] > 0
          and near_kills == len(resets) and report["server_log_tracebacks"] == 0)
    report["promises_kept"] = ok
    out = ROOT / "test-artifacts"
    out.mkdir(exist_ok=True)
    (out / "faults.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(report, indent=2, ensure_ascii=False))
    log("faults: " + ("every promise kept" if ok else "A PROMISE WAS BROKEN"))
    return report


if __name__ == "__main__":
    raise SystemExit(0 if main()["promises_kept"] else 1)
