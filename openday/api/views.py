"""Imports every module that attaches routes to ``openday.api.bp``."""
from openday.api import cities  # noqa: F401
from openday.api import stats  # noqa: F401
from openday.api import slots  # noqa: F401
from openday.api import bookings  # noqa: F401
from openday.api import openapi  # noqa: F401
