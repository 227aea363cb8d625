"""The approval queue and the admin's user list at national scale: search, filters and sorts on
40,000 generated labs (``flask openday generate --labs 40000``), timed in process.

    .venv/bin/python -m tests.bench.queue [--labs 40000] [--repeat 7]

By hand; not part of ``make test`` or ``make bench``. It works on its own copy of the generated
SQLite file (harness.py's cache, generated there if missing), migrated to this checkout, signs a
national regulator in through the Flask test client and times each page: the first request and
the median of ``--repeat`` more. Figures go to stdout and test-artifacts/bench-queue.json.
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import time
from pathlib import Path

from tests.bench.harness import CACHE, ROOT, SECRET, flask, log, sqlite_database

PASSWORD = "bench regulator password"


def _copy(labs: int) -> str:
    pristine = CACHE / f"sqlite-{labs}.db"
    if not (CACHE / f"sqlite-{labs}.done").exists():
        sqlite_database(labs)  # generates the cached file
    work = CACHE / f"queue-{labs}-run.db"
    for path in (work, Path(f"{work}-wal"), Path(f"{work}-shm")):
        path.unlink(missing_ok=True)
    shutil.copyfile(pristine, work)
    url = f"sqlite:///{work}"
    flask(url, "db", "upgrade", capture=True)
    return url


def _cases(app) -> dict[str, str]:
    """The queries a provincial bureau types, with real values from the data."""
    import sqlalchemy as sa

    from openday.extensions import db
    from openday.labs.models import Lab

    with app.app_context():
        lab = db.session.execute(sa.select(Lab).where(Lab.status == "pending")
                                 .order_by(Lab.id.desc()).limit(1)).scalar_one()
        word = lab.name[2:4]
        return {
            "pending, oldest first": "/regulator/labs",
            "all, page 300": "/regulator/labs?status=all&page=300",
            f"name contains {word}": f"/regulator/labs?status=all&q={word}",
            "credit code": f"/regulator/labs?status=all&q={lab.credit_code}",
            "CMA number": f"/regulator/labs?status=all&q={lab.cma_number}",
            "city 430100, all": "/regulator/labs?status=all&city=430100",
            "registered in a week": "/regulator/labs?status=all&registered_from=2026-06-01"
                                    "&registered_to=2026-06-07",
            "all, by name": "/regulator/labs?status=all&sort=name",
            "all, by city, newest": "/regulator/labs?status=all&sort=city",
            "users, natural order": "/admin/users",
            "users, search": "/admin/users?q=lab4000",
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labs", type=int, default=40000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args(argv)
    url = _copy(args.labs)

    from openday import create_app
    from openday.accounts.models import User
    from openday.extensions import db

    app = create_app({"OPENDAY_DATABASE_URL": url, "SECRET_KEY": SECRET,
                      "RATELIMIT_ENABLED": False, "OPENDAY_SECURE_COOKIES": False})
    with app.app_context():
        for email, role in (("queue-bench@samr.test", "regulator"),
                            ("queue-bench-admin@samr.test", "admin")):
            user = db.session.execute(db.select(User).where(User.email == email)).scalar()
            if user is None:
                user = User(email=email, role=role, region_scope="000000" if role == "regulator"
                            else None)
                user.set_password(PASSWORD)
                db.session.add(user)
        db.session.commit()
        labs = db.session.execute(db.text("SELECT count(*) FROM lab")).scalar_one()
    log(f"{labs} labs in {url}")

    results = {}
    cases = _cases(app)
    for who in ("queue-bench@samr.test", "queue-bench-admin@samr.test"):
        client = app.test_client()
        page = client.get("/login").get_data(as_text=True)
        token = page.split('name="csrf_token" type="hidden" value="', 1)[1].split('"', 1)[0]
        assert client.post("/login", data={"email": who, "password": PASSWORD,
                                           "csrf_token": token}).status_code == 302
        for name, path in cases.items():
            if path.startswith("/admin") != who.startswith("queue-bench-admin"):
                continue
            runs = []
            for _ in range(args.repeat + 1):
                started = time.perf_counter()
                response = client.get(path)
                runs.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, (path, response.status_code)
            results[name] = {"path": path, "first_ms": round(runs[0], 1),
                             "median_ms": round(statistics.median(runs[1:]), 1),
                             "max_ms": round(max(runs[1:]), 1)}
            log(f"{name:28} first {runs[0]:7.1f} ms  median {results[name]['median_ms']:7.1f} ms")
    out = ROOT / "test-artifacts" / "bench-queue.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"labs": labs, "backend": "sqlite", "results": results},
                              ensure_ascii=False, indent=2))
    log(f"written {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
