"""The `flask --app wsgi openday ...` command group; each domain adds its commands to it."""
from __future__ import annotations

import importlib

from flask import Flask
from flask.cli import AppGroup

openday_cli = AppGroup("openday", help="openday data commands (demo, generate, check, purge, "
                                        "backup, restore, worker, draw, verify-draw, invite-to-rate).")

COMMAND_MODULES = (
    "openday.demo",
    "openday.bookings.commands",
    "openday.feedback.commands",
    "openday.generate",
    "openday.backup",
    "openday.worker",
)


def init_app(app: Flask) -> None:
    for name in COMMAND_MODULES:
        importlib.import_module(name)
    app.cli.add_command(openday_cli)
