"""`make bench` (`python -m tests.bench.run_all`): openday at national scale, beside the floor.

On generated data (``--labs``, default 40000), for SQLite with 2 gunicorn workers and then
PostgreSQL with 4, using openday's own gunicorn config with rate limits off:

- search: requests/s of ``GET /api/v1/slots?city=长沙`` and ``/search?city=长沙`` under wrk, each
  as a ratio of a bare Flask app answering "ok" under the same gunicorn settings in the same run
  (targets: API ≥ 30 %, HTML ≥ 20 %), and again with the 2-second search cache off (reported);
- rush: bookings/s while 64 connections book 20 slots past their capacity (target ≥ 300/s),
  then ``openday check --full <those slots>``: none oversold, every one exactly full, waitlists
  in arrival order;
- stats: the national totals (target < 200 ms) and each grouping, timed in process;
- the resident memory of each worker (target < 150 MB).

``--quick`` is a small run (2000 labs, 5 s loads) for trying the harness. Figures go to stdout
and to test-artifacts/bench.json. wrk runs on the same machine as the servers, so the figures
are for the pair of them sharing its cores.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import time
import urllib.parse
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from tests.bench.harness import (ROOT, SECRET, Database, Server, flask, log, postgres_database,
                                 sqlite_database, wrk)

CITY = "长沙"
API_PATH = "/api/v1/slots?city=" + urllib.parse.quote(CITY)
HTML_PATH = "/search?city=" + urllib.parse.quote(CITY)
RUSH_SLOTS = 20
RUSH_CONNECTIONS = 64
RUSH_ROUNDS = 12
SEARCH_CONNECTIONS = 16
TARGETS = {"api_ratio": 0.30, "html_ratio": 0.20, "bookings_per_s": 300, "totals_ms": 200,
           "rss_mb": 150}


def in_app(url: str):
    from openday import create_app

    return create_app({"OPENDAY_DATABASE_URL": url, "SECRET_KEY": SECRET, "RATELIMIT_ENABLED": False})


def rush_slots(url: str) -> list[int]:
    """Slots in 长沙 that are open, not started for hours, with no waitlist: the rush fills them."""
    from openday import clock
    from openday.events.models import Slot
    from openday.extensions import db

    app = in_app(url)
    with app.app_context():
        later = clock.now() + timedelta(hours=6)
        base = (sa.select(Slot.id).where(Slot.listed, Slot.waitlisted_count == 0,
                                         Slot.booking_closes_at.is_(None), Slot.starts_at > later)
                .order_by(Slot.seats_taken, Slot.capacity.desc(), Slot.id).limit(RUSH_SLOTS))
        ids = list(db.session.execute(base.where(Slot.city_adcode == "430100")).scalars())
        if len(ids) < RUSH_SLOTS:
            ids += [i for i in db.session.execute(base).scalars() if i not in ids][:RUSH_SLOTS - len(ids)]
        db.session.remove()
        db.engine.dispose()
    return ids


def time_stats(url: str, repeat: int = 5) -> dict[str, dict[str, float]]:
    """Milliseconds: the first (cold) call and the median of ``repeat`` more, per figure."""
    from openday.extensions import db
    from openday.stats import service as stats

    app = in_app(url)
    out: dict[str, dict[str, float]] = {}
    with app.app_context():
        campaign = stats.find_campaign()
        calls = {"totals": lambda: stats.totals(campaign)}
        for grouping in stats.GROUPINGS:
            calls[f"group_by={grouping}"] = lambda g=grouping: stats.groups(campaign, g)
        for name, call in calls.items():
            runs = []
            for _ in range(repeat + 1):
                started = time.perf_counter()
                call()
                runs.append((time.perf_counter() - started) * 1000)
                db.session.rollback()
            out[name] = {"first_ms": round(runs[0], 1), "median_ms": round(statistics.median(runs[1:]), 1)}
        db.session.remove()
        db.engine.dispose()
    return out


def seats_left(url: str, slots: list[int]) -> int:
    from openday.events.models import Slot
    from openday.extensions import db

    app = in_app(url)
    with app.app_context():
        left = db.session.execute(sa.select(sa.func.sum(Slot.capacity - Slot.seats_taken))
                                  .where(Slot.id.in_(slots))).scalar_one()
        db.session.remove()
        db.engine.dispose()
    return int(left or 0)


def rush(app: Server, url: str, slots: list[int], seconds: int) -> dict:
    """Rounds of 64 connections booking the slots, until no seat is left (at most RUSH_ROUNDS)."""
    totals = {"confirmed": 0, "waitlisted": 0, "failed": 0, "requests": 0, "seconds": 0.0}
    seats_before = seats_left(url, slots)
    latencies = []
    for round_number in range(RUSH_ROUNDS):
        run = wrk(app.base, seconds, RUSH_CONNECTIONS, script=Path(__file__).with_name("rush.lua"),
                  env={"RUSH_SLOTS": ",".join(map(str, slots)), "RUSH_ROUND": str(round_number)})
        counts = dict(part.split("=") for part in run.output.split("RUSH ", 1)[1].split()[:3])
        totals["confirmed"] += int(counts["confirmed"])
        totals["waitlisted"] += int(counts["waitlisted"])
        totals["failed"] += int(counts["other"]) + run.errors
        totals["requests"] += run.requests
        totals["seconds"] += run.requests / run.requests_per_s if run.requests_per_s else seconds
        latencies.append((run.latency_p50_ms, run.latency_p99_ms))
        if seats_left(url, slots) == 0:
            break
    created = totals["confirmed"] + totals["waitlisted"]
    return {**totals, "rounds": round_number + 1, "seats_before": seats_before,
            "bookings_per_s": round(created / totals["seconds"], 1) if totals["seconds"] else 0.0,
            "p50_ms": latencies[-1][0], "p99_ms": latencies[-1][1]}


def time_stats_api(server: Server, year: int, repeat: int = 5) -> dict[str, dict[str, float]]:
    """Milliseconds of GET /api/v1/stats per grouping: first call, then the median of repeats
    (which the API may answer from its short per-process cache)."""
    out = {}
    for grouping in ("province", "city", "kind", "date"):
        path = f"/api/v1/stats?campaign={year}&group_by={grouping}"
        runs = []
        for _ in range(repeat + 1):
            started = time.perf_counter()
            status, body = server.get(path, timeout=120)
            runs.append((time.perf_counter() - started) * 1000)
            if status != 200:
                raise RuntimeError(f"{path} answered {status}: {body[:300]!r}")
        out[f"api group_by={grouping}"] = {"first_ms": round(runs[0], 1),
                                           "median_ms": round(statistics.median(runs[1:]), 1)}
    return out


def current_year(url: str) -> int:
    from openday.events.service import current_campaign
    from openday.extensions import db

    app = in_app(url)
    with app.app_context():
        year = current_campaign().year
        db.session.remove()
        db.engine.dispose()
    return year


def check_search(server: Server, path: str) -> None:
    status, body = server.get(path)
    if status != 200:
        raise RuntimeError(f"{path} answered {status}: {body[:300]!r}")
    if path.startswith("/api/") and json.loads(body).get("total", 0) == 0:
        raise RuntimeError(f"{path} found nothing: is the data generated?")
    for _ in range(20):  # warm: templates compiled, caches filled, connections pooled
        server.get(path)


def bench_backend(database: Database, workers: int, seconds: int) -> dict:
    result: dict = {"backend": database.backend, "workers": workers, "generate": database.generate_output,
                    "generate_seconds": database.generate_seconds,
                    "load_average_before": [round(x, 1) for x in os.getloadavg()]}
    slots = rush_slots(database.url)
    log(f"{database.backend}: rush slots {slots}")
    with Server("tests.bench.bare_app:app", workers) as bare, \
            Server("wsgi:app", workers, {"OPENDAY_DATABASE_URL": database.url}) as app:
        for _ in range(50):
            bare.get("/")
        check_search(app, API_PATH)
        check_search(app, HTML_PATH)
        log(f"{database.backend}: search ({seconds} s each, {SEARCH_CONNECTIONS} connections)")
        floor_1 = wrk(bare.base + "/", seconds, SEARCH_CONNECTIONS)
        api = wrk(app.base + API_PATH, seconds, SEARCH_CONNECTIONS)
        html = wrk(app.base + HTML_PATH, seconds, SEARCH_CONNECTIONS)
        floor_2 = wrk(bare.base + "/", seconds, SEARCH_CONNECTIONS)
        # The better of the two runs: anything else on the machine only lowers the floor, and a
        # lower floor would flatter the ratios (the shared 2-core VM has shown second runs at a
        # third of the first).
        floor = max(floor_1.requests_per_s, floor_2.requests_per_s)
        # The same two searches with the 2-second list cache off: what each request costs when
        # every one of them queries and renders (reported beside the targets, not judged).
        with Server("wsgi:app", workers, {"OPENDAY_DATABASE_URL": database.url,
                                          "OPENDAY_SEARCH_CACHE_SECONDS": "0"}) as uncached:
            check_search(uncached, API_PATH)
            check_search(uncached, HTML_PATH)
            api_uncached = wrk(uncached.base + API_PATH, seconds, SEARCH_CONNECTIONS)
            html_uncached = wrk(uncached.base + HTML_PATH, seconds, SEARCH_CONNECTIONS)
        result["search"] = {
            "floor_rps": round(floor, 1), "floor_runs": [floor_1.requests_per_s, floor_2.requests_per_s],
            "api_rps": api.requests_per_s, "api_ratio": round(api.requests_per_s / floor, 3),
            "api_p50_ms": api.latency_p50_ms, "api_p99_ms": api.latency_p99_ms,
            "api_non_2xx": api.non_2xx + api.errors,
            "html_rps": html.requests_per_s, "html_ratio": round(html.requests_per_s / floor, 3),
            "html_p50_ms": html.latency_p50_ms, "html_p99_ms": html.latency_p99_ms,
            "html_non_2xx": html.non_2xx + html.errors,
            "api_uncached_rps": api_uncached.requests_per_s,
            "api_uncached_ratio": round(api_uncached.requests_per_s / floor, 3),
            "html_uncached_rps": html_uncached.requests_per_s,
            "html_uncached_ratio": round(html_uncached.requests_per_s / floor, 3),
        }
        log(f"{database.backend}: stats through the API")
        result["stats_api"] = time_stats_api(app, current_year(database.url))
        log(f"{database.backend}: rush ({RUSH_CONNECTIONS} connections, {len(slots)} slots, "
            f"rounds of {seconds} s until they are full)")
        result["rush"] = rush(app, database.url, slots, seconds)
        result["load_average_after"] = [round(x, 1) for x in os.getloadavg()]
        result["rss_mb"] = {"openday": [round(x, 1) for x in app.worker_rss_mb()],
                            "bare": [round(x, 1) for x in bare.worker_rss_mb()]}
    check = flask(database.url, "openday", "check", "--full", ",".join(map(str, slots)),
                  check=False, capture=True)
    result["check"] = {"ok": check.returncode == 0,
                       "output": (check.stdout + check.stderr).strip().splitlines()[-12:]}
    log(f"{database.backend}: stats in process (service calls, no cache)")
    result["stats"] = time_stats(database.url)
    return result


def verdicts(result: dict) -> list[str]:
    search, booked, stats = result["search"], result["rush"], result["stats"]
    rss = max(result["rss_mb"]["openday"] or [0])
    rows = [
        ("API search / floor", f"{search['api_ratio']:.0%}", search["api_ratio"] >= TARGETS["api_ratio"], "≥ 30 %"),
        ("HTML search / floor", f"{search['html_ratio']:.0%}", search["html_ratio"] >= TARGETS["html_ratio"], "≥ 20 %"),
        ("rush bookings/s", f"{booked['bookings_per_s']:.0f}", booked["bookings_per_s"] >= TARGETS["bookings_per_s"], "≥ 300"),
        ("rush check (0 oversold, full, in order)", "pass" if result["check"]["ok"] else "FAIL", result["check"]["ok"], "pass"),
        ("national totals", f"{stats['totals']['median_ms']:.0f} ms", stats["totals"]["median_ms"] < TARGETS["totals_ms"], "< 200 ms"),
        ("largest worker RSS", f"{rss:.0f} MB", rss < TARGETS["rss_mb"], "< 150 MB"),
    ]
    return [f"  {name:<42} {value:>10}  target {target:<9} {'ok' if good else 'MISSED'}"
            for name, value, good, target in rows]


def report(result: dict) -> None:
    s, r = result["search"], result["rush"]
    print(f"\n== {result['backend']}, {result['workers']} gunicorn workers "
          f"(load average before {result['load_average_before']}, after {result['load_average_after']}) ==")
    if result["generate"]:
        print(f"  generate: {result['generate']}")
    print(f"  bare Flask floor        {s['floor_rps']:>9.0f} req/s   (runs {s['floor_runs']})")
    print(f"  GET {API_PATH:<30} {s['api_rps']:>9.0f} req/s   p50 {s['api_p50_ms']} ms  p99 {s['api_p99_ms']} ms"
          f"  non-2xx {s['api_non_2xx']}")
    print(f"  GET {HTML_PATH:<30} {s['html_rps']:>9.0f} req/s   p50 {s['html_p50_ms']} ms  p99 {s['html_p99_ms']} ms"
          f"  non-2xx {s['html_non_2xx']}")
    print(f"  without the search cache: API {s['api_uncached_rps']:.0f} req/s "
          f"({s['api_uncached_ratio']:.0%}), HTML {s['html_uncached_rps']:.0f} req/s "
          f"({s['html_uncached_ratio']:.0%}) (OPENDAY_SEARCH_CACHE_SECONDS=0; no target)")
    print(f"  rush: {r['bookings_per_s']:.0f} bookings/s over {r['seconds']:.1f} s in {r['rounds']} round(s) "
          f"for {r['seats_before']} free seats: {r['confirmed']} confirmed, {r['waitlisted']} waitlisted, "
          f"{r['failed']} failed; p50 {r['p50_ms']} ms, p99 {r['p99_ms']} ms")
    print("  openday check: " + " | ".join(result["check"]["output"]))
    for name, t in {**result["stats"], **result.get("stats_api", {})}.items():
        print(f"  stats {name:<22} first {t['first_ms']:>8.1f} ms   median {t['median_ms']:>8.1f} ms")
    print(f"  worker RSS MB: openday {result['rss_mb']['openday']}  bare {result['rss_mb']['bare']}")
    print("\n".join(verdicts(result)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labs", type=int, default=None, help="generated labs (default 40000; --quick 2000)")
    parser.add_argument("--quick", action="store_true", help="small data and 5 s loads")
    parser.add_argument("--seconds", type=int, default=None, help="each wrk run (default 10; --quick 5)")
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--fresh", action="store_true", help="regenerate the cached data (SQLite file, PostgreSQL database)")
    args = parser.parse_args(argv)
    labs = args.labs or (2000 if args.quick else 40000)
    seconds = args.seconds or (5 if args.quick else 10)
    results = []
    if args.backend in ("sqlite", "both"):
        results.append(bench_backend(sqlite_database(labs, fresh=args.fresh), 2, seconds))
        report(results[-1])
    if args.backend in ("postgresql", "both"):
        with postgres_database(labs, fresh=args.fresh) as database:
            results.append(bench_backend(database, 4, seconds))
        report(results[-1])
    out = ROOT / "test-artifacts" / "bench.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"labs": labs, "seconds": seconds, "results": results}, ensure_ascii=False,
                              indent=2))
    print(f"\nfigures saved to {out.relative_to(ROOT)}")
    return 0 if all(r["check"]["ok"] for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
