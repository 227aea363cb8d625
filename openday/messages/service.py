"""The outbox (SPEC §11): messages written in the transaction of the change that causes them.

Each function here adds rows to the caller's session and commits nothing: it runs inside the
booking's, the lab's or the review's own write transaction, so a change that rolls back leaves no
message behind and one that commits always has its messages. ``openday worker`` delivers them
(``messages.delivery``). The session is marked so that, once it commits, the worker is told there
is mail (``openday.worker.kick``); if that fails the worker's minute sweep still finds the rows.

Links: a manage link (the booking's secret) only ever goes to the phone that made that booking;
mail to lab accounts carries no booking link.
"""
from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app, has_request_context
from sqlalchemy.exc import IntegrityError

from openday import clock
from openday.bookings.models import Booking, BookingStatus, CancelledBy
from openday.bookings.service import manage_url, public_url, waitlist_position
from openday.core.db import write_transaction
from openday.core.errors import RuleError
from openday.core.i18n import _, locale_code
from openday.core.phone import normalise_phone
from openday.events.models import Event, Slot, SlotStatus
from openday.extensions import db
from openday.messages import texts
from openday.messages.models import (Channel, LinkPurpose, Message, MessageKind, MessageStatus,
                                     OneTimeLink)

SESSION_FLAG = "openday_messages_written"
LOOKUP_TTL = timedelta(minutes=15)
RESET_TTL = timedelta(hours=1)


# ---- writing ----------------------------------------------------------------------------------

def e164(phone: str) -> str:
    """A stored phone as the gateway wants it: mainland numbers are kept as their 11 digits."""
    return phone if phone.startswith("+") else "+86" + phone


def sms_gateway() -> bool:
    return bool(current_app.config.get("OPENDAY_SMS_WEBHOOK_URL"))


def request_locale() -> str | None:
    """The language of the request writing this, if any: what a new booking is kept in."""
    return locale_code() if has_request_context() else None


def write(kind: str, channel: str, recipient: str, body: str, *, locale: str | None = None,
          booking_id: int | None = None, user_id: int | None = None, lab_id: int | None = None,
          subject: str | None = None, urgent: bool = False, uid: str | None = None) -> Message:
    """Add one message to the session (the caller's transaction)."""
    now = clock.now()
    message = Message(uid=uid or secrets.token_hex(16), kind=kind, channel=channel,
                      recipient=recipient, body=body, subject=subject,
                      locale=texts.known_locale(locale), booking_id=booking_id, user_id=user_id,
                      lab_id=lab_id, urgent=urgent, next_attempt_at=now, created_at=now)
    if channel == Channel.page:
        message.status, message.sent_at = MessageStatus.sent, now
    elif channel == Channel.mail and not current_app.config.get("OPENDAY_SMTP_URL"):
        message.status, message.last_error = MessageStatus.skipped, "no mail server configured"
    else:
        db.session.info[SESSION_FLAG] = True
    db.session.add(message)
    return message


def _title(slot: Slot) -> str:
    event = db.session.get(Event, slot.event_id)
    return event.title if event is not None else ""


def _same_day(*moments: datetime) -> bool:
    today = clock.today()
    return any(clock.local(moment).date() == today for moment in moments)


def _to_booking(kind: str, booking: Booking, msgid: str, title: str, moment: datetime,
                urgent: bool = False, **variables) -> Message | None:
    """An SMS (or, without a gateway, a page note) to the phone that made ``booking``, carrying
    its manage link: that phone is the one it may go to."""
    if not booking.phone:
        return None  # purged
    locale = booking.locale
    body = texts.sms(locale, msgid, link=manage_url(booking), title=title,
                     when=texts.when(locale, moment), code=booking.code, **variables)
    channel = Channel.sms if sms_gateway() else Channel.page
    return write(kind, channel, e164(booking.phone), body, locale=locale, booking_id=booking.id,
                 urgent=urgent)


def booking_confirmed(booking: Booking, slot: Slot) -> None:
    _to_booking(MessageKind.confirmed, booking, texts.CONFIRMED, _title(slot), slot.starts_at)


def bookings_promoted(slot: Slot, bookings: Iterable[Booking]) -> None:
    title, urgent = _title(slot), _same_day(slot.starts_at)
    for booking in bookings:
        _to_booking(MessageKind.promoted, booking, texts.WAITLIST_PROMOTED, title,
                    slot.starts_at, urgent=urgent)


