"""Campaigns as the admin manages them: create, edit, and switch which one is current."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from openday.accounts.service import AccountError
from openday.audit import service as audit
from openday.database import write_transaction_options
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


def _check(data: CampaignData, campaign: Campaign | None) -> None:
    if not 2000 <= data.year <= 2100:
        raise AccountError("year", _l("请填写有效的年份"))
    if data.edition < 1:
        raise AccountError("edition", _l("届次应为正整数"))
    if not (data.theme or "").strip() or len(data.theme.strip()) > 100:
        raise AccountError("theme", _l("请填写主题（100 字以内）"))
    if data.ends_on < data.starts_on:
        raise AccountError("ends_on", _l("结束日期不能早于开始日期"))
    if data.registration_closes_at <= data.registration_opens_at:
        raise AccountError("registration_closes_at", _l("报名截止时间应晚于报名开始时间"))
    clash = sa.select(Campaign.id).where(Campaign.year == data.year)
    if campaign is not None and campaign.id is not None:
        clash = clash.where(Campaign.id != campaign.id)
    if db.session.execute(clash).first():
        raise AccountError("year", _l("该年份的开放日已存在"))


def save_campaign(data: CampaignData, campaign: Campaign | None = None) -> Campaign:
    """Create (campaign None) or update a campaign, and make it current if asked, in one commit."""
    _check(data, campaign)
    db.session.commit()
    db.session.connection(execution_options=write_transaction_options())
    try:
        created = campaign is None
        if campaign is None:
            campaign = Campaign(is_current=False)
            db.session.add(campaign)
        campaign.year = data.year
        campaign.edition = data.edition
        campaign.theme = data.theme.strip()
        campaign.starts_on = data.starts_on
        campaign.ends_on = data.ends_on
        campaign.registration_opens_at = data.registration_opens_at
        campaign.registration_closes_at = data.registration_closes_at
        db.session.flush()
        audit.record("campaign.create" if created else "campaign.update", campaign,
                     reason=f"{campaign.year} #{campaign.edition}")
        if data.make_current:
            _switch_current(campaign)
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()
        raise AccountError("year", _l("保存失败：年份重复或另一位管理员刚刚修改了当前届次，请重试")) from None
    except Exception:
        db.session.rollback()
        raise
    return campaign


def make_current(campaign: Campaign) -> Campaign:
    """Make this campaign the one current campaign, in one transaction."""
    db.session.commit()
    db.session.connection(execution_options=write_transaction_options())
    try:
        _switch_current(campaign)
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()
        raise AccountError("is_current", _l("另一位管理员刚刚切换了当前届次，请刷新后重试")) from None
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
