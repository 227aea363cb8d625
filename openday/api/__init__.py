"""The JSON API (SPEC §6): no cookies, CSRF-exempt, rate-limited, errors as one object."""
from __future__ import annotations

from flask import Blueprint, jsonify

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def api_error(code: str, message: str, fields: dict | None = None, status: int = 400):
    """``{"error": {"code", "message", "fields"}}`` with a 4xx status."""
    response = jsonify({"error": {"code": code, "message": message, "fields": fields or {}}})
    response.status_code = status
    return response