def entry_received(booking: Booking, slot: Slot) -> None:
    """A ballot entry (SPEC §12): what and when, when the draw is, the code."""
    _to_booking(MessageKind.entered, booking, texts.ENTERED, _title(slot), slot.starts_at,
                draw=texts.when(booking.locale, slot.draw_at))


def ballot_drawn(booking: Booking) -> None:
    """The draw decided ``booking``: confirmed (won) or waitlisted in drawn order."""
    slot = db.session.get(Slot, booking.slot_id)
    if booking.status == BookingStatus.confirmed:
        _to_booking(MessageKind.drawn_won, booking, texts.DRAWN_WON, _title(slot), slot.starts_at)
    elif booking.status == BookingStatus.waitlisted:
        _to_booking(MessageKind.drawn_waitlisted, booking, texts.DRAWN_WAITLISTED, _title(slot),
                    slot.starts_at, n=waitlist_position(booking) or 0)


def feedback_invited(booking: Booking) -> None:
    """The day after a checked-in visit: its manage page has the rating form."""
    slot = db.session.get(Slot, booking.slot_id)
    _to_booking(MessageKind.feedback_invite, booking, texts.FEEDBACK_INVITE, _title(slot),
                slot.starts_at)


def bookings_cancelled(slot: Slot, bookings: Iterable[Booking], by: str) -> None:
    """The lab cancelled the slot (or its event): a citizen's own cancellation is not told."""
    if by == CancelledBy.citizen:
        return
    kind, msgid = ((MessageKind.event_cancelled, texts.EVENT_CANCELLED) if by == CancelledBy.event
                   else (MessageKind.slot_cancelled, texts.SLOT_CANCELLED))
    title, urgent = _title(slot), _same_day(slot.starts_at)
    for booking in bookings:
        _to_booking(kind, booking, msgid, title, slot.starts_at, urgent=urgent)


def slot_changed(slot: Slot, before: datetime) -> int:
    """Tell every active booking of ``slot`` that it moved from ``before`` to its ``starts_at``;
    call it inside the transaction that moves it. A change touching today is urgent (sent in
    quiet hours too). Returns how many were told."""
    if before == slot.starts_at:
        return 0
    active = db.session.execute(
        sa.select(Booking).where(Booking.slot_id == slot.id,
                                 Booking.status.in_((BookingStatus.confirmed,
                                                     BookingStatus.waitlisted)))
        .order_by(Booking.id)).scalars().all()
    title, urgent = _title(slot), _same_day(slot.starts_at, before)
    for booking in active:
        _to_booking(MessageKind.slot_changed, booking, texts.SLOT_CHANGED, title, slot.starts_at,
                    urgent=urgent, before=texts.when(booking.locale, before))
    return len(active)


# ---- reminders ----------------------------------------------------------------------------------

def _reminder_uid(phone: str, day) -> str:
    # Derived, not drawn: two workers (or two runs) queueing the same day's reminder for the same
    # phone collide on the unique uid instead of sending it twice.
    return "reminder-" + hashlib.sha256(f"{phone}|{day.isoformat()}".encode()).hexdigest()[:40]


# When each day's reminders last looked, in this process: the next pass reads only the phones with
# a booking made since (less a margin for transactions still open then), so the five-minute job
# does not re-read a whole national day of bookings each time. The first pass of each hour reads
# them all again, which catches what that misses (a slot moved to tomorrow, reminders switched
# back on); a phone already reminded is skipped by its uid either way.
_reminded_since: dict = {}
_MARGIN = timedelta(minutes=1)


