"""What every page shares, as the steps the app factory takes: input refused before any view
(``register_input_checks``), locale and time zone (``register_locale``), template helpers
(``register_template_helpers``), security headers (``register_security_headers``) and error
answers (``register_errorhandlers``)."""
from __future__ import annotations

import io
import threading
import time
from datetime import datetime
from functools import lru_cache
from urllib.parse import quote_plus, unquote_to_bytes

import flask
from flask import Flask, current_app, g, get_template_attribute, render_template, request
from flask.json.provider import DefaultJSONProvider
from flask_babel import format_datetime, get_timezone, gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from markupsafe import Markup, escape
from werkzeug.exceptions import BadRequest, HTTPException, RequestEntityTooLarge, SecurityError
from werkzeug.formparser import FormDataParser
from werkzeug.routing import IntegerConverter

from openday import clock
from openday.core.errors import json_error
from openday.core.i18n import install_template_gettext, locale_code
from openday.extensions import babel, login_manager

LANG_COOKIE = "openday_lang"

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


def select_locale() -> str:
    locales = list(current_locales())
    chosen = request.args.get("lang") or request.cookies.get(LANG_COOKIE)
    if chosen in locales:
        return chosen
    # Browsers say zh-CN / zh-TW / zh-HK; map them to the scripts we ship.
    for lang, _quality in request.accept_languages:
        lang = lang.replace("-", "_").lower()
        if lang.startswith("zh"):
            return "zh_Hant" if any(t in lang for t in ("hant", "tw", "hk", "mo")) else "zh_Hans"
        if lang.startswith("en"):
            return "en"
    return "zh_Hans"


def current_locales() -> tuple[str, ...]:
    return current_app.config["OPENDAY_LOCALES"]


def html_lang() -> str:
    locale = locale_code()
    return {"zh_Hans": "zh-Hans", "zh_Hant": "zh-Hant"}.get(locale, locale.replace("_", "-"))


# Babel's "short" style is 12-hour in zh_Hant and en (下午2:00, 2:00 PM); a numeric date with a
# 24-hour clock reads the same in every language.
SHORT_PATTERN = "y-MM-dd HH:mm"


def local_time(moment: datetime | None, style: str = "medium") -> str:
    """A UTC moment shown in Asia/Shanghai, in the reader's locale."""
    if moment is None:
        return ""
    style = SHORT_PATTERN if style == "short" else style
    return _formatted(moment, style, locale_code(), str(get_timezone()))


@lru_cache(maxsize=8192)
def _formatted(moment: datetime, style: str, _locale: str, _zone: str) -> str:
    # Babel takes ~50 µs a call and a list of results shows the same few start times over and
    # over (slots begin on the hour): remembered per locale and zone, which the key holds.
    return format_datetime(moment, style)


# Dates people read at a glance (Babel patterns, per locale): the weekday, no year (a campaign is
# one autumn), and 24-hour time in every language.
DAY_PATTERNS = {"zh_Hans": "M月d日 EEE", "zh_Hant": "M月d日 EEE", "en": "EEE d MMM"}
TIME_PATTERN = "HH:mm"


def _day_pattern() -> str:
    return DAY_PATTERNS.get(locale_code(), DAY_PATTERNS["en"])


def local_day(moment: datetime | None) -> str:
    """12月6日 周六 · 12月6日 週六 · Sat 6 Dec (Beijing date)."""
    return local_time(moment, _day_pattern()) if moment is not None else ""


def local_clock(moment: datetime | None) -> str:
    """09:30, in every language."""
    return local_time(moment, TIME_PATTERN) if moment is not None else ""


def local_moment(moment: datetime | None) -> str:
    """12月6日 周六 09:30 · Sat 6 Dec 09:30."""
    return local_time(moment, f"{_day_pattern()} {TIME_PATTERN}") if moment is not None else ""


def time_range(start: datetime | None, end: datetime | None) -> str:
    """12月6日 周六 09:30–11:00: the date once when both ends fall on one Beijing day, else both
    (12月6日 周六 22:00 – 12月7日 周日 01:00)."""
    if start is None:
        return ""
    if end is None:
        return local_moment(start)
    if clock.local(start).date() == clock.local(end).date():
        return f"{local_moment(start)}–{local_clock(end)}"
    return f"{local_moment(start)} – {local_moment(end)}"


def remembered_macro(template: str, macro: str, *args) -> Markup:
    """A template macro's output for hashable ``args``, rendered once per (args, language, mount
    point) and remembered. Only for macros that are pure functions of those: result cards (their
    listing holds the seats), the search form, the header and footer of readers not signed in.
    Rendering them was most of a search page's cost. Rendered afresh in debug, where templates
    change under the developer's hands."""
    if current_app.debug:
        return get_template_attribute(template, macro)(*args)
    return _remembered_macro(template, macro, args, locale_code(), request.script_root)


