"""Messages benchmark (not part of `make test`): `python -m tests.bench.messages`.

- delivery: SMS delivered per second by one `openday worker` process (2 threads) to a local
  relay (tests/messages/gateways.py) that answers at once, from a backlog of ``--messages`` rows;
- rush with the outbox on: the booking rush of tests/bench/run_all.py (64 connections booking 20
  slots of the generated data until full; target ≥ 300 bookings/s), once with no SMS gateway
  (each booking writes its page note) and once with the gateway set and a worker delivering the
  confirmations while the rush runs, then `openday check --full` on those slots.

SQLite, generated data (``--labs``, 2000 by default: the rush touches 20 slots, so the size of the
rest matters little). Everything on 127.0.0.1; every process started here is stopped here.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

from tests.bench.harness import BIN, ROOT, SECRET, Server, flask, log, sqlite_database
from tests.bench.run_all import in_app, rush, rush_slots
from tests.messages.gateways import SmsGateway


def start_worker(env: dict) -> subprocess.Popen:
    return subprocess.Popen([str(BIN / "flask"), "--app", "wsgi", "openday", "worker"], cwd=ROOT,
                            env={**os.environ, "SECRET_KEY": SECRET, **env},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(30)


def counts(url: str) -> dict[str, int]:
    from openday.extensions import db
    from openday.messages.models import Message
    app = in_app(url)
    with app.app_context():
        found = dict(db.session.execute(sa.select(Message.status, sa.func.count())
                                        .group_by(Message.status)).all())
        db.session.remove()
        db.engine.dispose()
    return found


def delivery(count: int, workdir: Path) -> dict:
    """A backlog of ``count`` SMS rows, then one worker sending them all."""
    url = f"sqlite:///{workdir / 'delivery.db'}"
    flask(url, "db", "upgrade", capture=True)
    from openday import clock
    from openday.extensions import db
    from openday.messages.models import Message
    app = in_app(url)
    with app.app_context():
        now = clock.now()
        db.session.execute(sa.insert(Message), [
            {"uid": f"bench-{i:08d}", "kind": "confirmed", "channel": "sms",
             "recipient": f"+86139{i:08d}", "locale": "zh_Hans", "status": "pending",
             "body": "【开放日】预约成功：走进食品检测实验室，9月12日 09:30，预约码 ABCD2345。",
             "next_attempt_at": now, "created_at": now, "attempts": 0, "urgent": False}
            for i in range(count)])
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    gateway = SmsGateway()
    env = {"OPENDAY_DATABASE_URL": url, "OPENDAY_QUEUE_URL": f"sqlite:///{workdir / 'q1.db'}",
           "OPENDAY_SMS_WEBHOOK_URL": gateway.url, "OPENDAY_SMS_QUIET_HOURS": "",
           "OPENDAY_SMS_DAILY_CEILING": "1000"}
    started = time.perf_counter()
    worker = start_worker(env)
    try:
        deadline = time.monotonic() + 600
        while len(gateway.delivered) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        seconds = time.perf_counter() - started
    finally:
        stop(worker)
        gateway.close()
    posts, unique = len(gateway.posts), len(gateway.delivered)
    return {"messages": count, "delivered": unique, "posts": posts,
            "seconds": round(seconds, 2), "per_s": round(unique / seconds, 1),
            "statuses": counts(url)}


def rush_run(labs: int, seconds: int, workdir: Path, gateway: SmsGateway | None) -> dict:
    database = sqlite_database(labs)
    slots = rush_slots(database.url)
    env = {"OPENDAY_DATABASE_URL": database.url,
           "OPENDAY_QUEUE_URL": f"sqlite:///{workdir / ('q-gw.db' if gateway else 'q-page.db')}"}
    worker = None
    if gateway is not None:
        # No reminders: the generated data's bookings of tomorrow would be texted meanwhile
        # (some 14,000 on 4000 labs), which is the evening's job, not the rush's.
        env.update(OPENDAY_SMS_WEBHOOK_URL=gateway.url, OPENDAY_SMS_QUIET_HOURS="",
                   OPENDAY_SMS_DAILY_CEILING="1000", OPENDAY_REMINDER_HOUR="24")
        worker = start_worker(env)
    try:
        with Server("wsgi:app", 2, env) as app:
            result = rush(app, database.url, slots, seconds)
        if gateway is not None:
            deadline = time.monotonic() + 300
            while counts(database.url).get("pending", 0) + counts(database.url).get("sending", 0) \
                    and time.monotonic() < deadline:
                time.sleep(0.5)
    finally:
        if worker is not None:
            stop(worker)
    check = flask(database.url, "openday", "check", "--full", ",".join(map(str, slots)),
                  check=False, capture=True)
    result["check_ok"] = check.returncode == 0
    result["messages"] = counts(database.url)
    if gateway is not None:
        result["gateway_posts"], result["gateway_delivered"] = (len(gateway.posts),
                                                                len(gateway.delivered))
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--labs", type=int, default=2000)
    parser.add_argument("--seconds", type=int, default=5, help="each wrk round of the rush")
    args = parser.parse_args(argv)
    results: dict = {}
    with tempfile.TemporaryDirectory(prefix="openday-bench-messages-") as tmp:
        workdir = Path(tmp)
        log(f"delivery: {args.messages} SMS through one worker")
        results["delivery"] = delivery(args.messages, workdir)
        log(f"delivery: {results['delivery']}")
        log("rush without a gateway (page notes only)")
        results["rush_page"] = rush_run(args.labs, args.seconds, workdir, None)
        log(f"rush_page: {results['rush_page']}")
        gateway = SmsGateway()
        try:
            log("rush with the gateway and a worker delivering")
            results["rush_sms"] = rush_run(args.labs, args.seconds, workdir, gateway)
        finally:
            gateway.close()
        log(f"rush_sms: {results['rush_sms']}")
    out = ROOT / "test-artifacts" / "bench-messages.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, ensure_ascii=False, indent=2))
    d, page, sms = results["delivery"], results["rush_page"], results["rush_sms"]
    print(f"delivery: {d['delivered']} SMS in {d['seconds']} s = {d['per_s']}/s "
          f"({d['posts']} POSTs)")
    print(f"rush, page notes: {page['bookings_per_s']} bookings/s, check "
          f"{'pass' if page['check_ok'] else 'FAIL'}")
    print(f"rush, SMS + worker: {sms['bookings_per_s']} bookings/s, check "
          f"{'pass' if sms['check_ok'] else 'FAIL'}; {sms['gateway_delivered']} delivered in "
          f"{sms['gateway_posts']} POSTs; {sms['messages']}")
    print(f"figures saved to {out.relative_to(ROOT)}")
    return 0 if page["check_ok"] and sms["check_ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
