"""Fixtures: an app on SQLite and on PostgreSQL, a client that submits forms with their CSRF
token like a browser, and factories (Indico-style) for the domain's objects."""
from __future__ import annotations

import contextvars
import os
import re
import uuid
from datetime import date, timedelta

import psycopg
import pytest
import sqlalchemy as sa
from flask import has_app_context
from flask.testing import FlaskClient

from openday import clock, create_app
from openday.extensions import db as _db
from tests.phones import next_phone

PG_ADMIN_URL = os.environ.get("OPENDAY_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


class FormClient(FlaskClient):
    """A test client that fills in the CSRF token the page it came from carried, and runs each
    request in its own app context, ``g`` and database session, as in production."""

    def open(self, *args, **kwargs):
        # Flask reuses an app context already pushed, the test's, with its ``g`` (the logged-in
        # user, the CSRF token, the catalogue) and its session; a fresh contextvars.Context has
        # none, so the request pushes its own. The test's session commits first, so it holds no
        # lock the request waits on, and forgets what it read after, so it reads what the
        # request wrote.
        if has_app_context():
            _db.session.commit()
        try:
            return contextvars.Context().run(super().open, *args, **kwargs)
        finally:
            if has_app_context():
                _db.session.expire_all()

    def csrf_token(self, url: str) -> str:
        page = self.get(url)
        match = CSRF_RE.search(page.get_data(as_text=True))
        assert match, f"no csrf_token on {url} ({page.status_code})"
        return match.group(1)

    def submit(self, url: str, data: dict | None = None, form_url: str | None = None, **kwargs):
        data = dict(data or {})
        data.setdefault("csrf_token", self.csrf_token(form_url or url))
        return self.post(url, data=data, **kwargs)


@pytest.fixture(scope="session")
def postgres_server_url():
    """A fresh PostgreSQL database for this test run (one per xdist worker), dropped at the end."""
    name = f"openday_test_{uuid.uuid4().hex[:10]}"
    try:
        admin = psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        pytest.fail(f"PostgreSQL is needed at {PG_ADMIN_URL} (start it: "
                    f"pg_ctlcluster $(ls /etc/postgresql) main start): {exc}", pytrace=False)
    admin.execute(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    yield url
    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


_pg_schema_ready: set[str] = set()


def make_app(backend: str, tmp_path, request, **config):
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'openday.db'}"
    else:
        url = request.getfixturevalue("postgres_server_url")
    settings = {"TESTING": True, "SECRET_KEY": "test-secret-key-0123456789",
                "OPENDAY_DATABASE_URL": url, "RATELIMIT_ENABLED": False,
                "SERVER_NAME": None,
                # Notices' attachments in the test's own folder, never the checkout's instance/.
                "OPENDAY_ATTACHMENTS_DIR": str(tmp_path / "attachments")}
    settings.update(config)
    app = create_app(settings)
    with app.app_context():
        if backend == "sqlite" or url not in _pg_schema_ready:
            _db.drop_all()
            _db.create_all()
            _pg_schema_ready.add(url)
        else:
            tables = ", ".join(f'"{t.name}"' for t in _db.metadata.sorted_tables)
            _db.session.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
            _db.session.commit()
    return app


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request) -> str:
    return request.param


@pytest.fixture
def app_config() -> dict:
    """Override in a test module to start the app with other settings."""
    return {}


@pytest.fixture
def app(backend, tmp_path, request, app_config):
    """The app, with an app context held for the test body: the factories and the test's own
    queries use it; every request of ``client`` runs in a context of its own (see FormClient)."""
    app = make_app(backend, tmp_path, request, **app_config)
    app.test_client_class = FormClient
    with app.app_context():
        yield app
        _db.session.remove()
        _db.engine.dispose()


@pytest.fixture
def db(app):
    return _db


@pytest.fixture
def client(app) -> FormClient:
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


# ---- factories -------------------------------------------------------------------------------

@pytest.fixture
def create_campaign(db):
    def make(year: int | None = None, starts_on: date | None = None, days: int = 30,
             is_current: bool = True, **kw):
        from openday.events.models import Campaign
        starts_on = starts_on or clock.today() - timedelta(days=1)
        year = year or starts_on.year
        campaign = Campaign(
            year=year, edition=kw.pop("edition", year - 2010), theme=kw.pop("theme", "检验检测，为民服务"),
            starts_on=starts_on, ends_on=starts_on + timedelta(days=days),
            registration_opens_at=clock.now() - timedelta(days=60),
            registration_closes_at=clock.now() + timedelta(days=days),
            is_current=is_current, **kw)
        db.session.add(campaign)
        db.session.commit()
        return campaign
    return make


@pytest.fixture
def campaign(create_campaign):
    return create_campaign()


_credit_counter = iter(range(1, 10_000_000))


