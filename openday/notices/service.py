"""Notices: what regulators announce, newest first."""
from __future__ import annotations

from openday import clock
from openday.extensions import db
from openday.notices.models import Notice


def latest_notices(limit: int = 5) -> list[Notice]:
    return list(db.session.execute(
        db.select(Notice).where(Notice.published_at <= clock.now())
        .order_by(Notice.published_at.desc()).limit(limit)).scalars())
