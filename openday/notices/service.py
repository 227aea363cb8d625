"""Notices (通知公告): what regulators announce, newest first.

A notice is national (``region_scope`` None), for one province or for one city. A regulator
writes and manages the notices of its own scope and those inside it (a province's regulator its
province's and its cities'; a national regulator or an admin all of them); a regulator without
a scope manages none. Its audience is the public (home page, /notices/, labs' dashboards) or
labs only (their dashboards, and a notice page that asks a lab's or a regulator's sign-in).
Attachments (``attachments.py``) are PDF, DOCX or XLSX files recognised by their content.
The body is Markdown (plain text is valid Markdown) rendered to HTML and then sanitised with nh3,
so whatever a regulator pastes, a reader's page never runs a script. A notice with a future
``published_at`` is scheduled: invisible to the public until then.
"""
from __future__ import annotations

from datetime import datetime

import markdown
import nh3
import sqlalchemy as sa
from flask import current_app
from markupsafe import Markup

from openday import clock
from openday.accounts.models import User
from openday.core.errors import RuleError
from openday.core.i18n import _l
from openday.extensions import db
from openday.geo.names import place_name
from openday.geo.service import children, city_of, get_region, province_of, provinces
from openday.notices import attachments
from openday.notices.models import Audience, Notice, NoticeAttachment

# What a notice may contain after rendering: text structure and links, nothing active, no images
# (CSP allows only our own images anyway), no style or class attributes.
ALLOWED_TAGS = {"p", "br", "hr", "strong", "em", "b", "i", "del", "code", "pre", "blockquote",
                "ul", "ol", "li", "a", "h2", "h3", "h4", "h5", "h6",
                "table", "thead", "tbody", "tr", "th", "td"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
URL_SCHEMES = {"http", "https", "mailto"}
MARKDOWN_EXTENSIONS = ["extra", "sane_lists", "nl2br"]


def render_body(body: str) -> Markup:
    """Markdown to HTML, then sanitised: the only way a notice body reaches a page."""
    html = markdown.markdown(body or "", extensions=MARKDOWN_EXTENSIONS, output_format="html")
    # A notice's own "# heading" becomes h1; the page already has one, so demote headings.
    html = html.replace("<h1>", "<h2>").replace("</h1>", "</h2>")
    return Markup(nh3.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
                            url_schemes=URL_SCHEMES, link_rel="noopener noreferrer nofollow"))


def _published():
    return Notice.published_at <= clock.now()


def _for_region(region: str):
    """National notices, and those of the province and of the city ``region`` lies in."""
    province = province_of(region)
    city = city_of(region)
    wanted = [code for code in (province.adcode if province else None,
                                city.adcode if city else None) if code]
    return sa.or_(Notice.region_scope.is_(None), Notice.region_scope.in_(wanted))


def latest_notices(limit: int = 5, region: str | None = None,
                   audiences: tuple[str, ...] = (Audience.public,)) -> list[Notice]:
    """Published notices for ``audiences`` (the public's by default), newest first. With
    ``region`` (any adcode): national notices and that province's and city's only."""
    query = db.select(Notice).where(_published(), Notice.audience.in_(audiences))
    if region:
        query = query.where(_for_region(region))
    return list(db.session.execute(
        query.order_by(Notice.published_at.desc(), Notice.id.desc()).limit(limit)).scalars())


def lab_notices(lab, limit: int = 5) -> list[Notice]:
    """What a lab's dashboard shows: the public's and the labs' notices for its region."""
    return latest_notices(limit, lab.district_adcode, (Audience.public, Audience.labs))


def may_read(notice: Notice, user) -> bool:
    """Whether ``user`` (possibly anonymous) may read a published notice: a public one anyone,
    a labs-only one a signed-in lab, regulator or admin."""
    if notice.audience == Audience.public:
        return True
    return bool(getattr(user, "is_authenticated", False)) and user.role in (
        "lab", "regulator", "admin")


def published_notice(notice_id: int, user=None) -> Notice | None:
    """A notice ``user`` may read (None when missing, still scheduled or not for them)."""
    notice = db.session.get(Notice, notice_id)
    if notice is None or notice.published_at > clock.now() or not may_read(notice, user):
        return None
    return notice


def is_scheduled(notice: Notice) -> bool:
    return notice.published_at > clock.now()


# ---- who manages what --------------------------------------------------------------------------

def can_manage(user: User, notice: Notice) -> bool:
    scope = user.scope
    return scope.national or (bool(notice.region_scope) and _inside(scope, notice.region_scope))


def _inside(scope, region_scope: str) -> bool:
    """Whether a notice's region (a province PP0000 or a city PPCC00) lies within ``scope``: a
    province's notice is not inside one of its cities' scopes."""
    if scope.level == "city":
        return region_scope == scope.adcode
    return scope.covers(region_scope)


