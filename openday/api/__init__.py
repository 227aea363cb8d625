"""The JSON API (SPEC §6): no cookies, CSRF-exempt, rate-limited, errors as one object
(``openday.core.errors``); its routes are listed in ``blueprint.py``."""
from __future__ import annotations

from openday.core.errors import json_error


def api_error(code: str, message: str, fields: dict | None = None, status: int = 400):
    """``{"error": {"code", "message", "fields"}}`` with a 4xx status: ``core.errors.json_error``
    with its arguments in another order, for the views that still call it so."""
    return json_error(code, message, status, fields)
