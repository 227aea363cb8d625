"""The Alembic history builds the same schema as the models, on both databases."""
import os
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest

from tests.conftest import PG_ADMIN_URL

ROOT = Path(__file__).resolve().parents[2]


def flask(*args: str, url: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "OPENDAY_DATABASE_URL": url, "SECRET_KEY": "migration-test-key-0123456789"}
    env.pop("FLASK_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    name = f"openday_mig_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_upgrade_on_empty_database_then_check_finds_no_difference(empty_database):
    upgrade = flask("db", "upgrade", url=empty_database)
    assert upgrade.returncode == 0, upgrade.stderr
    check = flask("db", "check", url=empty_database)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "No new upgrade operations detected" in check.stdout + check.stderr


@pytest.mark.parametrize("url, says", [
    ("postgresql://postgres@127.0.0.1:1/nothing", "cannot open the database"),
    ("mysql://root@127.0.0.1/x", "runs on sqlite or postgresql"),
    ("not a url", "not a database URL"),
])
def test_broken_database_url_stops_with_one_readable_line(url, says):
    result = flask("db", "upgrade", url=url)
    assert result.returncode != 0
    assert says in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_an_analysed_sqlite_database_keeps_its_planner_statistics_through_migrations(tmp_path):
    """Batch mode copies booking, slot and event: their sqlite_stat1 rows must come back, or
    the planner picks the wrong index on a national database (a search 20 times slower)."""
    import sqlite3

    url = f"sqlite:///{tmp_path / 'analysed.db'}"
    for step in (("db", "upgrade"), ("openday", "demo"), ("db", "downgrade", "d1e2f3a4b5c6")):
        done = flask(*step, url=url)
        assert done.returncode == 0, done.stderr
    with sqlite3.connect(tmp_path / "analysed.db") as connection:
        connection.execute("ANALYZE")
    upgrade = flask("db", "upgrade", url=url)
    assert upgrade.returncode == 0, upgrade.stderr
    with sqlite3.connect(tmp_path / "analysed.db") as connection:
        analysed = {row[0] for row in connection.execute("SELECT tbl FROM sqlite_stat1")}
    assert {"booking", "slot", "event", "user"} <= analysed
