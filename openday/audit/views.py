"""The audit log page: admins read every entry, regulators those in their scope."""
from __future__ import annotations

from flask import render_template, request

from openday.accounts.permissions import regulator_required
from openday.accounts.service import page_number
from openday.audit import service
from openday.audit.blueprint import bp
from openday.audit.forms import ACTION_LABELS, OBJECT_LABELS, AuditFilterForm


@bp.route("/regulator/audit")
@regulator_required
def index():
    form = AuditFilterForm(request.args)
    valid = form.validate()
    action = form.action.data if valid and form.action.data else None
    lab_id = form.lab.data if valid else None
    actor = (form.actor.data or None) if valid else None
    lab_name = (form.lab_name.data or None) if valid else None
    page = service.entries(action=action, lab_id=lab_id, actor=actor, lab_name=lab_name,
                           page=page_number(request.args.get("page")))
    query = {k: v for k, v in {"action": action, "lab": lab_id, "actor": actor,
                               "lab_name": lab_name}.items() if v}
    return render_template("audit/index.html", form=form, page=page, action=action,
                           lab_id=lab_id, query=query, action_labels=ACTION_LABELS,
                           object_labels=OBJECT_LABELS)
