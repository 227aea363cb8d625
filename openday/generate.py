"""`flask --app wsgi openday generate --labs N`: synthetic national-scale data for benchmarks.

Labs are spread over every province by population and over the cities of each province (the
capital weighs more), each with about 5 events of every kind and about 3 slots an event across
the current campaign's window; bookings fill the slots unevenly: some full with a waitlist, many
partly, some hardly at all, with a few cancellations along the way.

Speed comes from doing the work in Python and the writing in bulk: rows are plain dicts inserted
with Core ``executemany`` in chunks on one connection; ids are assigned here (so no RETURNING
round trips), and each slot's counters are computed from the very bookings written with it, by
the booking service's own rules (first fit, waitlist promoted in arrival order on a cancellation),
so ``openday check`` passes on the result.
"""
from __future__ import annotations

import itertools
import random
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, timedelta

import click
import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from openday import clock
from openday.accounts.models import Role, User, natural_key
from openday.bookings.models import Booking, BookingStatus, CancelledBy
from openday.bookings.service import CODE_ALPHABET, CODE_LENGTH
from openday.cli import openday_cli
from openday.demo import (EVENT_TEMPLATES, LAB_PATTERNS, ROADS, SLOT_TIMES, EventTemplate,
                          credit_code, districts_of, ensure_current_campaign, jitter, person_name)
from openday.events.models import (Campaign, Event, EventKind, EventStatus, Slot, SlotStatus,
                                   listed_rule)
from openday.extensions import UTCDateTime, db
from openday.geo import service as geo
from openday.geo.models import Region
from openday.labs.models import Lab, LabStatus

# Resident population by province, millions (7th national census, 2020), by adcode prefix.
PROVINCE_POPULATION = {
    "11": 21.9, "12": 13.9, "13": 74.6, "14": 34.9, "15": 24.0, "21": 42.6, "22": 24.1,
    "23": 31.9, "31": 24.9, "32": 84.7, "33": 64.6, "34": 61.0, "35": 41.5, "36": 45.2,
    "37": 101.5, "41": 99.4, "42": 57.8, "43": 66.4, "44": 126.0, "45": 50.1, "46": 10.1,
    "50": 32.1, "51": 83.7, "52": 38.6, "53": 47.2, "54": 3.6, "61": 39.5, "62": 25.0,
    "63": 5.9, "64": 7.2, "65": 25.9,
}
CAPITAL_WEIGHT = 4.0  # a province's capital (its first city) hosts more labs than the others

BRANDS = ("华测", "谱尼", "中检", "国检", "天祥", "正信", "博源", "中研", "安正", "诚信", "衡准",
          "通标", "必维", "精诚", "联合", "科正", "中联", "建科", "信达", "天健", "中科", "华科",
          "求实", "恒信", "金准", "环科", "绿源", "清源", "永信", "宏达")
COMPANY_TYPES = ("检测技术", "检验检测", "质检技术", "环境检测", "计量检测", "工程质量检测",
                 "食品检测", "检测认证", "分析测试", "材料检测")
COMPANY_FIELDS = {
    "检测技术": "food,environment,chemicals", "检验检测": "food,water,textiles",
    "质检技术": "electrical,textiles", "环境检测": "environment,water",
    "计量检测": "metrology,medical_devices", "工程质量检测": "building_materials",
    "食品检测": "food,agriculture", "检测认证": "electrical,chemicals,vehicles",
    "分析测试": "chemicals,water", "材料检测": "building_materials,chemicals",
}
KIND_WEIGHTS = {EventKind.tour: 30, EventKind.lecture: 25, EventKind.free_testing: 25,
                EventKind.quiz: 10, EventKind.training: 10}
PARTY_SIZES = (1, 2, 3, 4)
PARTY_WEIGHTS = (35, 35, 20, 10)
GENERATED_PASSWORD = "openday-generated"  # one shared hash: these accounts are for load only


@dataclass
class Counters:
    rows: int = 0
    labs: int = 0
    events: int = 0
    slots: int = 0
    bookings: int = 0


