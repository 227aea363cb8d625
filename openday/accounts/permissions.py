"""One place for who may do what (SPEC §2). Every view asks here."""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import abort
from flask_login import current_user, login_required

from openday.accounts.models import Role


def role_required(*roles: str) -> Callable:
    """Anonymous users go to the login page; a logged-in user of another role gets 403."""
    def decorator(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)
        return wrapped
    return decorator


lab_staff_required = role_required(Role.lab)
regulator_required = role_required(Role.regulator, Role.admin)
admin_required = role_required(Role.admin)


def approved_lab_required(view: Callable) -> Callable:
    """Lab staff whose lab is approved (now, not once): only they change events and slots, read
    rosters with full phones and check people in (SPEC §2). A pending, rejected or suspended
    lab's staff get 403; ``lab_staff_required`` alone is for the pages that explain its status."""
    @wraps(view)
    @lab_staff_required
    def wrapped(*args, **kwargs):
        if not current_user.lab.is_approved:
            abort(403)
        return view(*args, **kwargs)
    return wrapped


def preparing_lab_required(view: Callable) -> Callable:
    """Lab staff whose lab is approved or still pending review: they prepare draft events and
    slots while they wait (publishing needs approval, ``events.service.save_event``). A
    suspended or rejected lab's staff get 403."""
    @wraps(view)
    @lab_staff_required
    def wrapped(*args, **kwargs):
        if not current_user.lab.may_prepare:
            abort(403)
        return view(*args, **kwargs)
    return wrapped


def own_lab_or_404(obj, lab_id_attr: str = "lab_id"):
    """Another lab's object answers exactly like a missing one (no IDOR oracle)."""
    if obj is None or getattr(obj, lab_id_attr) != current_user.lab_id:
        abort(404)
    return obj


def in_scope_or_404(obj, adcode_attr: str = "district_adcode"):
    """A regulator's view of an object outside its region answers like a missing one.
    ``adcode_attr`` names the object's finest adcode (a city scope covers districts, never a
    province column)."""
    if obj is None or not current_user.scope.covers(getattr(obj, adcode_attr)):
        abort(404)
    return obj
