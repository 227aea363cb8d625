"""Per-call cost of the city look-ups, in process: ``python -m tests.bench.geo_lookups``.

Times what ``GET /api/v1/cities?q=`` and the "did you mean" of an unknown city cost in the geo
service, without HTTP or Flask, for the queries a campaign day sends (a city in each script and
in pinyin, a prefix being typed, a province, a district, typos). The memo of resolve_city is
cleared before each call so every call does the work. Not part of ``make test``: it prints
figures and asserts nothing about time.
"""
from __future__ import annotations

import argparse
import statistics
import time

from openday.geo import service

SUGGEST = ["长沙", "長沙", "长沙市", "changsha", "Changsha", "chang", "c", "长", "湖南", "hunan",
           "浦东", "朝阳区", "岳麓", "Urumqi", "xian", "zhengzhou", "guang"]
TYPOS = ["长莎", "长砂", "changshaa", "zhengzhuo", "乌鲁木其", "guangzhuo", "xyzzy", "haerbing"]


def _per_call_us(call, queries: list[str], rounds: int) -> tuple[float, float]:
    """(median, 95th percentile) microseconds per call over ``rounds`` passes of ``queries``
    (not the worst: on a shared machine that is the scheduler's)."""
    times = []
    for _ in range(rounds):
        for q in queries:
            service._resolve_city_memo.cache_clear()
            start = time.perf_counter()
            call(q)
            times.append((time.perf_counter() - start) * 1e6)
    return statistics.median(times), statistics.quantiles(times, n=20)[-1]


def _through_flask(rounds: int) -> None:
    """The whole ``GET /api/v1/cities`` request through Flask's test client (no HTTP server)."""
    import tempfile

    from openday import create_app

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"TESTING": True, "SECRET_KEY": "bench-secret-key-0123456789",
                          "OPENDAY_DATABASE_URL": f"sqlite:///{tmp}/bench.db",
                          "RATELIMIT_ENABLED": False, "SERVER_NAME": None})
        client = app.test_client()
        for path in ("/api/v1/cities?q=长沙市", "/api/v1/cities?q=chang",
                     "/api/v1/cities?q=长莎"):
            client.get(path)
            times = []
            for _ in range(rounds * 5):
                service._resolve_city_memo.cache_clear()
                start = time.perf_counter()
                client.get(path)
                times.append((time.perf_counter() - start) * 1e6)
            print(f"GET {path} through Flask: median {statistics.median(times):.0f} µs")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    start = time.perf_counter()
    service.get_region("430100")  # load the gazetteer (and its indexes) once
    print(f"load gazetteer: {(time.perf_counter() - start) * 1e3:.1f} ms")
    for label, call, queries in [
        ("suggest_cities (the /api/v1/cities answer)", service.suggest_cities, SUGGEST),
        ("closest_names (did you mean)", service.closest_names, TYPOS),
    ]:
        median, p95 = _per_call_us(call, queries, args.rounds)
        print(f"{label}: median {median:.0f} µs, p95 {p95:.0f} µs per call")
    _through_flask(args.rounds)
    for q in TYPOS[:4]:
        names = [r.name for r in service.closest_names(q)]
        print(f"  {q} → {'、'.join(names)}")


if __name__ == "__main__":
    main()