class Generator:
    """Builds rows chunk by chunk; ``ids`` continue after what the tables already hold."""

    def __init__(self, campaign: Campaign, seed: int, next_ids: dict[str, int], taken_codes: set[str],
                 password_hash: str) -> None:
        self.campaign = campaign
        self.rng = random.Random(seed)
        self.ids = next_ids
        self.codes = taken_codes
        self.password_hash = password_hash
        self.now = clock.now()
        self.counters = Counters()
        self.cities, weights = self._city_table()
        self.city_cumulative = list(itertools.accumulate(weights))
        self.templates = {kind: [t for t in EVENT_TEMPLATES if t.kind == kind] for kind in EventKind}
        self.days = [campaign.starts_on + timedelta(days=d)
                     for d in range((campaign.ends_on - campaign.starts_on).days + 1)]
        self.lab_names: set[str] = set()
        self.phone_serial = next_ids["booking"]

    # ---- geography ------------------------------------------------------------------------------
    @staticmethod
    def _city_table() -> tuple[list[Region], list[float]]:
        cities: list[Region] = []
        weights: list[float] = []
        for province in geo.provinces():
            kids = [c for c in geo.children(province.adcode) if c.level == "city"]
            if not kids:
                continue
            shares = [CAPITAL_WEIGHT] + [1.0] * (len(kids) - 1)
            total = sum(shares)
            population = PROVINCE_POPULATION.get(province.adcode[:2], 5.0)
            for city, share in zip(kids, shares):
                cities.append(city)
                weights.append(population * share / total)
        return cities, weights

    def _next_id(self, table: str) -> int:
        value = self.ids[table]
        self.ids[table] = value + 1
        return value

    # ---- labs -----------------------------------------------------------------------------------
    def _lab_name(self, city: Region, district: Region) -> tuple[str, str, str]:
        rng = self.rng
        for attempt in range(20):
            if rng.random() < 0.25:
                pattern, fields, authority = rng.choice(LAB_PATTERNS)
                name = pattern.format(p=geo.province_of(city.adcode).name, c=city.name)
            else:
                kind = rng.choice(COMPANY_TYPES)
                place = city.short_name if attempt < 10 else city.short_name + district.short_name
                name = f"{place}{rng.choice(BRANDS)}{kind}有限公司"
                fields, authority = COMPANY_FIELDS[kind], "91"
            if name not in self.lab_names:
                break
        else:
            name = f"{city.short_name}{district.short_name}第{len(self.lab_names)}检测站"
        self.lab_names.add(name)
        return name, fields, authority

    def lab_row(self) -> dict:
        rng = self.rng
        lab_id = self._next_id("lab")
        city = rng.choices(self.cities, cum_weights=self.city_cumulative)[0]
        district = rng.choice(districts_of(city))
        name, fields, authority = self._lab_name(city, district)
        lat, lon = jitter(rng, district.lat, district.lon, km=3)
        roll = rng.random()
        status = (LabStatus.pending if roll < 0.02 else LabStatus.suspended if roll < 0.025
                  else LabStatus.rejected if roll < 0.03 else LabStatus.approved)
        created = self.now - timedelta(days=rng.randrange(20, 900))
        return {
            "id": lab_id, "name": name,
            "credit_code": credit_code(city.adcode, 60_000_000 + lab_id, authority),
            "cma_number": f"{rng.randrange(2015, 2026)}{city.adcode[:2]}{lab_id % 1_000_000:06d}",
            "province_adcode": city.province_adcode, "city_adcode": city.adcode,
            "district_adcode": district.adcode,
            "address": f"{district.name}{rng.choice(ROADS)}{rng.randrange(1, 600)}号",
            "lat": lat, "lon": lon, "contact_name": person_name(rng),
            "contact_phone": f"1{rng.choice('3578')}{rng.randrange(10**9):09d}",
            "contact_email": f"contact{lab_id}@labs.example.cn", "testing_fields": fields,
            "status": status.value,
            "status_reason": "资质认定证书已过期" if status in (LabStatus.rejected, LabStatus.suspended) else None,
            "reviewed_at": None if status == LabStatus.pending else created + timedelta(days=3),
            "created_at": created,
        }

    def user_row(self, lab: dict) -> dict:
        email = f"lab{lab['id']}@labs.openday.test"
        return {"id": self._next_id("user"), "email": email, "email_sort": natural_key(email),
                "password_hash": self.password_hash, "name": lab["contact_name"], "role": Role.lab.value,
                "lab_id": lab["id"], "region_scope": None, "active": True, "session_generation": 0,
                "created_at": lab["created_at"],
                "last_login_at": None}

    # ---- events and slots -----------------------------------------------------------------------
    def event_row(self, lab: dict) -> dict:
        rng = self.rng
        kind = rng.choices(list(KIND_WEIGHTS), list(KIND_WEIGHTS.values()))[0]
        template: EventTemplate = rng.choice(self.templates[kind])
        roll = rng.random()
        status = (EventStatus.draft if roll < 0.03 else EventStatus.cancelled if roll < 0.05
                  else EventStatus.published)
        if template.venue_type == "lab":
            venue_name, address = lab["name"], lab["address"]
            district_adcode, lat, lon = lab["district_adcode"], lab["lat"], lab["lon"]
        else:
            district = rng.choice(districts_of(geo.get_region(lab["city_adcode"])))
            venue_name = f"{district.name}{template.venue_name}"
            address = f"{district.name}{rng.choice(ROADS)}{rng.randrange(1, 600)}号"
            district_adcode = district.adcode
            lat, lon = jitter(rng, district.lat, district.lon, km=3)
        title = template.title if rng.random() < 0.6 else f"{template.title}（{lab['name'][:2]}站）"
        created = self.now - timedelta(days=rng.randrange(1, 30))
        return {
            "id": self._next_id("event"), "lab_id": lab["id"], "campaign_id": self.campaign.id,
            "kind": kind.value, "title": title[:120], "summary": template.summary,
            "description": template.description, "venue_type": template.venue_type,
            "venue_name": venue_name[:120], "venue_address": address,
            "province_adcode": lab["province_adcode"], "city_adcode": lab["city_adcode"],
            "district_adcode": district_adcode, "lat": lat, "lon": lon, "point_exact": False,
            "audience": "public",
            "accessibility": "场地有无障碍通道" if rng.random() < 0.5 else "",
            "testing_items": template.testing_items, "what_to_bring": template.what_to_bring,
            "status": status.value,
            "cancel_reason": "场地调整，活动取消" if status == EventStatus.cancelled else None,
            "created_at": created, "updated_at": created,
        }

    def slot_rows(self, event: dict, lab_status: str = LabStatus.approved) -> list[dict]:
        rng = self.rng
        n = rng.choices((1, 2, 3, 4, 5), (10, 20, 40, 20, 10))[0]
        rows = []
        for day in sorted(rng.sample(self.days, min(n, len(self.days)))):
            hour, minute, minutes = rng.choice(SLOT_TIMES)
            starts_at = clock.china_datetime(day, hour, minute)
            capacity = rng.choice((10, 12, 15, 20, 20, 25, 30, 30, 30, 40, 40, 50, 60))
            status = SlotStatus.cancelled if rng.random() < 0.02 else SlotStatus.open
            listed = listed_rule(event["status"], status, lab_status)
            rows.append({
                "id": self._next_id("slot"), "event_id": event["id"], "starts_at": starts_at,
                "ends_at": starts_at + timedelta(minutes=minutes), "capacity": capacity,
                "max_party": min(4, capacity), "booking_closes_at": None, "status": status.value,
                "cancel_reason": "讲解人员临时调整" if status == SlotStatus.cancelled else None,
                "seats_taken": 0, "confirmed_count": 0, "waitlisted_count": 0,
                "waitlisted_people": 0, "checked_in_people": 0, "walk_ins": 0,
                "campaign_id": event["campaign_id"], "lab_id": event["lab_id"],
                "city_adcode": event["city_adcode"], "kind": event["kind"], "listed": listed,
                "mode": "first_come", "draw_at": None, "drawn_at": None, "draw_seed": None,
                "entries_sha256": None, "entered_count": 0, "draw_entries": 0, "draw_winners": 0,
                "rating_count": 0, "rating_sum": 0,
            })
        return rows

    # ---- bookings -------------------------------------------------------------------------------
    def _code(self) -> str:
        while True:
            bits = self.rng.getrandbits(5 * CODE_LENGTH)
            code = "".join(CODE_ALPHABET[(bits >> (5 * i)) & 31] for i in range(CODE_LENGTH))
            if code not in self.codes:
                self.codes.add(code)
                return code

    def _phone(self) -> str:
        """Unique, valid-format mobile numbers (13x–18x; benchmarks book with 19x): a bijection
        of a serial, so no phone reaches the daily cap and none repeats on a slot. In E.164, as
        the booking service stores them."""
        n = self.phone_serial
        self.phone_serial += 1
        return f"+861{3 + n % 6}{(n * 7919 + 123_456_789) % 10**9:09d}"

    def booking_rows(self, slot: dict) -> list[dict]:
        """Simulate the slot's arrivals with the booking service's rules and set its counters."""
        if not slot["listed"]:
            return []
        rng = self.rng
        capacity = slot["capacity"]
        roll = rng.random()
        if roll < 0.15:
            demand = capacity * rng.uniform(1.1, 1.8)   # popular: full, with a waitlist
        elif roll < 0.25:
            demand = capacity                            # just full
        elif roll < 0.75:
            demand = capacity * rng.uniform(0.1, 0.9)    # partly booked
        else:
            demand = capacity * rng.uniform(0.0, 0.1)    # hardly noticed yet
        registration = self.campaign.registration_opens_at
        span = max((min(self.now, slot["starts_at"]) - registration).total_seconds(), 60.0)
        moments = sorted(rng.uniform(0, span) for _ in range(int(demand) + 2))
        started = slot["starts_at"] <= self.now
        slot_day = clock.local(slot["starts_at"]).date()
        free = capacity
        asked = 0
        active: list[dict] = []
        rows: list[dict] = []
        for offset in moments:
            if asked >= demand:
                break
            party = min(rng.choices(PARTY_SIZES, PARTY_WEIGHTS)[0], slot["max_party"])
            asked += party
            at = registration + timedelta(seconds=offset)
            status = BookingStatus.confirmed if party <= free else BookingStatus.waitlisted
            if status == BookingStatus.confirmed:
                free -= party
            row = {
                "id": self._next_id("booking"), "slot_id": slot["id"], "code": self._code(),
                "manage_token": secrets.token_urlsafe(32), "name": person_name(rng),
                "phone": self._phone(), "party_size": party, "status": status.value,
                "slot_day": slot_day, "created_at": at, "consented_at": at, "checked_in_at": None,
                "arrived": None, "cancelled_at": None, "cancelled_by": None, "purged_at": None,
                "reminders_off": False,
            }
            rows.append(row)
            active.append(row)
            if rng.random() < 0.04 and len(active) > 1:  # someone cancels: seats go down the list
                gone = active.pop(rng.randrange(len(active) - 1))
                if gone["status"] == BookingStatus.confirmed:
                    free += gone["party_size"]
                gone.update(status=BookingStatus.cancelled.value, cancelled_at=at,
                            cancelled_by=CancelledBy.citizen.value)
                for waiting in active:
                    if waiting["status"] == BookingStatus.waitlisted and waiting["party_size"] <= free:
                        waiting["status"] = BookingStatus.confirmed.value
                        free -= waiting["party_size"]
        for row in rows:
            if row["status"] == BookingStatus.confirmed:
                slot["seats_taken"] += row["party_size"]
                slot["confirmed_count"] += 1
                if started and rng.random() < 0.8:
                    row["checked_in_at"] = slot["starts_at"] + timedelta(minutes=rng.randrange(-20, 10))
                    row["arrived"] = row["party_size"]
                    slot["checked_in_people"] += row["party_size"]
            elif row["status"] == BookingStatus.waitlisted:
                slot["waitlisted_count"] += 1
                slot["waitlisted_people"] += row["party_size"]
        if started:
            slot["walk_ins"] = rng.randrange(0, 8)
        return rows

    # ---- a chunk --------------------------------------------------------------------------------
    def chunk(self, n_labs: int) -> dict[str, list[dict]]:
        out: dict[str, list[dict]] = {"lab": [], "user": [], "event": [], "slot": [], "booking": []}
        for _ in range(n_labs):
            lab = self.lab_row()
            out["lab"].append(lab)
            out["user"].append(self.user_row(lab))
            if lab["status"] != LabStatus.approved:
                continue
            for _e in range(self.rng.choices((3, 4, 5, 6, 7), (15, 20, 30, 20, 15))[0]):
                event = self.event_row(lab)
                out["event"].append(event)
                for slot in self.slot_rows(event, lab["status"]):
                    out["booking"] += self.booking_rows(slot)
                    out["slot"].append(slot)
        return out


