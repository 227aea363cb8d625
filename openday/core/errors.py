"""One rule error for every domain, and the JSON API's one error object (SPEC §6).

A service raises a :class:`RuleError` when a rule says no; a form view puts it on the form
(``core.forms.put_on_form``), and the app-wide handler answers it as ``{"error": {"code",
"message", "fields"}}`` on the API and as the error page elsewhere.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import jsonify

__all__ = ["RuleError", "api_error", "error_fields", "json_error"]


class RuleError(Exception):
    """A rule said no: ``code`` is stable (the API's error code), ``message`` is for people (str
    or lazy), ``fields`` maps form/JSON field names to their messages, ``status`` is the HTTP
    answer. A subclass may set ``retry_after`` (seconds), sent as Retry-After."""

    status = 422
    code = "invalid"
    retry_after: int | None = None

    def __init__(self, code: str | None = None, message: Any = None,
                 fields: Mapping[str, Any] | None = None, status: int | None = None) -> None:
        if code is not None:
            self.code = code
        self.message = message if message is not None else self.code
        self.fields = dict(fields or {})
        if status is not None:
            self.status = status
        super().__init__(self.message)

    @classmethod
    def on(cls, field: str, message: Any, code: str = "invalid", status: int | None = None) -> RuleError:
        """The error of one field."""
        return cls(code, message, {field: message}, status)

    def __str__(self) -> str:
        return str(self.message)


def error_fields(fields: Mapping[str, Any] | None) -> dict[str, list[str]]:
    """Every field's problems as a list of strings."""
    return {name: [str(v) for v in value] if isinstance(value, (list, tuple)) else [str(value)]
            for name, value in (fields or {}).items()}


def json_error(code: str, message: Any, status: int = 400, fields: Mapping[str, Any] | None = None):
    """``{"error": {"code", "message", "fields"}}`` with ``status``; each field a list of strings."""
    response = jsonify({"error": {"code": code, "message": str(message), "fields": error_fields(fields)}})
    response.status_code = status
    return response


def api_error(error: RuleError):
    """A RuleError as the API's error object, with Retry-After when it has one."""
    response = json_error(error.code, error.message, error.status, error.fields)
    if error.retry_after:
        response.headers["Retry-After"] = str(error.retry_after)
    return response
