"""openday: the registry for the national open day of inspection and testing laboratories."""
from __future__ import annotations

import os

from flask import Flask


def create_app(config: dict | None = None) -> Flask:
    from openday import assets, config as settings, database, extensions, web

    app = Flask(__name__, template_folder="../templates", static_folder="../static",
                instance_relative_config=True)
    app.config.update(settings.from_env(app.instance_path))
    app.config.update(config or {})
    _refuse_insecure_secret(app)
    os.makedirs(app.instance_path, exist_ok=True)
    database.configure(app)
    web.init_app(app)
    extensions.db.init_app(app)
    extensions.migrate.init_app(app, extensions.db, directory=os.path.join(
        os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "migrations"))
    database.install_engine_hooks(app)
    from openday import models  # noqa: F401  (all tables on the metadata, for Alembic too)
    register_blueprints(app)
    from openday import cli
    cli.init_app(app)
    assets.init_app(app)
    return app


def register_blueprints(app: Flask) -> None:
    from openday import api
    from openday.accounts import views as accounts_views
    from openday.api import views as _api_routes  # noqa: F401  (routes attach to api.bp)
    from openday.bookings import views as bookings_views
    from openday.events import views as events_views
    from openday.extensions import csrf
    from openday.geo import views as geo_views
    from openday.labs import views as labs_views
    from openday.notices import views as notices_views
    from openday.stats import views as stats_views

    for bp in (geo_views.bp, accounts_views.bp, labs_views.bp, events_views.bp,
               bookings_views.bp, stats_views.bp, notices_views.bp, api.bp):
        app.register_blueprint(bp)
    csrf.exempt(api.bp)  # the JSON API uses no cookies, so there is no session to forge


def _refuse_insecure_secret(app: Flask) -> None:
    from openday.config import INSECURE_KEYS

    if app.debug or app.testing:
        if not app.config["SECRET_KEY"]:
            app.config["SECRET_KEY"] = "openday-debug-only-key"
        return
    key = app.config.get("SECRET_KEY") or ""
    if key in INSECURE_KEYS or len(key) < 16:
        raise RuntimeError(
            "openday refuses to start without a real SECRET_KEY outside debug or testing. "
            "Set one, e.g.: export SECRET_KEY=$(python -c 'import secrets; print(secrets.token_hex(32))')")