def valid_credit_code(seed: int) -> str:
    """A syntactically valid unified social credit code (GB 32100 check character)."""
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
    body = "91" + "430100" + f"{seed:09d}"
    total = sum(alphabet.index(ch) * w for ch, w in zip(body, weights))
    return body + alphabet[(31 - total % 31) % 31]


@pytest.fixture
def create_lab(db):
    def make(name: str = "长沙市产品质量检验所", status: str = "approved", city: str = "430100",
             district: str = "430102", **kw):
        from openday.labs.models import Lab
        lab = Lab(name=name, credit_code=kw.pop("credit_code", valid_credit_code(next(_credit_counter))),
                  cma_number=kw.pop("cma_number", "201918000001"),
                  province_adcode=city[:2] + "0000", city_adcode=city, district_adcode=district,
                  address=kw.pop("address", "岳麓区麓谷大道 1 号"), lat=kw.pop("lat", 28.2282),
                  lon=kw.pop("lon", 112.9388), contact_name="王工", contact_phone="13800000000",
                  contact_email="lab@example.cn", testing_fields="food,water", status=status, **kw)
        db.session.add(lab)
        db.session.commit()
        return lab
    return make


PASSWORD = "correct horse battery"


@pytest.fixture
def create_user(db):
    def make(role: str = "lab", lab=None, email: str | None = None, region_scope: str | None = None,
             password: str = PASSWORD, **kw):
        from openday.accounts.models import NATIONAL, User
        if role == "regulator" and region_scope is None:
            region_scope = NATIONAL
        user = User(email=email or f"{role}-{uuid.uuid4().hex[:8]}@openday.test", role=role,
                    lab_id=lab.id if lab else None, region_scope=region_scope, **kw)
        user.set_password(password)
        db.session.add(user)
        db.session.commit()
        return user
    return make


@pytest.fixture
def login(client):
    def do(user, password: str = PASSWORD):
        response = client.submit("/login", {"email": user.email, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return response
    return do


@pytest.fixture
def create_event(db, campaign, create_lab):
    def make(lab=None, kind: str = "tour", status: str = "published", title: str = "走进食品检测实验室",
             **kw):
        from openday.events.models import Event
        lab = lab or create_lab()
        event = Event(lab_id=lab.id, campaign_id=kw.pop("campaign_id", campaign.id), kind=kind,
                      title=title, summary=kw.pop("summary", "看看食品是怎么检测的"),
                      description=kw.pop("description", "参观理化实验室和微生物实验室。"),
                      venue_address=kw.pop("venue_address", lab.address),
                      province_adcode=lab.province_adcode, city_adcode=kw.pop("city_adcode", lab.city_adcode),
                      district_adcode=kw.pop("district_adcode", lab.district_adcode),
                      lat=kw.pop("lat", lab.lat), lon=kw.pop("lon", lab.lon), status=status, **kw)
        db.session.add(event)
        db.session.commit()
        return event
    return make


@pytest.fixture
def create_slot(db, create_event):
    def make(event=None, capacity: int = 30, starts_in: timedelta = timedelta(days=2), hours: int = 2,
             max_party: int = 4, **kw):
        from openday.events.models import Slot
        from openday.events.service import slot_copies
        event = event or create_event()
        start = kw.pop("starts_at", None) or clock.now().replace(minute=0, second=0, microsecond=0) + starts_in
        slot = Slot(event_id=event.id, starts_at=start, ends_at=kw.pop("ends_at", start + timedelta(hours=hours)),
                    capacity=capacity, max_party=min(max_party, capacity), **slot_copies(event), **kw)
        db.session.add(slot)
        db.session.commit()
        return slot
    return make


@pytest.fixture
def book(app):
    """book(slot, party_size=1, phone=None, name="张三") → the Booking, through the booking service,
    so the slot's counters move as in production; each call gets a fresh phone unless given one
    (a phone already on the slot raises AlreadyBooked)."""
    from openday.bookings import service

    def do(slot, party_size: int = 1, phone: str | None = None, name: str = "张三",
           consent: bool = True, remarks: str | None = None):
        request = service.BookingRequest(name=name, phone=phone or next_phone(),
                                         party_size=party_size, consent=consent, remarks=remarks)
        return service.book(getattr(slot, "id", slot), request)
    return do


@pytest.fixture
def national(create_user, login):
    """A logged-in regulator with national scope."""
    user = create_user(role="regulator")
    login(user)
    return user


@pytest.fixture
def hunan(create_user, login):
    """A logged-in regulator scoped to 湖南 (430000)."""
    user = create_user(role="regulator", region_scope="430000")
    login(user)
    return user


@pytest.fixture
def travel(monkeypatch):
    """travel(moment): from now on ``clock.now()`` answers ``moment`` (time stands still there),
    for rules that depend on the day or the minutes since something happened."""
    def to(moment):
        monkeypatch.setattr(clock, "now", lambda: moment)
        return moment
    return to
