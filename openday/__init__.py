"""openday: the registry for the national open day of inspection and testing laboratories."""
from __future__ import annotations

import importlib
import os
from urllib.parse import urlsplit

from flask import Flask


def create_app(config: dict | None = None) -> Flask:
    from openday import assets, config as settings, database, extensions, metrics, web

    app = Flask(__name__, template_folder="../templates", static_folder="../static",
                instance_relative_config=True)
    app.config.update(settings.from_env(app.instance_path))
    if (config or {}).get("TESTING"):
        app.config.update(settings.TESTING_DEFAULTS)
    app.config.update(config or {})
    _refuse_insecure_secret(app)
    os.makedirs(app.instance_path, exist_ok=True)
    database.configure(app)
    metrics.init_app(app)  # first, so its timer starts before any other hook runs
    web.register_input_checks(app)  # then: its host check runs before CSRF's and the limiter's
    extensions.register_extensions(app)
    web.register_locale(app)
    web.register_template_helpers(app)
    web.register_security_headers(app)
    web.register_errorhandlers(app)
    from openday import models  # noqa: F401  (all tables on the metadata, for Alembic too)
    register_blueprints(app)
    from openday.signals import connect_signals
    connect_signals()
    from openday import cli, worker
    cli.init_app(app)
    worker.init_app(app)
    assets.init_app(app)
    _trust_proxies_and_hosts(app)  # last: ProxyFix wraps every other WSGI layer
    return app


# Each domain's blueprint.py owns its blueprint and the modules of its routes.
BLUEPRINTS = ("geo", "accounts", "labs", "events", "bookings", "messages", "stats", "feedback",
              "notices", "audit", "api")


def register_blueprints(app: Flask) -> None:
    from openday.extensions import csrf
    from openday.health import bp as health_bp

    for name in BLUEPRINTS:
        domain = importlib.import_module(f"openday.{name}.blueprint")
        for module in domain.ROUTE_MODULES:  # each adds its routes to the domain's blueprint
            importlib.import_module(module)
        app.register_blueprint(domain.bp)
    app.register_blueprint(health_bp)
    # The JSON API uses no cookies, so there is no session to forge.
    csrf.exempt(importlib.import_module("openday.api.blueprint").bp)


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


def _trust_proxies_and_hosts(app: Flask) -> None:
    """Read the client's address through OPENDAY_PROXY_HOPS proxies, and with OPENDAY_PUBLIC_URL
    answer only requests for its host (SPEC §8).

    ProxyFix takes the address and scheme the nearest N proxies appended (x_for, x_proto); entries
    further left were written by the client and are ignored. The host is not taken from
    X-Forwarded-Host (x_host=0): many balancers pass the Host header on and never set that one, so
    a client's own value would be believed. A proxy therefore forwards Host as it got it (nginx:
    ``proxy_set_header Host $host``), and that is what TRUSTED_HOSTS checks.
    """
    from werkzeug.middleware.proxy_fix import ProxyFix

    hops = int(app.config.get("OPENDAY_PROXY_HOPS") or 0)
    if hops < 0:
        raise RuntimeError("OPENDAY_PROXY_HOPS is the number of proxies in front of openday (0 or more).")
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=0, x_port=0, x_prefix=0)

    public_url = app.config.get("OPENDAY_PUBLIC_URL") or ""
    if public_url:
        parts = urlsplit(public_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise RuntimeError(f"OPENDAY_PUBLIC_URL must be an absolute http(s) URL, e.g. "
                               f"https://openday.example.cn (got {public_url!r}).")
        if app.config.get("TRUSTED_HOSTS") is None:
            app.config["TRUSTED_HOSTS"] = [parts.hostname]
    elif not app.testing and _serving():
        app.logger.warning(
            "OPENDAY_PUBLIC_URL is not set: links in QR codes, calendar files and messages follow "
            "the Host of each request, and requests for any host are answered. Set it in production.")


def _serving() -> bool:
    """Whether this app is about to answer requests: under gunicorn (no click command) or `flask
    run`, not for a command such as `db upgrade` or `openday demo`, which builds no links."""
    import click

    command = click.get_current_context(silent=True)
    return command is None or command.info_name == "run"
