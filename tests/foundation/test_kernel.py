"""The kernel every domain shares (openday/core): one rule error, one way onto a form and into
the API, namespaced locks, a write transaction that leaves nothing behind, and URL tables with no
import side effects."""
from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import pytest
from flask_wtf import FlaskForm
from wtforms import StringField

import openday
from openday.core.db import Busy, lock_key, write_transaction
from openday.core.errors import RuleError, api_error, json_error
from openday.core.forms import put_on_form

PACKAGE = Path(openday.__file__).parent
# Errors that are not a rule saying no to someone, but a console line for the operator: a
# database URL that cannot work stops the process at start-up, and a backup or restore that
# cannot go on stops its command (a click error).
NOT_RULES = {"openday.database.DatabaseConfigError", "openday.backup.BackupError"}


def _openday_exceptions() -> list[type]:
    found = []
    for module_info in pkgutil.walk_packages([str(PACKAGE)], prefix="openday."):
        if module_info.name in ("openday.gunicorn_conf",) or ".translations" in module_info.name:
            continue
        module = importlib.import_module(module_info.name)
        for _name, value in vars(module).items():
            if (inspect.isclass(value) and issubclass(value, BaseException)
                    and value.__module__ == module.__name__):
                found.append(value)
    return found


def test_every_exception_openday_defines_is_a_rule_error():
    strays = sorted(f"{cls.__module__}.{cls.__qualname__}" for cls in _openday_exceptions()
                    if not issubclass(cls, RuleError)
                    and f"{cls.__module__}.{cls.__qualname__}" not in NOT_RULES)
    assert strays == []


def test_a_rule_error_takes_the_booking_errors_arguments_and_a_status():
    error = RuleError("daily_limit", "每天最多 6 个", {"phone": "每天最多 6 个"}, 409)
    assert (error.code, error.message, error.fields, error.status) == (
        "daily_limit", "每天最多 6 个", {"phone": "每天最多 6 个"}, 409)
    assert str(error) == "每天最多 6 个"
    plain = RuleError.on("email", "该邮箱已注册")
    assert (plain.code, plain.status, plain.fields) == ("invalid", 422, {"email": "该邮箱已注册"})


def test_lock_keys_are_namespaced_per_kind_of_object():
    phone = lock_key("phone", "13800138000")
    assert phone != lock_key("slot", 13800138000)
    assert phone == lock_key("phone", "13800138000")
    for namespace, key in (phone, lock_key("slot", 13800138000), lock_key("idempotency", "x" * 40)):
        assert -2**31 <= namespace < 2**31 and -2**31 <= key < 2**31
    with pytest.raises(KeyError):
        lock_key("no-such-kind", 1)


def test_write_transaction_rolls_back_and_re_raises(app, db, create_user):
    from openday.accounts.models import User

    user = create_user(role="admin", name="原名")
    user_id = user.id

    def work():
        db.session.get(User, user_id).name = "改名"
        db.session.flush()
        raise RuntimeError("a bug halfway")

    with pytest.raises(RuntimeError, match="a bug halfway"):
        write_transaction(work)
    db.session.expire_all()
    assert db.session.get(User, user_id).name == "原名"  # the session is usable, nothing kept


def test_write_transaction_commits_what_work_did(app, db, create_user):
    from openday.accounts.models import User

    user_id = create_user(role="admin", name="原名").id

    def work():
        db.session.get(User, user_id).name = "改名"
        return "done"

    assert write_transaction(work) == "done"
    db.session.remove()
    assert db.session.get(User, user_id).name == "改名"


class _Form(FlaskForm):
    class Meta:
        csrf = False

    email = StringField()
    contact_phone = StringField()


@pytest.fixture
def form(app):
    with app.test_request_context():
        yield _Form()


def test_put_on_form_puts_field_messages_on_their_fields(form):
    error = RuleError("invalid", "请修正", {"email": "该邮箱已注册", "phone": "手机号无效",
                                          "credit_code": "代码有误", "internal": "无处可放"})
    left = put_on_form(form, error, fields={"phone": "contact_phone", "internal": None})
    assert form.email.errors == ["该邮箱已注册"]
    assert form.contact_phone.errors == ["手机号无效"]  # renamed through ``fields``
    assert left == ["代码有误", "无处可放"]  # no such field, and a name mapped to no field


def test_put_on_form_sends_unknown_names_to_the_default_field(form):
    left = put_on_form(form, RuleError("invalid", "请修正", {"year": "年份有误"}), default="email")
    assert form.email.errors == ["年份有误"] and left == []


