"""`flask --app wsgi openday backup PATH` and `openday restore PATH` (SPEC §10).

Both take a consistent copy while the app is serving:

- SQLite through the online backup API (``sqlite3.Connection.backup``), in one step: it reads
  inside one transaction, so the copy is the database as of one instant, WAL content included.
  Copying the file instead misses what still sits in ``openday.db-wal`` (a test lost 96 bookings
  acknowledged a second earlier that way) and can catch a page half written.
- PostgreSQL through ``pg_dump -Fc`` (one repeatable-read snapshot; the custom format restores
  with ``pg_restore``, selectively if need be). The connection goes to libpq as a URI without the
  password, which travels in ``PGPASSWORD`` so it never shows in ``ps``.

A backup is written to a temporary file beside PATH and renamed into place, so PATH is never a
half-written copy. Restore refuses a database that holds any row unless ``force``.
"""
from __future__ import annotations

import glob
import os
import shutil
import sqlite3
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import click
import sqlalchemy as sa
from flask import current_app
from sqlalchemy.engine import URL, make_url

from openday.cli import openday_cli
from openday.extensions import db

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"
# Tables whose rows do not make a database "in use": Alembic's bookkeeping only.
BOOKKEEPING_TABLES = {"alembic_version"}


class BackupError(click.ClickException):
    """Something the operator must fix; its message is one line for the console."""


@dataclass
class Outcome:
    backend: str
    path: Path
    database: str       # the URL without its password
    seconds: float
    size: int = 0       # bytes of the backup file
    bookings: int | None = None


def _url() -> URL:
    return make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])


def _shown(url: URL) -> str:
    return url.render_as_string(hide_password=True)


def _sqlite_file(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("the SQLite database is in memory; there is nothing to back up")
    return Path(url.database)


# ---- PostgreSQL tools ---------------------------------------------------------------------------

def pg_tool(name: str) -> str:
    """``pg_dump`` / ``pg_restore`` from PATH, else the newest under /usr/lib/postgresql/*/bin
    (a dump must be made by a pg_dump at least as new as the server)."""
    found = shutil.which(name)
    if found:
        return found

    def version(path: str) -> float:
        try:
            return float(Path(path).parent.parent.name)
        except ValueError:
            return 0.0
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=version, reverse=True)
    if not candidates:
        raise BackupError(f"{name} not found on PATH or in /usr/lib/postgresql/*/bin; install the "
                          f"PostgreSQL client tools (Debian: postgresql-client)")
    return candidates[0]


