"""Visitors' feedback (SPEC §13): the rules of a rating, and what labs and regulators read.

A checked-in booking may be rated once, 1–5 stars and an optional comment of at most 500
characters (plain text: shown escaped, never as links), from the start of its visit until
``OPENDAY_FEEDBACK_DAYS`` (30) days after its end. The rating is added to its slot's
``rating_count`` and ``rating_sum`` in the same transaction, under the slot's lock, so totals by
region, kind and lab are one scan of the slot table, as every other total (``stats.service``).
Nothing here returns a visitor's name or phone: feedback rows do not hold them.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from openday import clock
from openday.bookings import service as bookings
from openday.bookings.models import Booking, BookingStatus
from openday.core.db import lock_row, write_transaction
from openday.core.errors import RuleError
from openday.core.i18n import _
from openday.core.scope import Scope
from openday.events.kinds import kind_name
from openday.events.models import Event, EventKind, Slot
from openday.extensions import db
from openday.feedback import notify
from openday.feedback.models import COMMENT_MAX, Feedback, FeedbackInvitation
from openday.geo.service import get_region
from openday.labs.models import Lab

MIN_RATINGS_TO_RANK = 3  # a lab is ranked among the lowest-rated only with this many ratings
LOWEST_LABS = 10
LABS_LISTED = 100  # by lab: the labs with the most ratings, at most this many


class FeedbackRefused(RuleError):
    """Not (yet, or any longer) a booking that may be rated."""

    status = 409
    code = "feedback_closed"


class AlreadyRated(RuleError):
    status = 409
    code = "already_rated"

    def __init__(self) -> None:
        super().__init__(None, _("您已评价过这次活动，感谢反馈。"))


def feedback_days() -> int:
    return int(current_app.config["OPENDAY_FEEDBACK_DAYS"])


def window(slot: Slot) -> tuple[datetime, datetime]:
    """[from, until): from the visit's start to ``feedback_days`` after its end."""
    return slot.starts_at, slot.ends_at + timedelta(days=feedback_days())


def refusal(booking: Booking, slot: Slot, now: datetime | None = None) -> RuleError | None:
    """Why ``booking`` may not be rated now (not checked in: 403; outside the window: 409), or
    None. Whether it was rated already is :func:`feedback_of`'s business."""
    now = now or clock.now()
    if booking.status != BookingStatus.confirmed or booking.checked_in_at is None:
        return FeedbackRefused("not_checked_in", _("签到参加活动后才能评价。"), status=403)
    opens, closes = window(slot)
    if now < opens:
        return FeedbackRefused("feedback_not_open", _("活动开始后才能评价。"))
    if now >= closes:
        return FeedbackRefused("feedback_closed",
                               _("活动结束 %(n)d 天后不再接受评价。", n=feedback_days()))
    return None


def clean_rating(raw: Any) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= 5:
        raise RuleError.on("rating", _("请选择 1 到 5 星。"))
    return raw


def clean_comment(raw: Any) -> str | None:
    """The comment as kept: NFC, trimmed, without control or format characters (line breaks
    kept), None when empty. RuleError over 500 characters or when it is not text."""
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise RuleError.on("comment", _("评价内容须为文字。"))
    text = unicodedata.normalize("NFC", raw).replace("\r\n", "\n").strip()
    text = "".join(ch for ch in text if ch == "\n" or unicodedata.category(ch) not in
                   ("Cc", "Cf", "Cs", "Co"))
    if len(text) > COMMENT_MAX:
        raise RuleError.on("comment", _("评价内容最多 %(n)d 个字。", n=COMMENT_MAX))
    return text or None


def feedback_of(booking_id: int) -> Feedback | None:
    return db.session.execute(
        sa.select(Feedback).where(Feedback.booking_id == booking_id)).scalar_one_or_none()