MODELS = {"lab": Lab, "user": User, "event": Event, "slot": Slot, "booking": Booking}
INSERT_BATCH = 5_000


def _core_writer(connection, table: sa.Table, rows: list[dict]) -> None:
    connection.execute(sa.insert(table), rows)


def _sqlite_value(column: sa.Column):
    """How a value of this column is stored in SQLite, as SQLAlchemy would bind it."""
    if isinstance(column.type, UTCDateTime):  # naive UTC text, the DateTime storage format
        return lambda v: None if v is None else (
            v.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds"))
    if isinstance(column.type, sa.Date):
        return lambda v: None if v is None else v.isoformat()
    if isinstance(column.type, sa.Boolean):
        return lambda v: None if v is None else int(v)
    return None


def _sqlite_writer(connection, table: sa.Table, rows: list[dict]) -> None:
    """Straight to the driver's executemany: on SQLite, SQLAlchemy's per-row statement and
    type handling costs more than the insert itself. Values are converted exactly as the
    column types would bind them (checked by tests/data/test_generate.py)."""
    columns = [c.name for c in table.columns]
    sql = (f'INSERT INTO "{table.name}" ({", ".join(columns)}) '
           f'VALUES ({", ".join("?" * len(columns))})')
    converters = [(c.name, _sqlite_value(c)) for c in table.columns]
    connection.exec_driver_sql(sql, [
        tuple(row.get(name) if convert is None else convert(row.get(name)) for name, convert in converters)
        for row in rows])


def _next_ids(connection) -> dict[str, int]:
    return {name: (connection.execute(sa.select(sa.func.max(model.id))).scalar() or 0) + 1
            for name, model in MODELS.items()}


def _tune(connection, bulk: bool) -> None:
    """Bulk-load settings for this one connection, and back (it returns to the pool after)."""
    if connection.dialect.name == "sqlite":
        # PRAGMAs go straight to the driver, before SQLAlchemy's BEGIN: SQLite refuses to
        # change the sync level inside a transaction.
        raw = connection.connection.dbapi_connection
        if bulk:
            raw.execute("PRAGMA cache_size=-262144")  # 256 MB: index pages stay hot
            raw.execute("PRAGMA synchronous=OFF")     # synthetic data: a crash just reruns
        else:
            raw.execute("PRAGMA cache_size=-2000")
            raw.execute("PRAGMA synchronous=NORMAL")
    elif bulk:
        connection.exec_driver_sql("SET synchronous_commit = off")
        connection.commit()


def _finish(connection) -> None:
    if connection.dialect.name == "postgresql":
        for model in MODELS.values():  # ids were assigned here, so move the sequences on
            table = model.__table__.name
            connection.exec_driver_sql(
                f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                f"(SELECT COALESCE(MAX(id), 1) FROM \"{table}\"))")
        connection.exec_driver_sql("SET synchronous_commit = on")
        connection.commit()
    connection.exec_driver_sql("ANALYZE")  # fresh statistics for the planners
    connection.commit()
    _tune(connection, bulk=False)


def generate(labs: int, seed: int = 1, chunk_labs: int = 250, progress=None) -> Counters:
    """Insert ``labs`` labs with their events, slots and bookings into the current campaign."""
    campaign_id = ensure_current_campaign().id
    db.session.commit()  # and no read after it: an open SQLite snapshot would hide what we write
    password_hash = generate_password_hash(GENERATED_PASSWORD)
    with db.engine.connect() as connection:
        _tune(connection, bulk=True)
        campaign = connection.execute(sa.select(Campaign).where(Campaign.id == campaign_id)).one()
        taken = set(connection.execute(sa.select(Booking.code)).scalars())
        generator = Generator(campaign, seed, _next_ids(connection), taken, password_hash)
        connection.commit()
        done = 0
        write = _sqlite_writer if connection.dialect.name == "sqlite" else _core_writer
        while done < labs:
            n = min(chunk_labs, labs - done)
            rows = generator.chunk(n)
            for name in ("lab", "user", "event", "slot", "booking"):
                batch = rows[name]
                for start in range(0, len(batch), INSERT_BATCH):
                    write(connection, MODELS[name].__table__, batch[start:start + INSERT_BATCH])
                generator.counters.rows += len(batch)
            connection.commit()
            counters = generator.counters
            counters.labs += len(rows["lab"])
            counters.events += len(rows["event"])
            counters.slots += len(rows["slot"])
            counters.bookings += len(rows["booking"])
            done += n
            if progress is not None:
                progress(n)
        _finish(connection)
    return generator.counters


@openday_cli.command("generate")
@click.option("--labs", type=click.IntRange(1, 1_000_000), required=True, help="How many labs to add.")
@click.option("--seed", type=int, default=1, show_default=True, help="Seed of the synthetic content.")
def generate_command(labs: int, seed: int) -> None:
    """Synthetic national-scale data for benchmarks (about 5 events a lab, 3 slots an event)."""
    started = time.perf_counter()
    with click.progressbar(length=labs, label="Generating labs", show_pos=True, show_eta=True) as bar:
        counters = generate(labs, seed=seed, progress=bar.update)
    seconds = time.perf_counter() - started
    click.echo(f"Generated {counters.labs} labs, {counters.events} events, {counters.slots} slots and "
               f"{counters.bookings} bookings ({counters.rows} rows with the lab accounts) in "
               f"{seconds:.1f} s, {counters.rows / seconds:,.0f} rows/s.")
