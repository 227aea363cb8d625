"""Feedback pages: the visitor's form on the manage page, the lab's and the regulator's reading.

The manage page belongs to bookings, which imports nothing of feedback: this blueprint gives every
template ``feedback_section(booking, slot)``, which the manage page calls to show the form (or the
rating already given). Regulators' pages show aggregates and comments, never a name or phone."""
from __future__ import annotations

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup

from openday.accounts.permissions import approved_lab_required, regulator_required
from openday.bookings import service as bookings
from openday.bookings.ratelimit import token_guess_limit
from openday.core.db import Busy
from openday.core.errors import RuleError
from openday.core.forms import put_on_form
from openday.core.i18n import _
from openday.events.models import Slot
from openday.extensions import db
from openday.feedback import service
from openday.feedback.blueprint import bp
from openday.feedback.forms import FeedbackForm
from openday.stats import service as stats


def _section(booking, slot, form: FeedbackForm | None = None) -> Markup:
    given = service.feedback_of(booking.id)
    refusal = service.refusal(booking, slot) if given is None else None
    if given is None and refusal is not None:
        return Markup("")  # nothing to ask (yet, or any more)
    return Markup(render_template("feedback/_manage_section.html", booking=booking, given=given,
                                  form=form or FeedbackForm(formdata=None)))


@bp.app_context_processor
def feedback_helpers() -> dict:
    return {"feedback_section": _section}


@bp.post("/bookings/<token>/feedback")
@token_guess_limit
def leave(token: str):
    booking = bookings.find_by_token(token)
    if booking is None:
        abort(404)
    form = FeedbackForm()
    if form.validate_on_submit():
        try:
            service.leave_feedback(booking, form.rating.data, form.comment.data)
        except Busy:
            raise
        except RuleError as exc:
            if not exc.fields:  # refused as a whole (rated already, not checked in, too late)
                flash(str(exc), "warning")
                return redirect(url_for("bookings.manage", token=token) + "#feedback", 303)
            put_on_form(form, exc)
        else:
            flash(_("感谢您的评价！"), "success")
            return redirect(url_for("bookings.manage", token=token) + "#feedback", 303)
    slot = db.session.get(Slot, booking.slot_id)
    response = make_response(render_template(
        "feedback/retry.html", booking=booking, section=_section(booking, slot, form)), 422)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/lab/feedback")
@approved_lab_required
def lab_feedback():
    lab_id = current_user.lab_id
    return render_template("feedback/lab.html", ratings=service.lab_ratings(lab_id),
                           comments=service.lab_comments(lab_id))


@bp.get("/regulator/feedback")
@regulator_required
def regulator_feedback():
    scope = current_user.scope
    campaigns = stats.campaigns()
    year = request.args.get("campaign", type=int)
    campaign = next((c for c in campaigns if c.year == year), None)
    if campaign is None:
        try:
            campaign = stats.find_campaign()
        except stats.UnknownCampaign:
            campaign = None
    report = service.regulator_report(scope, campaign.id if campaign else None)
    return render_template("feedback/regulator.html", report=report, campaign=campaign,
                           campaigns=campaigns, scope=scope,
                           min_ratings=service.MIN_RATINGS_TO_RANK,
                           labs_listed=service.LABS_LISTED)