def test_put_on_form_returns_the_message_of_an_error_without_fields(form):
    assert put_on_form(form, RuleError("forbidden", "不能这样做", status=403)) == ["不能这样做"]
    assert not form.email.errors


def test_api_error_is_the_error_object_with_lists_and_retry_after(app):
    with app.test_request_context():
        answer = api_error(RuleError("daily_limit", "每天最多 6 个", {"phone": "每天最多 6 个"}, 409))
        assert answer.status_code == 409
        assert answer.get_json() == {"error": {"code": "daily_limit", "message": "每天最多 6 个",
                                               "fields": {"phone": ["每天最多 6 个"]}}}
        assert "Retry-After" not in answer.headers
        busy = api_error(Busy())
        assert busy.status_code == 503 and busy.headers["Retry-After"] == str(Busy.retry_after)
        assert busy.get_json()["error"]["code"] == "busy"
        plain = json_error("bad_json", "请求体须为 JSON 对象。", 400, {"body": ["请求体须为 JSON 对象。"]})
        assert plain.get_json()["error"]["fields"] == {"body": ["请求体须为 JSON 对象。"]}


@pytest.fixture
def refusing_app(app):
    """The test app with two routes whose service refuses, under /api and on a page."""
    def refuse():
        raise RuleError("not_cancellable", "活动已开始，不能取消", {"code": "活动已开始，不能取消"}, 409)

    def busy():
        raise Busy()

    app.add_url_rule("/api/v1/_refuse", "refuse_api", refuse)
    app.add_url_rule("/_refuse", "refuse_page", refuse)
    app.add_url_rule("/_busy", "busy_page", busy)
    return app


def test_a_rule_error_no_view_caught_is_answered_in_kind(refusing_app):
    client = refusing_app.test_client()
    api = client.get("/api/v1/_refuse")
    assert api.status_code == 409
    assert api.get_json()["error"] == {"code": "not_cancellable", "message": "活动已开始，不能取消",
                                       "fields": {"code": ["活动已开始，不能取消"]}}
    page = client.get("/_refuse")
    assert page.status_code == 409 and "活动已开始，不能取消" in page.get_data(as_text=True)
    assert "<html" in page.get_data(as_text=True)
    busy = client.get("/_busy")
    assert busy.status_code == 503 and busy.headers["Retry-After"] == str(Busy.retry_after)


def test_no_route_module_is_imported_at_the_bottom_of_another():
    offenders = [str(path.relative_to(PACKAGE)) for path in PACKAGE.rglob("*.py")
                 if path.name != "gunicorn_conf.py" and "noqa: E402" in path.read_text("utf-8")]
    assert offenders == []
    assert not (PACKAGE / "api" / "views.py").exists()


def test_each_domain_blueprint_lists_its_route_modules():
    from openday import BLUEPRINTS

    for name in BLUEPRINTS:
        module = importlib.import_module(f"openday.{name}.blueprint")
        assert module.ROUTE_MODULES
        for route_module in module.ROUTE_MODULES:
            importlib.import_module(route_module)
        assert module.bp.deferred_functions, f"{name}: its route modules added no route"


def test_signals_are_connected_by_the_factory_not_by_imports(tmp_path):
    import subprocess
    import sys

    # A fresh interpreter: this one's signals were connected by the test apps.
    script = ("import openday.events.service, openday.labs.service\n"
              "from openday.signals import lab_status_changed\n"
              "assert not lab_status_changed.receivers, 'connected on import'\n"
              "from openday import create_app\n"
              "create_app({'TESTING': True, 'OPENDAY_DATABASE_URL': 'sqlite://'})\n"
              "assert lab_status_changed.receivers, 'not connected by create_app'\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=tmp_path)
    assert done.returncode == 0, done.stderr


def test_core_imports_no_domain():
    domains = {"geo", "labs", "events", "bookings", "stats", "notices", "accounts", "api", "audit"}
    for path in (PACKAGE / "core").glob("*.py"):
        imported = re.findall(r"^\s*(?:from|import) openday\.(\w+)", path.read_text("utf-8"), re.M)
        assert not domains & set(imported), path.name


def test_only_the_kernel_begins_write_transactions():
    # Hand-written BEGIN IMMEDIATE/commit/rollback elsewhere would lack the busy retries, or the
    # rollback on an unexpected error that leaves the session usable.
    beginners = sorted(str(path.relative_to(PACKAGE)) for path in PACKAGE.rglob("*.py")
                       if "write_transaction_options" in path.read_text("utf-8"))
    assert beginners == ["core/db.py", "database.py"]
