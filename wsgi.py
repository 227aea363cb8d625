"""The WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi ...`."""
import os
import sys

from openday import create_app
from openday.database import DatabaseConfigError, check_connection

try:
    app = create_app()
    # Commands (`flask db upgrade`, `make run`'s first step) refuse an unreachable database at
    # once. A gunicorn worker does not: one started while the database is restarting (replacing
    # a worker that died) must serve 503s until it is back, not exit and be respawned in a loop.
    if not os.environ.get("SERVER_SOFTWARE", "").startswith("gunicorn/"):
        check_connection(app)
except (DatabaseConfigError, RuntimeError) as exc:
    # One readable line for the operator, not a traceback wall.
    print(f"openday: {exc}", file=sys.stderr)
    sys.exit(1)
