"""Campaigns as the admin manages them: create, edit, and switch which one is current."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from openday.audit import service as audit
from openday.core.db import write_transaction
from openday.core.errors import RuleError
from openday.events.models import Campaign
from openday.extensions import db


@dataclass
class CampaignData:
    year: int
    edition: int
    theme: str
    starts_on: date
    ends_on: date
    registration_opens_at: datetime  # aware
    registration_closes_at: datetime  # aware
    make_current: bool = False


def new_campaign_defaults(today: date) -> dict:
    """What a new campaign's form starts with: this year, the open days 1–30 September."""
    return {"year": today.year, "starts_on": date(today.year, 9, 1),
            "ends_on": date(today.year, 9, 30)}


def _check(data: CampaignData, campaign: Campaign | None) -> None:
    if not 2000 <= data.year <= 2100:
        raise RuleError.on("year", _l("请填写有效的年份"))
    if data.edition < 1:
        raise RuleError.on("edition", _l("届次应为正整数"))
    if not (data.theme or "").strip() or len(data.theme.strip()) > 100:
        raise RuleError.on("theme", _l("请填写主题（100 字以内）"))
    if data.ends_on < data.starts_on:
        raise RuleError.on("ends_on", _l("结束日期不能早于开始日期"))
    if data.registration_closes_at <= data.registration_opens_at:
        raise RuleError.on("registration_closes_at", _l("报名截止时间应晚于报名开始时间"))
    clash = sa.select(Campaign.id).where(Campaign.year == data.year)
    if campaign is not None and campaign.id is not None:
        clash = clash.where(Campaign.id != campaign.id)
    if db.session.execute(clash).first():
        raise RuleError.on("year", _l("该年份的开放日已存在"))


def save_campaign(data: CampaignData, campaign: Campaign | None = None) -> Campaign:
    """Create (campaign None) or update a campaign, and make it current if asked, in one write
    transaction."""
    _check(data, campaign)
    campaign_id = campaign.id if campaign is not None else None

    def work() -> Campaign:
        saved = (Campaign(is_current=False) if campaign_id is None
                 else db.session.get(Campaign, campaign_id))
        if campaign_id is None:
            db.session.add(saved)
        saved.year = data.year
        saved.edition = data.edition
        saved.theme = data.theme.strip()
        saved.starts_on = data.starts_on
        saved.ends_on = data.ends_on
        saved.registration_opens_at = data.registration_opens_at
        saved.registration_closes_at = data.registration_closes_at
        db.session.flush()
        audit.record("campaign.create" if campaign_id is None else "campaign.update", saved,
                     reason=f"{saved.year} #{saved.edition}")
        if data.make_current:
            _switch_current(saved)
        return saved

    try:
        return write_transaction(work)
    except sa.exc.IntegrityError:
        raise RuleError.on("year", _l("保存失败：年份重复或另一位管理员刚刚修改了当前届次，请重试")) from None


def make_current(campaign: Campaign) -> Campaign:
    """Make this campaign the one current campaign, in one write transaction."""
    campaign_id = campaign.id
    try:
        write_transaction(lambda: _switch_current(db.session.get(Campaign, campaign_id)))
    except sa.exc.IntegrityError:
        raise RuleError.on("is_current", _l("另一位管理员刚刚切换了当前届次，请刷新后重试")) from None
    return campaign


def _switch_current(campaign: Campaign) -> None:
    # The partial unique index allows one current row at any moment, statement by statement:
    # clear the others first, then set this one (not the other way round, not in one flush).
    if not campaign.is_current:
        audit.record("campaign.make_current", campaign, reason=f"{campaign.year} #{campaign.edition}")
    db.session.execute(
        sa.update(Campaign).where(Campaign.is_current, Campaign.id != campaign.id)
        .values(is_current=False), execution_options={"synchronize_session": "fetch"})
    campaign.is_current = True
    db.session.flush()


def list_campaigns() -> list[Campaign]:
    return list(db.session.execute(sa.select(Campaign).order_by(Campaign.year.desc())).scalars())