def queue_reminders(now: datetime | None = None) -> int:
    """From OPENDAY_REMINDER_HOUR the day before, one reminder per phone for its confirmed
    bookings of tomorrow (not opted out, slot still open). Idempotent. Returns how many were
    queued now."""
    now = now or clock.now()
    local = clock.local(now)
    if local.hour < current_app.config["OPENDAY_REMINDER_HOUR"]:
        return 0
    day = local.date() + timedelta(days=1)
    start = clock.china_datetime(day, 0)
    key = (current_app.config["OPENDAY_DATABASE_URL"], day)
    since = None if local.minute < 5 else _reminded_since.get(key)
    # Phones with a booking made since the last pass, then all their bookings of that day.
    fresh = (sa.select(Booking.phone).join(Slot, Slot.id == Booking.slot_id)
             .where(Slot.starts_at >= start, Slot.starts_at < start + timedelta(days=1)))
    if since is not None:
        fresh = fresh.where(Booking.created_at >= since - _MARGIN)
    rows = db.session.execute(
        sa.select(Booking.id, Booking.phone, Booking.locale, Booking.code, Booking.manage_token,
                  Slot.starts_at, Event.title)
        .join(Slot, Slot.id == Booking.slot_id).join(Event, Event.id == Slot.event_id)
        .where(Slot.starts_at >= start, Slot.starts_at < start + timedelta(days=1),
               Slot.status == SlotStatus.open, Booking.status == BookingStatus.confirmed,
               Booking.reminders_off.is_(False), Booking.phone.in_(fresh))
        .order_by(Booking.phone, Slot.starts_at, Booking.id)).all()
    db.session.commit()
    by_phone: dict[str, list] = {}
    for row in rows:
        by_phone.setdefault(row.phone, []).append(row)
    if not by_phone:
        _reminded_since[key] = now
        return 0

    def work() -> int:
        uids = {phone: _reminder_uid(phone, day) for phone in by_phone}
        done = set(db.session.execute(
            sa.select(Message.uid).where(Message.uid.in_(list(uids.values())))).scalars())
        channel = Channel.sms if sms_gateway() else Channel.page
        queued = 0
        for phone, found in by_phone.items():
            if uids[phone] in done:
                continue
            first = found[0]
            locale = first.locale
            if len(found) == 1:
                body = texts.sms(locale, texts.REMINDER_ONE, title=first.title,
                                 link=public_url(f"/bookings/{first.manage_token}"),
                                 when=texts.when(locale, first.starts_at), code=first.code)
            else:
                body = texts.sms(locale, texts.REMINDER_MANY, title=first.title, n=len(found),
                                 when=texts.when(locale, first.starts_at))
            write(MessageKind.reminder, channel, e164(phone), body, locale=locale,
                  booking_id=first.id, uid=uids[phone])
            queued += 1
        return queued

    for _attempt in range(3):
        try:
            queued = write_transaction(work)
        except IntegrityError:
            continue  # another worker queued some at the same moment: the next pass skips them
        _reminded_since[key] = now
        return queued
    return 0


def set_reminders(booking: Booking, wanted: bool) -> None:
    booking_id = booking.id

    def work() -> None:
        db.session.execute(sa.update(Booking).where(Booking.id == booking_id)
                           .values(reminders_off=not wanted)
                           .execution_options(synchronize_session=False))

    write_transaction(work)


# ---- one-time links -----------------------------------------------------------------------------

def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_link(purpose: str, ttl: timedelta, phone: str | None = None,
              user_id: int | None = None) -> str:
    token = secrets.token_urlsafe(32)
    now = clock.now()
    db.session.add(OneTimeLink(purpose=purpose, token_hash=_hash(token), phone=phone,
                               user_id=user_id, created_at=now, expires_at=now + ttl))
    return token


def _valid_link(purpose: str, token: object, lock: bool = False) -> OneTimeLink | None:
    if not isinstance(token, str) or not 20 <= len(token) <= 64:
        return None
    query = sa.select(OneTimeLink).where(
        OneTimeLink.token_hash == _hash(token), OneTimeLink.purpose == purpose,
        OneTimeLink.used_at.is_(None), OneTimeLink.expires_at > clock.now())
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return db.session.execute(query).scalar_one_or_none()


def _active_bookings(phone: str):
    return db.session.execute(
        sa.select(Booking).join(Slot, Slot.id == Booking.slot_id)
        .where(Booking.phone == phone,
               Booking.status.in_((BookingStatus.confirmed, BookingStatus.waitlisted)),
               Slot.ends_at > clock.now())
        .order_by(Slot.starts_at, Booking.id)).scalars().all()


def request_lookup(raw_phone: object) -> None:
    """"Find my bookings": with a gateway, an SMS to that phone with a one-time link listing its
    bookings, if it has any. Says nothing either way (the caller shows one answer for all).
    Raises RuleError on the phone field for a number that is not one."""
    try:
        phone = normalise_phone(raw_phone)
    except ValueError:
        raise RuleError.on("phone", _("请填写有效的 11 位手机号。")) from None
    if not sms_gateway():
        return
    locale = request_locale()

    def work() -> None:
        if not _active_bookings(phone):
            return
        token = _new_link(LinkPurpose.lookup, LOOKUP_TTL, phone=phone)
        body = texts.sms(locale, texts.LOOKUP, link=public_url(f"/my-bookings/{token}"))
        # Asked for just now by the phone's holder: not held back by quiet hours.
        write(MessageKind.lookup, Channel.sms, e164(phone), body, locale=locale, urgent=True)

    write_transaction(work)


