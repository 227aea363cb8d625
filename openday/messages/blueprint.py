"""The messages blueprint: find my bookings, the reminder switch, password reset mail."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("messages", __name__)

ROUTE_MODULES = ("openday.messages.views",)
