"""The JSON API (SPEC §6): no cookies, CSRF-exempt, rate-limited, errors as one object
(``openday.core.errors``); its routes are listed in ``blueprint.py``."""
from __future__ import annotations