@lru_cache(maxsize=8192)
def _remembered_macro(template: str, macro: str, args: tuple, _locale: str, _root: str) -> Markup:
    return get_template_attribute(template, macro)(*args)


# Rendered in the page's address's place: url_for leaves it as it is, so the remembered header
# is the same for every page and the address goes in afterwards, quoted as url_for quotes it.
_HERE = "openday-chrome-here"


def chrome(part: str) -> Markup:
    """The page's header or footer (``templates/_chrome.html``, macro ``part``). For a reader not
    signed in they depend only on the language and the page's address (the language links lead
    back to it), so they are rendered once per language, with a marker where the address goes,
    and the address is put in for each page: remembered per address, a campaign's thousands of
    distinct search and slot URLs pushed every other fragment out of the LRU. A signed-in user's
    (their menu, a logout form with its CSRF token) are rendered for each page."""
    here = request.full_path if request.method == "GET" else request.path
    if current_user.is_authenticated:
        return get_template_attribute("_chrome.html", part)(current_user._get_current_object(), here)
    html = remembered_macro("_chrome.html", part, None, _HERE)
    if _HERE not in html:
        return html
    return Markup(str(html).replace(_HERE, str(escape(quote_plus(here, safe=_URL_SAFE)))))


_URL_SAFE = "!$'()*,/:;?@"  # what werkzeug's url_for leaves unquoted in a query value


def wants_json() -> bool:
    return request.path.startswith("/api/")


