"""Notices: what regulators announce, newest first.

A notice is national (``region_scope`` None) or for one province. A provincial regulator writes
and manages only its province's notices; a national regulator or an admin manages all of them;
a regulator with any other scope (a city, or none) manages none.
The body is Markdown (plain text is valid Markdown) rendered to HTML and then sanitised with nh3,
so whatever a regulator pastes, a reader's page never runs a script. A notice with a future
``published_at`` is scheduled: invisible to the public until then.
"""
from __future__ import annotations

from datetime import datetime

import markdown
import nh3
import sqlalchemy as sa
from markupsafe import Markup

from openday import clock
from openday.accounts.models import User
from openday.core.errors import RuleError
from openday.core.i18n import _l
from openday.extensions import db
from openday.geo.names import place_name
from openday.geo.service import get_region, province_of, provinces
from openday.notices.models import Notice

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


def latest_notices(limit: int = 5, region: str | None = None) -> list[Notice]:
    """Published notices, newest first. With ``region`` (any adcode): national notices and that
    province's only."""
    query = db.select(Notice).where(_published())
    if region:
        province = province_of(region)
        query = query.where(sa.or_(Notice.region_scope.is_(None),
                                   Notice.region_scope == (province.adcode if province else None)))
    return list(db.session.execute(
        query.order_by(Notice.published_at.desc(), Notice.id.desc()).limit(limit)).scalars())


def published_notice(notice_id: int) -> Notice | None:
    """A notice the public may read (None when missing or still scheduled)."""
    notice = db.session.get(Notice, notice_id)
    if notice is None or notice.published_at > clock.now():
        return None
    return notice


def is_scheduled(notice: Notice) -> bool:
    return notice.published_at > clock.now()


# ---- who manages what --------------------------------------------------------------------------

def can_manage(user: User, notice: Notice) -> bool:
    scope = user.scope
    return scope.national or (bool(notice.region_scope) and scope.covers(notice.region_scope))


def manageable_notices(user: User, limit: int | None = None) -> list[Notice]:
    """The notices a regulator may edit, latest publish time first (scheduled ones lead)."""
    scope = user.scope
    if scope.empty:
        return []
    query = (db.select(Notice).where(scope.condition(Notice.region_scope))
             .order_by(Notice.published_at.desc(), Notice.id.desc()))
    return list(db.session.execute(query.limit(limit) if limit else query).scalars())


def scope_choices(user: User) -> list[tuple[str, str]]:
    """Region scopes a regulator may publish to: "" is national. Notices are national or for a
    province, so a city's regulator (or one without a scope) has none."""
    scope = user.scope
    if scope.national:
        return [("", _l("全国"))] + [(p.adcode, p.name) for p in provinces()]
    if scope.level != "province":
        return []
    region = get_region(scope.adcode)
    return [(scope.adcode, region.name if region else scope.adcode)]


def region_name(notice: Notice) -> str | None:
    if not notice.region_scope:
        return None
    return place_name(notice.region_scope)  # in the reader's language; an unknown code as is


# ---- changes -----------------------------------------------------------------------------------

def save_notice(notice: Notice | None, author: User, *, title: str, body: str,
                region_scope: str | None, published_at: datetime | None) -> Notice:
    """Create (``notice`` None) or update a notice; a missing publish time means now for a new
    notice and unchanged for an existing one. RuleError (403) when ``region_scope`` is not one of
    the author's scope: national notices are for a national scope only."""
    scope = author.scope
    if not (scope.national or (region_scope and scope.covers(region_scope))):
        raise RuleError.on("region_scope", _l("不能发布到您的监管范围以外"), code="forbidden",
                           status=403)
    if notice is None:
        notice = Notice(author_id=author.id)
        db.session.add(notice)
        notice.published_at = published_at or clock.now()
    elif published_at is not None:
        notice.published_at = published_at
    notice.title = title.strip()
    notice.body = body.strip()
    notice.region_scope = region_scope or None
    db.session.commit()
    return notice


def delete_notice(notice: Notice) -> None:
    db.session.delete(notice)
    db.session.commit()