def open_lookup(token: object) -> list[Booking] | None:
    """The bookings a lookup link lists, using it up; None if it is unknown, used or expired."""
    def work() -> str | None:
        link = _valid_link(LinkPurpose.lookup, token, lock=True)
        if link is None:
            return None
        link.used_at = clock.now()
        return link.phone

    phone = write_transaction(work)
    return None if phone is None else list(_active_bookings(phone))


# ---- lab accounts' mail -------------------------------------------------------------------------

def _mail(kind: str, user, subject_id: str, body_id: str, locale: str | None = None,
          **variables) -> Message:
    subject = texts.SIGNATURE + texts.gettext(locale, subject_id)
    body = texts.gettext(locale, body_id, **variables)
    return write(kind, Channel.mail, user.email, body, subject=subject, locale=locale,
                 user_id=user.id, lab_id=user.lab_id)


def lab_reviewed(lab, action: str, reason: str | None = None) -> None:
    """Mail the lab's active users that it was approved or rejected (with the reason)."""
    from openday.accounts.models import User

    if action not in ("approve", "reject"):
        return
    users = db.session.execute(
        sa.select(User).where(User.lab_id == lab.id, User.active.is_(True))
        .order_by(User.id)).scalars().all()
    link = public_url("/login")
    for user in users:
        if action == "approve":
            _mail(MessageKind.lab_approved, user, texts.LAB_APPROVED_SUBJECT,
                  texts.LAB_APPROVED_BODY, lab=lab.name, link=link)
        else:
            _mail(MessageKind.lab_rejected, user, texts.LAB_REJECTED_SUBJECT,
                  texts.LAB_REJECTED_BODY, lab=lab.name, reason=reason or "", link=link)


def _reset_mail(user) -> None:
    token = _new_link(LinkPurpose.password_reset, RESET_TTL, user_id=user.id)
    _mail(MessageKind.password_reset, user, texts.RESET_SUBJECT, texts.RESET_BODY,
          locale=request_locale(), link=public_url(f"/password/reset/{token}"))


def request_password_reset(email: object) -> None:
    """Mail a one-time link (1 hour) to the active account with this email; nothing for an
    unknown one, and the caller says the same either way."""
    from openday.accounts.models import User

    if not isinstance(email, str) or not email.strip() or len(email) > 254:
        return
    address = email.strip().lower()

    def work() -> None:
        user = db.session.execute(
            sa.select(User).where(sa.func.lower(User.email) == address,
                                  User.active.is_(True))).scalar_one_or_none()
        if user is not None:
            _reset_mail(user)

    write_transaction(work)


def send_password_reset(user) -> None:
    """An admin's button: mail this user a reset link."""
    user_id = user.id

    def work() -> None:
        from openday.accounts.models import User
        _reset_mail(db.session.get(User, user_id))

    write_transaction(work)


def reset_link_user(token: object):
    """The user a reset link is for while it is still good (it is not used up by looking)."""
    from openday.accounts.models import User

    link = _valid_link(LinkPurpose.password_reset, token)
    return None if link is None else db.session.get(User, link.user_id)


def complete_password_reset(token: object, password: str) -> bool:
    """Set the new password and use the link up, ending every session of the account; False if
    the link is no longer good."""
    from openday.accounts.models import User

    def work() -> bool:
        link = _valid_link(LinkPurpose.password_reset, token, lock=True)
        if link is None:
            return False
        user = db.session.get(User, link.user_id)
        if user is None or not user.active:
            return False
        link.used_at = clock.now()
        user.set_password(password)
        user.end_sessions()
        return True

    return write_transaction(work)


def forget_campaign(campaign_id: int) -> None:
    """The PIPL purge of a campaign (SPEC §7), in its transaction: the messages about its bookings
    lose their phone number and text (which names the booking); that they were sent stays."""
    bookings_of = (sa.select(Booking.id).join(Slot, Slot.id == Booking.slot_id)
                   .where(Slot.campaign_id == campaign_id))
    db.session.execute(
        sa.update(Message).where(Message.booking_id.in_(bookings_of))
        .values(recipient=None, body="")
        .execution_options(synchronize_session=False))


# ---- reading ------------------------------------------------------------------------------------

def booking_messages(booking: Booking) -> list[Message]:
    """What was sent (or is to be sent) about this booking, oldest first."""
    return list(db.session.execute(
        sa.select(Message).where(Message.booking_id == booking.id)
        .order_by(Message.created_at, Message.id)).scalars())