class DatabaseIdConverter(IntegerConverter):
    """``<int:id>`` limited to what an INTEGER column holds: /events/99999999999999999999 is a
    404, not an out-of-range error from PostgreSQL (or an overflow in SQLite) answered as 500."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(url_map, *args, **kwargs)


def register_locale(app: Flask) -> None:
    """The reader's language (``?lang=``, the cookie, the browser), the time zone, and
    ``/lang/<code>``."""
    babel.init_app(app, locale_selector=select_locale, timezone_selector=lambda: "Asia/Shanghai")

    @app.after_request
    def remember_language(response):
        chosen = request.args.get("lang")
        if chosen in current_locales() and request.cookies.get(LANG_COOKIE) != chosen:
            response.set_cookie(LANG_COOKIE, chosen, max_age=365 * 24 * 3600, samesite="Lax",
                                httponly=True, secure=app.config["SESSION_COOKIE_SECURE"])
        return response

    @app.route("/lang/<code>")
    def set_language(code: str):
        from flask import abort, redirect, url_for

        from openday.accounts.views import safe_next
        if code not in current_locales():
            abort(404)
        response = redirect(safe_next(request.args.get("next")) or url_for("events.home"))
        response.set_cookie(LANG_COOKIE, code, max_age=365 * 24 * 3600, samesite="Lax",
                            httponly=True, secure=app.config["SESSION_COOKIE_SECURE"])
        return response


def register_template_helpers(app: Flask) -> None:
    """What every template may call: gettext, the language, the header and footer, local times."""
    install_template_gettext(app)
    app.jinja_env.globals.update(html_lang=html_lang, locales=current_locales, chrome=chrome)
    app.jinja_env.filters["local_time"] = local_time
    app.jinja_env.filters.update(day=local_day, clock=local_clock, moment=local_moment,
                                 time_range=time_range)
    app.jinja_env.add_extension("jinja2.ext.do")

    @app.context_processor
    def inject_now():
        return {"now": clock.now()}


def register_security_headers(app: Flask) -> None:
    """Secure cookies behind TLS, NUL bytes refused, and the headers every answer carries."""
    secure = app.config["OPENDAY_SECURE_COOKIES"] and not (app.debug or app.testing)
    app.config["SESSION_COOKIE_SECURE"] = secure
    app.config["REMEMBER_COOKIE_SECURE"] = secure

    @app.before_request
    def refuse_nul_bytes():
        # NUL is never meaningful in a form or a query, and PostgreSQL text cannot store it:
        # answer bad input (400) before it reaches a query, instead of a DataError (500).
        values = list(request.args.values())
        if request.method in ("POST", "PUT", "PATCH") and request.mimetype in (
                "application/x-www-form-urlencoded", "multipart/form-data"):
            values += [value for _name, group in request.form.lists() for value in group]
        if any("\x00" in value for value in values):
            from flask import abort
            abort(400)

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        return response


def error_page(status: int, title: str, message: str, headers: dict | None = None):
    return render_template("errors/error.html", status=status, title=title,
                           message=message), status, headers or {}


def register_errorhandlers(app: Flask) -> None:
    """Every error answered in kind: the API's error object under /api, the error page elsewhere.
    A RuleError that no view caught, CSRF, HTTP errors, a database that is down (503) and bugs
    (500)."""
    from openday.core.errors import RuleError, api_error

    @app.errorhandler(RuleError)
    def rule_error(error: RuleError):
        discard_failed_transaction()
        if wants_json():
            return api_error(error)
        headers = {"Retry-After": str(error.retry_after)} if error.retry_after else {}
        return error_page(error.status, _status_title(error.status),
                          str(error.message), headers)

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        discard_failed_transaction()
        if wants_json():
            return json_error("csrf", error.description, 400)
        return error_page(400, _("页面已过期"), _("表单已失效，请返回上一页刷新后重新提交。"))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        status = error.code or 500
        discard_failed_transaction()
        if wants_json():
            message = _("请求内容过大。") if status == 413 else error.description or error.name
            return json_error(_http_code_name(status), message, status)
        messages = {
            403: _("您的账号无权访问此页面。"), 404: _("您要找的页面不存在或已被删除。"),
            413: _("提交的内容超过了允许的大小，请删减后重试。"),
            429: _("请稍后再试。"), 503: _("请稍后再试。"),
        }
        headers = {"Retry-After": "1"} if status == 503 else {}
        return error_page(status, _status_title(status),
                          messages.get(status, _("请检查后重试。")), headers)

    app.register_error_handler(SecurityError, untrusted_host)
    register_fault_handlers(app)

    @app.errorhandler(500)
    def server_error(error):
        discard_failed_transaction()
        if wants_json():
            return json_error("server_error", "Internal error", 500)
        return error_page(500, _("系统错误"), _("服务暂时出错，请稍后再试。"))


def _status_title(status: int) -> str:
    return {403: _("没有权限"), 404: _("页面不存在"), 405: _("不支持的请求方式"),
            413: _("内容过大"), 429: _("请求过于频繁"), 503: _("系统繁忙")}.get(status, _("请求有误"))


def register_fault_handlers(app: Flask) -> None:
    """A database that is down, restarting or refusing connections answers 503 with Retry-After
    (SPEC §8), as a page or the API's error object; any other database error (a constraint, a
    bug) goes on to the 500 handler as before."""
    import sqlalchemy.exc as sa_exc

    from openday.database import RETRY_AFTER_S, fault_reason

    def database_unavailable(error: Exception):
        reason = fault_reason(error)
        if reason is None:
            raise error
        _forget_session()
        _log_fault(app, reason)
        headers = {"Retry-After": str(RETRY_AFTER_S)}
        if wants_json():
            response = json_error("unavailable", _("服务暂时不可用，请稍后再试。"), 503)
            response.headers.update(headers)
            return response
        return error_page(503, _("系统繁忙"), _("服务暂时不可用，请稍后再试。"), headers)

    for kind in (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.DisconnectionError,
                 sa_exc.TimeoutError):
        app.register_error_handler(kind, database_unavailable)


FAULT_LOG_EVERY_S = 10
_fault_log_lock = threading.Lock()
_fault_log = {"last": -FAULT_LOG_EVERY_S, "since": 0}


def _log_fault(app: Flask, reason: str) -> None:
    """A line when the database starts failing, then at most one every 10 s with the count: an
    outage under a rush is thousands of 503s a second, and the log must stay readable."""
    now = time.monotonic()
    with _fault_log_lock:
        _fault_log["since"] += 1
        if now - _fault_log["last"] < FAULT_LOG_EVERY_S:
            return
        answered, _fault_log["since"], _fault_log["last"] = _fault_log["since"], 0, now
    app.logger.warning("database unavailable (%s): %d request(s) answered 503 since the last "
                       "report", reason, answered)


def _forget_session() -> None:
    """Roll back the broken transaction so the next request starts clean once the server is
    back, and let the error page render for an anonymous reader: the signed-in user's row
    (expired by the rollback) cannot be read again now."""
    discard_failed_transaction()
    g._login_user = login_manager.anonymous_user()  # what Flask-Login keeps for "nobody signed in"


# ---- input the app refuses before any view sees it (SPEC §8) ---------------------------------------

def register_input_checks(app: Flask) -> None:
    """Hosts other than OPENDAY_PUBLIC_URL's, text that is not UTF-8, and JSON nested deeper than
    Python's parser can follow all answer 400; bodies over MAX_CONTENT_LENGTH answer 413; ids
    larger than a column holds answer 404. First of the factory's steps: its host check must run
    before CSRF's and the limiter's hooks, and the converter before any blueprint adds its rules."""
    app.url_map.converters["int"] = DatabaseIdConverter
    app.request_class = Request
    app.json = JSONProvider(app)
    app.before_request(refuse_untrusted_host)
    app.before_request(refuse_oversized_body)
    app.before_request(refuse_undecodable_query)


def _is_utf8(encoded: bytes) -> bool:
    """Whether URL-encoded text (a query string, a form body) decodes as UTF-8. Werkzeug keeps
    undecodable bytes as "%FF" in the value instead, and that would be stored and echoed."""
    try:
        unquote_to_bytes(encoded.replace(b"+", b" ")).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _undecodable() -> BadRequest:
    return BadRequest(_("请求中的文字不是有效的 UTF-8 编码。"))


class StrictFormDataParser(FormDataParser):
    """Form parsing that refuses (400) a body whose text is not UTF-8, where werkzeug would keep
    the bad bytes as "%FF" (urlencoded) or U+FFFD (multipart) in the values."""

    def parse(self, stream, mimetype, content_length, options=None):
        if mimetype == "application/x-www-form-urlencoded":
            body = stream.read()  # the stream is already limited to MAX_CONTENT_LENGTH (413)
            if not _is_utf8(body):
                raise _undecodable()
            stream = io.BytesIO(body)
        parsed = super().parse(stream, mimetype, content_length, options)
        if mimetype == "multipart/form-data" and any(
                "\ufffd" in value for _name, values in parsed[1].lists() for value in values):
            raise _undecodable()
        return parsed


class Request(flask.Request):
    form_data_parser_class = StrictFormDataParser


class JSONProvider(DefaultJSONProvider):
    """A body nested deeper than the parser's recursion limit (2 KB of "[" is enough) is bad JSON,
    answered 400 like any other, not a RecursionError (500) wherever get_json runs: in a view, or
    in the booking limiter's key function before the view."""

    ensure_ascii = False  # 长沙, not \u957f\u6c99, in every JSON answer

    def loads(self, s, **kwargs):
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None


