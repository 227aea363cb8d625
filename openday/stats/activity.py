"""Who took part and who did not: the tables a bureau phones through and the league tables.

* *Inactive labs*: approved labs in a scope (by the lab's own district) with no published event
  in the campaign. A cancelled event counts as published-then-withdrawn, so it is no activity
  either; a draft is not published.
* *Events nobody booked*: published events of the campaign in scope whose slots hold no
  confirmed and no waitlisted booking.
* *League tables*: the figures of ``service`` per lab (one aggregate query over Slot grouped by
  lab), ranked by the reader's measure.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from openday.core.i18n import N_
from openday.core.scope import Scope
from openday.events.models import Event, EventStatus, Slot
from openday.extensions import db
from openday.geo.service import get_region
from openday.labs.models import Lab, LabStatus
from openday.stats import service
from openday.stats.service import CampaignInfo, Group

# Orders a reader may sort the inactive labs by: column → SQL order.
INACTIVE_SORTS = {
    "name": (Lab.name, Lab.id),
    "city": (Lab.city_adcode, Lab.name, Lab.id),
    "approved": (Lab.reviewed_at, Lab.id),
    "registered": (Lab.created_at, Lab.id),
}
INACTIVE_COLUMNS = {
    "name": N_("机构名称"), "city": N_("城市"), "contact_name": N_("联系人"),
    "contact_phone": N_("联系电话"), "contact_email": N_("联系邮箱"), "approved": N_("通过审核时间"),
}


@dataclass(frozen=True)
class InactiveLab:
    id: int
    name: str
    city_adcode: str
    contact_name: str
    contact_phone: str
    contact_email: str
    approved_at: datetime | None

    @property
    def city(self) -> str:
        region = get_region(self.city_adcode)
        return region.name if region else self.city_adcode


def _published_in(campaign: CampaignInfo):
    return (sa.select(Event.id).where(Event.lab_id == Lab.id, Event.campaign_id == campaign.id,
                                      Event.status.in_((EventStatus.published,)))
            .exists())


def inactive_labs(campaign: CampaignInfo, scope: Scope, sort: str = "city",
                  descending: bool = False) -> list[InactiveLab]:
    """Approved labs in ``scope`` with no published event in ``campaign``: one query."""
    order = INACTIVE_SORTS.get(sort, INACTIVE_SORTS["city"])
    query = (sa.select(Lab.id, Lab.name, Lab.city_adcode, Lab.contact_name, Lab.contact_phone,
                       Lab.contact_email, Lab.reviewed_at)
             .where(Lab.status == LabStatus.approved, scope.condition(Lab.district_adcode),
                    ~_published_in(campaign))
             .order_by(*(c.desc() if descending else c for c in order)))
    return [InactiveLab(*row) for row in db.session.execute(query)]


@dataclass(frozen=True)
class IdleEvent:
    id: int
    title: str
    kind: str
    lab_id: int
    lab_name: str
    city_adcode: str
    contact_name: str
    contact_phone: str
    slots: int
    capacity: int

    @property
    def city(self) -> str:
        region = get_region(self.city_adcode)
        return region.name if region else self.city_adcode


def unbooked_events(campaign: CampaignInfo, scope: Scope) -> list[IdleEvent]:
    """Published events of ``campaign`` in ``scope`` (by venue city) with no booking at all."""
    booked = sa.func.coalesce(sa.func.sum(Slot.confirmed_count + Slot.waitlisted_count), 0)
    query = (sa.select(Event.id, Event.title, Event.kind, Lab.id, Lab.name, Event.city_adcode,
                       Lab.contact_name, Lab.contact_phone, sa.func.count(Slot.id),
                       sa.func.coalesce(sa.func.sum(Slot.capacity), 0))
             .join(Lab, Lab.id == Event.lab_id)
             .outerjoin(Slot, Slot.event_id == Event.id)
             .where(Event.campaign_id == campaign.id, Event.status == EventStatus.published,
                    scope.condition(Event.district_adcode))
             .group_by(Event.id, Event.title, Event.kind, Lab.id, Lab.name, Event.city_adcode,
                       Lab.contact_name, Lab.contact_phone)
             .having(booked == 0)
             .order_by(Event.city_adcode, Lab.name, Event.id))
    return [IdleEvent(*row) for row in db.session.execute(query)]


def by_lab(campaign: CampaignInfo, scope: Scope, kind: str | None = None,
           measure: str = service.DEFAULT_MEASURE) -> list[Group]:
    """Every lab's figures in ``scope`` (by venue city, as the totals), best first by
    ``measure``: one aggregate query grouped by lab, the labs' names read in a second."""
    query = (sa.select(Slot.lab_id.label("key"), *service._aggregates())
             .where(Slot.campaign_id == campaign.id))
    if not scope.national:
        query = query.where(scope.condition(Slot.city_adcode))
    if kind:
        query = query.where(Slot.kind == kind)
    rows = list(db.session.execute(query.group_by(Slot.lab_id)))
    names = {lab_id: name for lab_id, name in db.session.execute(
        sa.select(Lab.id, Lab.name).where(Lab.id.in_([row.key for row in rows])))}
    groups = [service._figures(row, Group, key=str(row.key), name=names.get(row.key, ""))
              for row in rows if any(getattr(row, f) for f in service._SHOWN)]
    groups.sort(key=lambda g: (-g.value(measure), g.name))
    return groups


def ranked(groups: list[Group], measure: str) -> list[Group]:
    """Groups best first by ``measure`` (ties by name): a league table."""
    return sorted(groups, key=lambda g: (-g.value(measure), g.name))