def _leave_in_transaction(booking_id: int, rating: int, comment: str | None) -> Feedback:
    booking = db.session.get(Booking, booking_id)
    slot = lock_row(Slot, booking.slot_id)  # one rating at a time on a slot's counters
    db.session.refresh(booking)
    found = refusal(booking, slot)
    if found is not None:
        raise found
    if feedback_of(booking.id) is not None:
        raise AlreadyRated()
    feedback = Feedback(booking_id=booking.id, slot_id=slot.id, lab_id=slot.lab_id,
                        rating=rating, comment=comment, created_at=clock.now())
    db.session.add(feedback)
    db.session.flush()
    bookings.bump(slot, rating_count=1, rating_sum=rating)
    return feedback


def leave_feedback(booking: Booking, rating: Any, comment: Any = None) -> Feedback:
    """Rate a checked-in visit once. Raises RuleError (422 for bad input naming the field;
    403/409 FeedbackRefused; 409 AlreadyRated). Commits."""
    fields: dict[str, str] = {}
    try:
        rating = clean_rating(rating)
    except RuleError as exc:
        fields.update(exc.fields)
    try:
        comment = clean_comment(comment)
    except RuleError as exc:
        fields.update(exc.fields)
    if fields:
        raise RuleError("invalid", _("请修正标出的问题后再提交。"), fields)
    booking_id = booking.id
    try:
        return write_transaction(lambda: _leave_in_transaction(booking_id, rating, comment))
    except IntegrityError:
        raise AlreadyRated() from None  # a second request for the same booking won the race


# ---- invitations (the worker's daily job) ------------------------------------------------------

def _start_of_today(now: datetime) -> datetime:
    return clock.china_datetime(clock.local(now).date(), 0).astimezone(UTC)


def due_feedback_invitations(now: datetime, limit: int = 500) -> list[Booking]:
    """Checked-in bookings whose visit ended before today (Beijing) and may still be rated, not
    rated, not invited yet, whose phone is still kept: the ones to invite now."""
    return list(db.session.execute(
        sa.select(Booking).join(Slot, Slot.id == Booking.slot_id)
        .where(Booking.status == BookingStatus.confirmed, Booking.checked_in_at.is_not(None),
               Booking.phone.is_not(None), Slot.ends_at < _start_of_today(now),
               Slot.ends_at > now - timedelta(days=feedback_days()),
               ~sa.exists().where(Feedback.booking_id == Booking.id),
               ~sa.exists().where(FeedbackInvitation.booking_id == Booking.id))
        .order_by(Booking.id).limit(limit)).scalars())


def send_feedback_invitations(now: datetime | None = None) -> int:
    """Invite every booking that is due (:func:`due_feedback_invitations`), each once: the
    invitation is recorded in the transaction that tells it (``notify.invite_to_rate``), and a
    second worker's insert of the same one fails and is skipped. Returns how many this call sent."""
    now = now or clock.now()
    sent = 0
    for booking_id in [booking.id for booking in due_feedback_invitations(now)]:
        try:
            sent += write_transaction(lambda booking_id=booking_id: _invite(booking_id, now))
        except IntegrityError:
            continue
    return sent


def _invite(booking_id: int, now: datetime) -> bool:
    if db.session.get(FeedbackInvitation, booking_id) is not None:
        return False
    db.session.add(FeedbackInvitation(booking_id=booking_id, invited_at=now))
    db.session.flush()
    notify.invite_to_rate(db.session.get(Booking, booking_id))
    return True


# ---- reading: what labs and regulators see (aggregates and comments, never who) ----------------

@dataclass(frozen=True)
class Rating:
    key: str
    name: str
    count: int
    total: int

    @property
    def mean(self) -> float | None:
        return round(self.total / self.count, 2) if self.count else None


@dataclass(frozen=True)
class Comment:
    rating: int
    comment: str
    created_at: datetime
    event_title: str
    lab_name: str
    starts_at: datetime


def _ratings(key, condition, name, code=str) -> list[Rating]:
    """Ratings grouped by ``key``: each group's code is ``code(key)``, its name ``name(code)``."""
    rows = db.session.execute(
        sa.select(key.label("key"), sa.func.sum(Slot.rating_count), sa.func.sum(Slot.rating_sum))
        .where(condition, Slot.rating_count > 0).group_by(key).order_by(key)).all()
    return [Rating(code(k), name(code(k)), int(n), int(t)) for k, n, t in rows]