def refuse_untrusted_host():
    """A request for a host outside TRUSTED_HOSTS failed before routing; answer that before CSRF
    or the limiter look at it (their answers would be pages that cannot build a link here)."""
    if isinstance(request.routing_exception, SecurityError):
        raise request.routing_exception


def allows_body(limit):
    """A view taking uploads: its body may be as large as ``limit(config)`` bytes instead of
    MAX_CONTENT_LENGTH (checked before the view, like every other body)."""
    def mark(view):
        view.body_limit = limit
        return view
    return mark


def refuse_oversized_body():
    """413 for a declared length over MAX_CONTENT_LENGTH on every route, whether or not its view
    would read the body (werkzeug raises only on reading; a chunked body still meets it there).
    A view marked with ``allows_body`` has its own, larger limit."""
    view = current_app.view_functions.get(request.endpoint or "")
    allowed = getattr(view, "body_limit", None)
    if allowed is not None:
        request.max_content_length = allowed(current_app.config)
    limit = request.max_content_length
    if limit is not None and request.content_length is not None and request.content_length > limit:
        raise RequestEntityTooLarge()


def refuse_undecodable_query():
    if not _is_utf8(request.query_string):
        raise _undecodable()


def untrusted_host(error: SecurityError):
    """400 for a Host not in TRUSTED_HOSTS. No URL can be built for such a request (Flask made no
    URL adapter), so the page is a bare one, not the site's template."""
    message = _("本站不接受发往该主机名的请求。")
    if wants_json():
        return json_error("bad_host", message, 400)
    page = f'<!doctype html><meta charset="utf-8"><title>400</title><p>{escape(message)}</p>'
    return page, 400, {"Content-Type": "text/html; charset=utf-8"}


def discard_failed_transaction() -> None:
    """Before an error page: roll back what the request left. After a failed flush the session
    refuses every query (PendingRollbackError) until then, and the page reads the signed-in user."""
    import sqlalchemy as sa

    from openday.extensions import db
    try:
        db.session.rollback()
    except sa.exc.SQLAlchemyError:
        # The connection died with the transaction: drop it. A database that is down is the
        # fault handlers' to answer (503).
        db.session.invalidate()


def _http_code_name(status: int) -> str:
    return {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
            405: "method_not_allowed", 409: "conflict", 413: "too_large", 415: "unsupported_media_type",
            422: "invalid", 429: "rate_limited", 503: "unavailable"}.get(status, "error")
