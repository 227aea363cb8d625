"""The WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi ...`."""
import sys

from openday import create_app
from openday.database import DatabaseConfigError, check_connection

try:
    app = create_app()
    check_connection(app)
except (DatabaseConfigError, RuntimeError) as exc:
    # One readable line for the operator, not a traceback wall.
    print(f"openday: {exc}", file=sys.stderr)
    sys.exit(1)