def _region_name(adcode: str) -> str:
    region = get_region(adcode)
    return region.name if region else adcode


def lab_ratings(lab_id: int) -> list[Rating]:
    """The mean and count of each of a lab's events (by event title)."""
    rows = db.session.execute(
        sa.select(Event.id, Event.title, sa.func.sum(Slot.rating_count),
                  sa.func.sum(Slot.rating_sum))
        .join(Event, Event.id == Slot.event_id)
        .where(Slot.lab_id == lab_id, Slot.rating_count > 0)
        .group_by(Event.id, Event.title).order_by(Event.id)).all()
    return [Rating(str(i), title, int(n), int(t)) for i, title, n, t in rows]


def _comments(condition, limit: int) -> list[Comment]:
    rows = db.session.execute(
        sa.select(Feedback.rating, Feedback.comment, Feedback.created_at, Event.title, Lab.name,
                  Slot.starts_at)
        .join(Slot, Slot.id == Feedback.slot_id).join(Event, Event.id == Slot.event_id)
        .join(Lab, Lab.id == Feedback.lab_id)
        .where(condition, Feedback.comment.is_not(None))
        .order_by(Feedback.created_at.desc(), Feedback.id.desc()).limit(limit)).all()
    return [Comment(*row) for row in rows]


def lab_comments(lab_id: int, limit: int = 200) -> list[Comment]:
    return _comments(Feedback.lab_id == lab_id, limit)


@dataclass
class RegulatorReport:
    overall: Rating
    by_region: list[Rating]
    by_kind: list[Rating]
    by_lab: list[Rating]
    lowest: list[Rating]
    comments: list[Comment]


def regulator_report(scope: Scope, campaign_id: int | None = None,
                     comments: int = 100) -> RegulatorReport:
    """Ratings in a regulator's scope (by the venue's region, as every total): overall, by
    province (national) or city, by kind, by lab (the ``LABS_LISTED`` most rated); the
    lowest-rated labs with at least ``MIN_RATINGS_TO_RANK`` ratings; the latest comments."""
    where = scope.condition(Slot.city_adcode)
    if campaign_id is not None:
        where = sa.and_(where, Slot.campaign_id == campaign_id)
    if scope.national:  # by province: the first two digits of the venue's city
        region_key, region_code = sa.func.substr(Slot.city_adcode, 1, 2), lambda k: f"{k}0000"
    else:
        region_key, region_code = Slot.city_adcode, str
    total = db.session.execute(
        sa.select(sa.func.coalesce(sa.func.sum(Slot.rating_count), 0),
                  sa.func.coalesce(sa.func.sum(Slot.rating_sum), 0)).where(where)).one()
    by_kind = _ratings(Slot.kind, where, kind_name)
    order = list(EventKind.__members__)
    by_kind.sort(key=lambda r: order.index(r.key) if r.key in order else len(order))
    lab_rows = db.session.execute(
        sa.select(Lab.id, Lab.name, sa.func.sum(Slot.rating_count), sa.func.sum(Slot.rating_sum))
        .join(Lab, Lab.id == Slot.lab_id).where(where, Slot.rating_count > 0)
        .group_by(Lab.id, Lab.name).order_by(Lab.id)).all()
    by_lab = [Rating(str(i), name, int(n), int(t)) for i, name, n, t in lab_rows]
    lowest = sorted((r for r in by_lab if r.count >= MIN_RATINGS_TO_RANK),
                    key=lambda r: (r.total / r.count, -r.count, r.key))[:LOWEST_LABS]
    by_lab = sorted(by_lab, key=lambda r: (-r.count, r.name))[:LABS_LISTED]
    comment_where = scope.condition(Slot.city_adcode)
    if campaign_id is not None:
        comment_where = sa.and_(comment_where, Slot.campaign_id == campaign_id)
    return RegulatorReport(
        overall=Rating("", "", int(total[0]), int(total[1])),
        by_region=_ratings(region_key, where, _region_name, region_code), by_kind=by_kind,
        by_lab=by_lab, lowest=lowest, comments=_comments(comment_where, comments))
