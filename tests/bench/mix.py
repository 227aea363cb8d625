"""The campaign-day mix: what `make bench` asks of openday besides its single hot URLs.

A list of reader URLs is drawn once per run from the generated data, in the proportions of
``READERS`` (also in the README's Performance section), and written to a file that mix.lua
walks, each wrk connection from its own place, so that no single cache key answers the run:

- searches over the ~300 prefecture-level cities that have slots (their names as a citizen
  types them), some with a kind, some with a keyword, some asking for page 2;
- a slot's booking page (``GET /slots/<id>/book``, the page a citizen opens from a result),
  its event's page, and the API's slot list and single slot;
- city look-ups (``/api/v1/cities?q=``) with the first characters of a city's name.

With ``MIX_WRITE_EVERY=N`` every Nth request of a connection is a booking through the API
(``POST /api/v1/slots/<id>/bookings``, a phone never used before) on one of ``writer_slots``.
"""
from __future__ import annotations

import random
import urllib.parse
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

# Shares of the readers' requests, in per cent (they add up to 100).
READERS = {
    "search city": 30,
    "search city + kind": 8,
    "search city + keyword": 5,
    "search city, page 2": 5,
    "booking page": 15,
    "event page": 12,
    "API slot list": 8,
    "API one slot": 12,
    "API city look-up": 5,
}
WRITE_EVERY = 21  # with bookings: one writer request per 20 readers
KEYWORDS = ("食品", "环境", "计量", "水质", "材料", "检测", "开放", "实验室")
KINDS = ("tour", "lecture", "free_testing", "quiz", "training")
URLS = 4000
SAMPLE_SLOTS = 1500

assert sum(READERS.values()) == 100


@dataclass
class Mix:
    urls: list[str]
    kinds: list[str]        # READERS key of each URL, same order
    writer_slots: list[int]
    cities: int


def _q(value: str) -> str:
    return urllib.parse.quote(value)


def build(app, exclude_slots: list[int], seed: int = 15) -> Mix:
    """Reader URLs and writer slots drawn from the database behind ``app``."""
    from openday import clock
    from openday.events.models import Slot
    from openday.extensions import db
    from openday.geo import service as geo

    rng = random.Random(seed)
    with app.app_context():
        now = clock.now()
        future = (Slot.listed, Slot.starts_at > now + timedelta(hours=6))
        counts = db.session.execute(sa.select(Slot.city_adcode, sa.func.count())
                                    .where(*future).group_by(Slot.city_adcode)).all()
        cities = [geo.get_region(code) for code, _n in sorted(counts)]
        cities = [c for c in cities if c is not None][:300]
        # A random sample of listed slots (every slot id is below the largest one).
        top = db.session.execute(sa.select(sa.func.max(Slot.id))).scalar_one()
        candidates = rng.sample(range(1, top + 1), min(top, SAMPLE_SLOTS * 6))
        rows = db.session.execute(sa.select(Slot.id, Slot.event_id, Slot.booking_closes_at)
                                  .where(Slot.id.in_(candidates), *future)).all()
        db.session.remove()
        db.engine.dispose()
    rows = rows[:SAMPLE_SLOTS]
    slots = [r.id for r in rows]
    writer_slots = [r.id for r in rows if r.booking_closes_at is None and r.id not in exclude_slots][:300]

    def city_name() -> str:
        return rng.choice(cities).name

    makers = {
        "search city": lambda: f"/search?city={_q(city_name())}",
        "search city + kind": lambda: f"/search?city={_q(city_name())}&kind={rng.choice(KINDS)}",
        "search city + keyword": lambda: f"/search?city={_q(city_name())}&q={_q(rng.choice(KEYWORDS))}",
        "search city, page 2": lambda: f"/search?city={_q(city_name())}&page=2",
        "booking page": lambda: f"/slots/{rng.choice(slots)}/book",
        "event page": lambda: f"/events/{rng.choice(rows).event_id}",
        "API slot list": lambda: f"/api/v1/slots?city={_q(city_name())}",
        "API one slot": lambda: f"/api/v1/slots/{rng.choice(slots)}",
        "API city look-up": lambda: f"/api/v1/cities?q={_q(city_name()[:rng.choice((1, 2, 2, 3))])}",
    }
    kinds = [kind for kind, share in READERS.items() for _ in range(share * URLS // 100)]
    rng.shuffle(kinds)
    return Mix([makers[kind]() for kind in kinds], kinds, writer_slots, len(cities))


def write(mix: Mix, directory: Path) -> dict[str, str]:
    """The files mix.lua reads; returns its environment."""
    directory.mkdir(parents=True, exist_ok=True)
    urls = directory / "mix-urls.txt"
    urls.write_text("\n".join(mix.urls) + "\n")
    return {"MIX_URLS": str(urls), "MIX_WRITE_SLOTS": ",".join(map(str, mix.writer_slots))}
