"""The five kinds of event (SPEC §1) and their names: one table for forms, pages, stats and commands.

The names are Chinese msgids. Pages want a name in the reader's language now; form classes are
built at import, before any request, so they take lazy strings; commands and benchmarks run
outside requests, where the Chinese msgid itself is the name.
"""
from __future__ import annotations

from flask import has_request_context
from flask_babel import lazy_gettext
from markupsafe import Markup

from openday.core.i18n import catalogue
from openday.events.models import EventKind


def N_(msgid: str) -> str:
    """Marks a msgid for extraction (a Babel default keyword); translated where it is shown."""
    return msgid


KIND_NAMES: dict[str, str] = {
    EventKind.tour: N_("实地参观"),
    EventKind.lecture: N_("科普讲座"),
    EventKind.free_testing: N_("便民检测"),
    EventKind.quiz: N_("知识问答"),
    EventKind.training: N_("技术培训"),
}


def kind_name(kind: str) -> str:
    """The kind's name in the reader's language (the msgid outside a request); an unknown code
    is shown as it is."""
    msgid = KIND_NAMES.get(kind)
    if msgid is None:
        return str(kind)
    return catalogue().ugettext(msgid) if has_request_context() else msgid


def kind_badge(kind: str) -> Markup:
    """The kind as a coloured badge (a template global: a result list shows one per card)."""
    return Markup('<span class="badge kind-badge kind-{}">{}</span>').format(kind, kind_name(kind))


def kind_choices() -> list[tuple[str, str]]:
    """(code, name) in the campaign's order, translated now."""
    return [(str(code), kind_name(code)) for code in KIND_NAMES]


def lazy_kind_choices() -> list[tuple[str, object]]:
    """(code, lazy name) for form classes, which are built before any request."""
    return [(str(code), lazy_gettext(msgid)) for code, msgid in KIND_NAMES.items()]
