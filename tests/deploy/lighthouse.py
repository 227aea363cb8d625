"""`make lighthouse`: the demo on gunicorn (as `make run` serves it), and Lighthouse's mobile
defaults (a mid-range phone on a slow 4G connection, simulated) on the pages citizens open, driving
Debian's Chromium, which asks for the pages in Chinese as most readers do. Prints each page's scores and marks what misses its target:
performance ≥ 95 and LCP ≤ 1.5 s on the home, search and booking pages; accessibility and SEO 100
everywhere. Exits 1 on a miss. Nothing leaves 127.0.0.1."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.deploy.conftest import BIN, ROOT, SECRET, Browser, free_port, stop, wait_for
from tests.deploy.page_weight import booking_page

OUT = ROOT / "test-artifacts" / "lighthouse"
CHROME_FLAGS = " ".join([
    "--headless=new", "--no-sandbox", "--accept-lang=zh-CN,zh", "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update", "--disable-default-apps", "--disable-sync",
    "--disable-domain-reliability", "--metrics-recording-only"])


def main() -> int:
    lighthouse = Path(os.environ.get("LIGHTHOUSE", OUT / "node_modules" / ".bin" / "lighthouse"))
    chrome = os.environ.get("CHROME_PATH", "/usr/bin/chromium")
    port = free_port()
    env = dict(os.environ, SECRET_KEY=SECRET, OPENDAY_SECURE_COOKIES="0",
               OPENDAY_DATABASE_URL=f"sqlite:///{OUT / 'openday.db'}",
               OPENDAY_ASSETS_DIR=str(OUT / "assets"), OPENDAY_BIND=f"127.0.0.1:{port}",
               OPENDAY_WORKERS="1")  # one process, so the warm-up below reaches the one measured
    if not (OUT / "openday.db").exists():
        for command in (["db", "upgrade"], ["openday", "demo"]):
            subprocess.run([str(BIN / "flask"), "--app", "wsgi", *command], cwd=ROOT, env=env,
                           check=True, stdout=subprocess.DEVNULL)
    log = OUT / "gunicorn.log"
    with open(log, "w") as handle:
        server = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", "openday/gunicorn_conf.py", "wsgi:app"],
            cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT)
    missed = []
    try:
        wait_for(port, server, log, "gunicorn")
        browser = Browser(port, tls=False)
        pages = [("/", True), ("/search?city=%E9%95%BF%E6%B2%99", True),
                 (booking_page(browser), True), ("/participation", False)]
        for path, _fast in pages:
            # A server that has been up a minute has compiled its templates and remembered its
            # fragments; the first request after a start pays for that, and is not measured.
            browser.get(path)
        print(f"{'page':36} {'perf':>5} {'a11y':>5} {'seo':>5} {'LCP s':>6} {'FCP s':>6} "
              f"{'TBT ms':>7}")
        for path, fast in pages:
            report = OUT / (path.strip("/").replace("/", "_").split("?")[0] or "home")
            report = report.with_suffix(".json")
            subprocess.run(
                [str(lighthouse), f"http://127.0.0.1:{port}{path}", "--quiet", "--output=json",
                 f"--output-path={report}", f"--chrome-flags={CHROME_FLAGS}",
                 "--only-categories=performance,accessibility,seo"],
                check=True, env=dict(os.environ, CHROME_PATH=chrome))
            result = json.loads(report.read_text())
            score = {name: round(100 * (category["score"] or 0))
                     for name, category in result["categories"].items()}
            audits = result["audits"]
            lcp = audits["largest-contentful-paint"]["numericValue"] / 1000
            fcp = audits["first-contentful-paint"]["numericValue"] / 1000
            tbt = audits["total-blocking-time"]["numericValue"]
            misses = [what for what, bad in [
                ("performance", fast and score["performance"] < 95), ("LCP", fast and lcp > 1.5),
                ("accessibility", score["accessibility"] < 100),
                ("SEO", score["seo"] < 100)] if bad]
            print(f"{path:36} {score['performance']:5} {score['accessibility']:5} {score['seo']:5} "
                  f"{lcp:6.2f} {fcp:6.2f} {tbt:7.0f}"
                  + (f"  missed: {', '.join(misses)}" if misses else ""))
            for category in ("accessibility", "seo"):
                for ref in result["categories"][category]["auditRefs"]:
                    audit = audits[ref["id"]]
                    if ref["weight"] and audit["score"] is not None and audit["score"] < 1:
                        print(f"    {category}: {audit['title']}")
            missed += [f"{path} {what}" for what in misses]
    finally:
        stop(server)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