def libpq_target(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq connection URI without the password, and the environment that carries it."""
    netloc = ""
    if url.username:
        netloc = quote(url.username, safe="")
        netloc += "@"
    if url.host:
        netloc += f"[{url.host}]" if ":" in url.host else url.host
    if url.port:
        netloc += f":{url.port}"
    query = "&".join(f"{quote(k, safe='')}={quote(str(v), safe='')}"
                     for k, values in url.query.items()
                     for v in (values if isinstance(values, tuple) else (values,)))
    uri = f"postgresql://{netloc}/{quote(url.database or '', safe='')}" + (f"?{query}" if query else "")
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return uri, env


def _run(command: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(command, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True)
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()
        raise BackupError(f"{Path(command[0]).name} failed: " + (" / ".join(detail[-3:]) or
                                                                 f"exit {done.returncode}"))


# ---- backup -------------------------------------------------------------------------------------

def _temporary_beside(path: Path) -> Path:
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    os.close(handle)
    return Path(name)


def backup(path: str | os.PathLike, force: bool = False) -> Outcome:
    """A consistent copy of the configured database at ``path``."""
    target = Path(path).expanduser().absolute()
    if target.exists() and not force:
        raise BackupError(f"{target} exists; choose a new name or pass --force to replace it")
    if not target.parent.is_dir():
        raise BackupError(f"{target.parent} is not a directory")
    url = _url()
    db.session.remove()  # nothing of this command's own stays open across the copy
    started = time.perf_counter()
    partial = _temporary_beside(target)
    try:
        if url.get_backend_name() == "sqlite":
            bookings = _backup_sqlite(_sqlite_file(url), partial)
        else:
            uri, env = libpq_target(url)
            _run([pg_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
                  f"--file={partial}", f"--dbname={uri}"], env)
            bookings = None
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return Outcome(url.get_backend_name(), target, _shown(url), time.perf_counter() - started,
                   size=target.stat().st_size, bookings=bookings)


def _backup_sqlite(source_file: Path, partial: Path) -> int | None:
    if not source_file.exists():
        raise BackupError(f"no SQLite database at {source_file}")
    source = sqlite3.connect(source_file, timeout=30)
    copy = sqlite3.connect(partial)
    try:
        source.backup(copy)  # pages=-1: all of it in one step, one read transaction
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        problems = copy.execute("PRAGMA quick_check").fetchone()[0]
        if problems != "ok":
            raise BackupError(f"the copy failed SQLite's quick_check: {problems}")
        return _count_bookings(copy)
    finally:
        copy.close()
        source.close()


def _count_bookings(connection: sqlite3.Connection) -> int | None:
    try:
        return connection.execute("SELECT count(*) FROM booking").fetchone()[0]
    except sqlite3.DatabaseError:
        return None


# ---- restore ------------------------------------------------------------------------------------

def backup_format(path: Path) -> str:
    with path.open("rb") as file:
        head = file.read(16)
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PGDUMP_MAGIC):
        return "postgresql"
    raise BackupError(f"{path} is neither an SQLite database nor a pg_dump custom-format file")


def tables_with_rows() -> list[str]:
    """The configured database's tables that hold at least one row (bookkeeping aside)."""
    engine = db.engine
    names = [name for name in sa.inspect(engine).get_table_names() if name not in BOOKKEEPING_TABLES]
    found = []
    with engine.connect() as connection:
        for name in names:
            table = sa.table(name)
            if connection.execute(sa.select(sa.literal(1)).select_from(table).limit(1)).first():
                found.append(name)
    return found


def restore(path: str | os.PathLike, force: bool = False) -> Outcome:
    """Replace the configured database's contents with the backup at ``path``."""
    source = Path(path).expanduser().absolute()
    if not source.is_file():
        raise BackupError(f"no backup file at {source}")
    url = _url()
    kind = backup_format(source)
    if kind != url.get_backend_name():
        raise BackupError(f"{source} is a {kind} backup but OPENDAY_DATABASE_URL is "
                          f"{url.get_backend_name()} ({_shown(url)}); restore it into a {kind} database")
    db.session.remove()
    try:
        in_use = tables_with_rows() if _exists(url) else []
    except sa.exc.OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise BackupError(f"cannot open {_shown(url)} ({reason}); create the database first "
                          f"(PostgreSQL: createdb)") from None
    if in_use and not force:
        raise BackupError(f"{_shown(url)} is not empty (rows in {', '.join(sorted(in_use)[:5])}"
                          f"{'…' if len(in_use) > 5 else ''}); pass --force to replace its contents")
    db.engine.dispose()  # the app's own pooled connections must not hold the old database open
    started = time.perf_counter()
    if kind == "sqlite":
        _restore_sqlite(source, _sqlite_file(url))
    else:
        uri, env = libpq_target(url)
        # --clean --if-exists: a migrated but empty schema (or, with --force, a full one) is dropped
        # first; --single-transaction: a failed restore leaves the database as it was.
        _run([pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-privileges",
              "--single-transaction", f"--dbname={uri}", str(source)], env)
    db.engine.dispose()
    try:
        with db.engine.connect() as connection:
            bookings = connection.execute(sa.text("SELECT count(*) FROM booking")).scalar_one()
    except sa.exc.DBAPIError:
        raise BackupError(f"{source} was restored into {_shown(url)} but holds no booking table: "
                          f"it is not a backup of openday") from None
    return Outcome(kind, source, _shown(url), time.perf_counter() - started,
                   size=source.stat().st_size, bookings=bookings)


def _exists(url: URL) -> bool:
    return url.get_backend_name() != "sqlite" or _sqlite_file(url).exists()


def _restore_sqlite(source_file: Path, target_file: Path) -> None:
    source = sqlite3.connect(source_file)
    if _count_bookings(source) is None:
        source.close()
        raise BackupError(f"{source_file} holds no booking table: it is not a backup of openday "
                          f"(or a copy of a WAL database taken without its -wal file)")
    target_file.parent.mkdir(parents=True, exist_ok=True)
    target = sqlite3.connect(target_file, timeout=30)
    try:
        # Through the backup API, not a file copy: it takes the target's locks, so a running
        # server's connections see the old database or the new one, and its -wal file stays valid.
        source.backup(target)
        target.execute("PRAGMA journal_mode=WAL")
    finally:
        target.close()
        source.close()


# ---- commands -----------------------------------------------------------------------------------

def _size(n: int) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} bytes"


@openday_cli.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace PATH if it exists.")
def backup_command(path: Path, force: bool) -> None:
    """Write a consistent copy of the database to PATH while the app keeps serving."""
    outcome = backup(path, force=force)
    what = "SQLite online backup" if outcome.backend == "sqlite" else "pg_dump custom format"
    counted = f", {outcome.bookings} bookings" if outcome.bookings is not None else ""
    click.echo(f"Backed up {outcome.database} to {outcome.path} ({what}, {_size(outcome.size)}"
               f"{counted}) in {outcome.seconds:.2f} s.")


@openday_cli.command("restore")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace the contents of a database that is not empty.")
def restore_command(path: Path, force: bool) -> None:
    """Load a backup made by `openday backup` into the configured database."""
    outcome = restore(path, force=force)
    click.echo(f"Restored {outcome.path} ({_size(outcome.size)}) into {outcome.database}: "
               f"{outcome.bookings} bookings, in {outcome.seconds:.2f} s. "
               f"Run `flask --app wsgi openday check` to verify it, and `flask --app wsgi db upgrade` "
               f"if the backup predates this version.")