def manageable_notices(user: User, limit: int | None = None) -> list[Notice]:
    """The notices a regulator may edit, latest publish time first (scheduled ones lead)."""
    scope = user.scope
    if scope.empty:
        return []
    where = (Notice.region_scope == scope.adcode if scope.level == "city"
             else scope.condition(Notice.region_scope))
    query = (db.select(Notice).where(where)
             .order_by(Notice.published_at.desc(), Notice.id.desc()))
    return list(db.session.execute(query.limit(limit) if limit else query).scalars())


def scope_choices(user: User) -> list[tuple[str, str]]:
    """Region scopes a regulator may publish to: "" is national; a province's regulator its
    province or one of its cities; a city's its city; one without a scope none."""
    scope = user.scope
    if scope.national:
        return [("", _l("全国"))] + [(p.adcode, p.name) for p in provinces()]
    region = get_region(scope.adcode or "")
    if region is None:
        return []
    own = [(scope.adcode, region.name)]
    if scope.level == "province":
        own += [(c.adcode, f"{region.name} · {c.name}") for c in children(scope.adcode)
                if c.adcode != scope.adcode]
    return own


def region_name(notice: Notice) -> str | None:
    if not notice.region_scope:
        return None
    return place_name(notice.region_scope)  # in the reader's language; an unknown code as is


# ---- changes -----------------------------------------------------------------------------------

def check_uploads(files, existing: int = 0) -> list[attachments.Upload]:
    """``files`` ((filename, bytes) pairs) checked, or RuleError on "attachments"."""
    limit = current_app.config["OPENDAY_ATTACHMENTS_PER_NOTICE"]
    if existing + len(files) > limit:
        raise RuleError.on("attachments", _l("每条通知最多 %(n)s 个附件。", n=limit))
    return [attachments.check(name, data) for name, data in files]


def save_notice(notice: Notice | None, author: User, *, title: str, body: str,
                region_scope: str | None, published_at: datetime | None,
                audience: str = Audience.public, files=(), remove: tuple[int, ...] = ()) -> Notice:
    """Create (``notice`` None) or update a notice; a missing publish time means now for a new
    notice and unchanged for an existing one. ``files`` are new attachments ((filename, bytes)
    pairs), ``remove`` ids of its attachments to delete. RuleError (403) when ``region_scope``
    is not one of the author's scope: national notices are for a national scope only; a bad
    attachment is a RuleError on "attachments", and nothing is saved."""
    scope = author.scope
    if not (scope.national or (region_scope and _inside(scope, region_scope))):
        raise RuleError.on("region_scope", _l("不能发布到您的监管范围以外"), code="forbidden",
                           status=403)
    if audience not in Audience.__members__:
        raise RuleError.on("audience", _l("请选择通知对象"))
    kept = [a for a in (notice.attachments if notice is not None else []) if a.id not in remove]
    uploads = check_uploads(list(files), len(kept))
    stored = [attachments.store(upload) for upload in uploads]
    try:
        notice = _write(notice, author, title, body, region_scope, published_at, audience,
                        uploads, stored, remove)
    except Exception:
        db.session.rollback()
        for name in stored:
            attachments.remove(name)
        raise
    return notice


def _write(notice, author, title, body, region_scope, published_at, audience, uploads, stored,
           remove) -> Notice:
    if notice is None:
        notice = Notice(author_id=author.id)
        db.session.add(notice)
        notice.published_at = published_at or clock.now()
    elif published_at is not None:
        notice.published_at = published_at
    notice.title = title.strip()
    notice.body = body.strip()
    notice.region_scope = region_scope or None
    notice.audience = audience
    gone = [a for a in notice.attachments if a.id in remove]
    for attachment in gone:
        notice.attachments.remove(attachment)
    for upload, name in zip(uploads, stored):
        notice.attachments.append(NoticeAttachment(
            filename=upload.filename, kind=upload.kind, size=len(upload.data),
            sha256=upload.sha256, stored_name=name))
    db.session.commit()
    for attachment in gone:  # after the commit: a failed save keeps its files
        attachments.remove(attachment.stored_name)
    return notice


def delete_notice(notice: Notice) -> None:
    names = [a.stored_name for a in notice.attachments]
    db.session.delete(notice)
    db.session.commit()
    for name in names:
        attachments.remove(name)


def attachment_for(notice_id: int, attachment_id: int, user) -> NoticeAttachment | None:
    """An attachment ``user`` may download: its notice readable by them, or managed by them."""
    attachment = db.session.get(NoticeAttachment, attachment_id)
    if attachment is None or attachment.notice_id != notice_id:
        return None
    notice = attachment.notice
    if published_notice(notice.id, user) is not None:
        return attachment
    if getattr(user, "is_authenticated", False) and user.role in ("regulator", "admin") \
            and can_manage(user, notice):
        return attachment
    return None
