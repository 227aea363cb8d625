"""Imports every module that attaches routes to ``openday.api.bp``."""
from openday.api import cities  # noqa: F401
