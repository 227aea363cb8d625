"""Imports every domain's models so that SQLAlchemy's metadata (and Alembic) sees all tables."""
from openday.accounts.models import User  # noqa: F401
from openday.bookings.models import Booking  # noqa: F401
from openday.events.models import Campaign, Event, Slot  # noqa: F401
from openday.labs.models import Lab  # noqa: F401
from openday.notices.models import Notice  # noqa: F401
from openday.audit.models import AuditEntry  # noqa: F401
from openday.messages.models import Message, OneTimeLink  # noqa: F401
from openday.feedback.models import Feedback, FeedbackInvitation  # noqa: F401
