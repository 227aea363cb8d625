"""The mix in process: what each kind of request costs, and where the time goes.

    python -m tests.bench.profile_mix sqlite:////tmp/openday-bench/sqlite-40000-run.db [--profile]

Runs the mix's reader URLs (tests/bench/mix.py) through the Flask test client, once to warm
and once measured (both passes see the caches as a server would after its first seconds),
and prints the median and mean milliseconds per kind, wall and CPU (this thread's CPU time:
what other processes on a shared machine do to it is less than to the wall clock). ``--profile`` adds a pyinstrument
profile of the measured pass (test-artifacts/profile-mix.html and the text tree on stdout).
"""
from __future__ import annotations

import argparse
import statistics
import time
from collections import defaultdict

from tests.bench import mix as mix_module
from tests.bench.harness import ROOT, SECRET


def app_for(url: str, **config):
    from openday import create_app

    return create_app({"OPENDAY_DATABASE_URL": url, "SECRET_KEY": SECRET, "RATELIMIT_ENABLED": False,
                       **config})


def measure(url: str, passes: int = 2, profile: bool = False, limit: int | None = None) -> dict:
    app = app_for(url)
    mix = mix_module.build(app, [])
    client = app.test_client()
    pairs = list(zip(mix.kinds, mix.urls))[:limit]
    times: dict[str, list[float]] = defaultdict(list)
    cpu_times: dict[str, list[float]] = defaultdict(list)
    statuses: dict[int, int] = defaultdict(int)
    profiler = None
    for number in range(passes):
        if profile and number == passes - 1:
            from pyinstrument import Profiler
            profiler = Profiler(interval=0.0005)
            profiler.start()
        for kind, path in pairs:
            # The CPU clock read outside the wall clock's window: on this VM reading it is a
            # system call, where a loaded machine may switch the process out.
            cpu = time.thread_time()
            started = time.perf_counter()
            response = client.get(path)
            elapsed = (time.perf_counter() - started) * 1000
            cpu_elapsed = (time.thread_time() - cpu) * 1000
            if number == passes - 1:
                times[kind].append(elapsed)
                cpu_times[kind].append(cpu_elapsed)
                statuses[response.status_code] += 1
    if profiler is not None:
        profiler.stop()
        out = ROOT / "test-artifacts" / "profile-mix.html"
        out.parent.mkdir(exist_ok=True)
        out.write_text(profiler.output_html())
        print(profiler.output_text(unicode=True, color=False, show_all=False))
    every = [t for kind_times in times.values() for t in kind_times]
    every_cpu = [t for kind_times in cpu_times.values() for t in kind_times]
    return {"kinds": {kind: {"n": len(t), "median_ms": round(statistics.median(t), 3),
                             "mean_ms": round(statistics.fmean(t), 3),
                             "cpu_ms": round(statistics.fmean(cpu_times[kind]), 3)}
                      for kind, t in times.items()},
            "mean_ms": round(statistics.fmean(every), 3), "cpu_ms": round(statistics.fmean(every_cpu), 3),
            "statuses": dict(statuses)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--limit", type=int, default=None)
    args = parser.parse_args(argv)
    result = measure(args.url, profile=args.profile, limit=args.limit)
    for kind, figures in sorted(result["kinds"].items(), key=lambda kv: -kv[1]["mean_ms"]):
        print(f"  {kind:<24} n={figures['n']:>5}  median {figures['median_ms']:>7.2f} ms  "
              f"mean {figures['mean_ms']:>7.2f} ms  CPU {figures['cpu_ms']:>7.2f} ms")
    print(f"  all: mean {result['mean_ms']:.2f} ms, CPU {result['cpu_ms']:.2f} ms; statuses {result['statuses']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
