"""Writing and reading the audit log.

``record`` adds an entry to the current session and does not commit: the caller calls it inside
the transaction of the change it records, before that transaction commits, so the change and
its entry are stored together or not at all.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import has_request_context
from flask_login import current_user

from openday.audit.models import AuditEntry
from openday.extensions import db

# Every action code the log holds: stable (filters and outside readers match on them).
ACTIONS = (
    "lab.approve", "lab.reject", "lab.suspend", "lab.reinstate",
    "event.create", "event.update", "event.cancel",
    "slot.create", "slot.update", "slot.cancel", "slot.delete",
    "slot.reschedule", "event.duplicate", "slot.walk_ins",
    "booking.check_in", "booking.check_in_undo", "booking.check_in_correct", "roster.export",
    "user.create", "user.deactivate", "user.reactivate", "user.remove", "user.password_change",
    "campaign.create", "campaign.update", "campaign.make_current",
)


@dataclass(frozen=True)
class Target:
    """What an entry is about: an object's type and id, and the lab and region it belongs to."""

    type: str
    id: int | None
    lab_id: int | None = None
    adcode: str | None = None


def _province(adcode: str | None) -> str | None:
    return adcode[:2] + "0000" if adcode and len(adcode) == 6 else None


def target(obj: Any) -> Target:
    """The Target of a lab, event, slot, booking, user or campaign (read from its columns; a
    booking's slot and a lab user's lab are loaded if they are not yet)."""
    kind = obj.__tablename__
    if kind == "lab":
        return Target("lab", obj.id, obj.id, obj.district_adcode)
    if kind == "event":
        return Target("event", obj.id, obj.lab_id, obj.district_adcode)
    if kind == "slot":
        return Target("slot", obj.id, obj.lab_id, obj.city_adcode)
    if kind == "booking":
        return Target("booking", obj.id, obj.slot.lab_id, obj.slot.city_adcode)
    if kind == "user":
        if obj.lab is not None:
            return Target("user", obj.id, obj.lab_id, obj.lab.district_adcode)
        return Target("user", obj.id, None, obj.region_scope)  # a regulator: its scope
    if kind == "campaign":
        return Target("campaign", obj.id)
    raise TypeError(f"no audit target for {obj!r}")


def record(action: str, obj: Any, *, reason: str | None = "", actor: Any = None) -> AuditEntry:
    """Add an entry for ``action`` on ``obj`` (a model object, or a Target worked out before the
    transaction) to the current session. ``actor`` defaults to the signed-in user; outside a
    request (a command) it is nobody. ``reason``: what the actor typed, or a short summary of
    the change; never a citizen's name or phone."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    where = obj if isinstance(obj, Target) else target(obj)
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user
    entry = AuditEntry(
        action=action, object_type=where.type, object_id=where.id, lab_id=where.lab_id,
        adcode=where.adcode, province_adcode=_province(where.adcode),
        actor_id=actor.id if actor is not None else None,
        actor_email=actor.email if actor is not None else "",
        actor_role=actor.role if actor is not None else "",
        reason=(reason or "").strip()[:500])
    db.session.add(entry)
    return entry


def changes(pairs: dict[str, tuple[Any, Any]]) -> str:
    """"capacity 6 → 12; max_party 4 → 6" for the pairs that differ (field names, not labels:
    the log reads the same in every language)."""
    return "; ".join(f"{name} {'—' if old is None else old} → {'—' if new is None else new}"
                     for name, (old, new) in pairs.items() if old != new)


# ---- reading -------------------------------------------------------------------------------------

def visible_condition() -> sa.ColumnElement[bool]:
    """Entries the signed-in user may read: an admin all of them; a regulator those whose region
    its scope covers (``User.scope``), never the ones without a region (users and campaigns are
    admin business); anyone else, or a regulator without a scope, none."""
    from openday.accounts.models import Role

    scope = current_user.scope
    in_scope = scope.condition(AuditEntry.adcode)  # the finest adcode: a city scope works too
    if current_user.role == Role.admin:
        return in_scope
    if scope.province:
        # Implied by the range, stated so that the (province_adcode, id) index serves the page.
        in_scope = sa.and_(in_scope, AuditEntry.province_adcode == scope.province)
    return sa.and_(in_scope, AuditEntry.adcode.is_not(None))


def entries(*, action: str | None = None, lab_id: int | None = None, page: int = 1,
            per_page: int = 50, actor: str | None = None, lab_name: str | None = None):
    """A page of the entries the signed-in user may read, newest first, each with its lab;
    filtered by action, lab (its id, or part of its name) and actor (part of the email)."""
    from sqlalchemy.orm import joinedload

    from openday.accounts.service import contains
    from openday.labs.models import Lab

    query = (sa.select(AuditEntry).options(joinedload(AuditEntry.lab))
             .where(visible_condition()).order_by(AuditEntry.id.desc()))
    if action:
        query = query.where(AuditEntry.action == action)
    if lab_id:
        query = query.where(AuditEntry.lab_id == lab_id)
    if lab_name:
        query = query.where(AuditEntry.lab_id.in_(
            sa.select(Lab.id).where(contains(Lab.name, lab_name))))
    if actor:
        query = query.where(contains(AuditEntry.actor_email, actor))
    return db.paginate(query, page=page, per_page=per_page, error_out=False)
