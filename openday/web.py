"""What every page shares: locale and time zone, login, limits, security headers, error pages."""
from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from flask import Flask, current_app, g, get_template_attribute, jsonify, render_template, request
from flask_babel import format_datetime, get_locale, get_timezone, get_translations, gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from markupsafe import Markup
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from openday import clock
from openday.extensions import babel, csrf, limiter, login_manager

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


def local_time(moment: datetime | None, style: str = "medium") -> str:
    """A UTC moment shown in Asia/Shanghai, in the reader's locale."""
    if moment is None:
        return ""
    return _formatted(moment, style, locale_code(), str(get_timezone()))


@lru_cache(maxsize=8192)
def _formatted(moment: datetime, style: str, _locale: str, _zone: str) -> str:
    # Babel takes ~50 µs a call and a list of results shows the same few start times over and
    # over (slots begin on the hour): remembered per locale and zone, which the key holds.
    return format_datetime(moment, style)


def catalogue():
    """This request's translations, found once (``forget_request_memo`` runs before each request).
    Flask-Babel finds them again for every string, with several context lookups and the locale
    formatted to text each time, and a page shows forty strings."""
    found = g.get("_openday_catalogue")
    if found is None:
        found = g._openday_catalogue = get_translations()
    return found


def locale_code() -> str:
    """This request's locale as text ("zh_Hans"), found once: keys of what is remembered per language."""
    found = g.get("_openday_locale_code")
    if found is None:
        found = g._openday_locale_code = str(get_locale())
    return found


def forget_request_memo() -> None:
    """Before each request: forget the previous one's catalogue and locale."""
    g.pop("_openday_catalogue", None)
    g.pop("_openday_locale_code", None)


def _install_template_gettext(app: Flask) -> None:
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: catalogue().ugettext(s),
        ngettext=lambda s, p, n: catalogue().ungettext(s, p, n),
        pgettext=lambda c, s: catalogue().upgettext(c, s),
        npgettext=lambda c, s, p, n: catalogue().unpgettext(c, s, p, n),
        newstyle=True,
    )


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


def chrome(part: str) -> Markup:
    """The page's header or footer (``templates/_chrome.html``, macro ``part``). For a reader not
    signed in they depend only on the language and the page's address (the language links lead
    back to it), so they are remembered; a signed-in user's (their menu, a logout form with its
    CSRF token) are rendered for each page."""
    here = request.full_path if request.method == "GET" else request.path
    if current_user.is_authenticated:
        return get_template_attribute("_chrome.html", part)(current_user._get_current_object(), here)
    return remembered_macro("_chrome.html", part, None, here)


def wants_json() -> bool:
    return request.path.startswith("/api/")


def json_error(code: str, message: str, status: int, fields: dict | None = None):
    response = jsonify({"error": {"code": code, "message": message, "fields": fields or {}}})
    response.status_code = status
    return response


class DatabaseIdConverter(IntegerConverter):
    """``<int:id>`` limited to what an INTEGER column holds: /events/99999999999999999999 is a
    404, not an out-of-range error from PostgreSQL (or an overflow in SQLite) answered as 500."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(url_map, *args, **kwargs)


def init_app(app: Flask) -> None:
    app.url_map.converters["int"] = DatabaseIdConverter  # before any blueprint adds its rules
    babel.init_app(app, locale_selector=select_locale, timezone_selector=lambda: "Asia/Shanghai")
    _install_template_gettext(app)
    app.json.ensure_ascii = False  # 长沙, not \u957f\u6c99, in every JSON answer
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = None  # the login page explains itself
    # "basic", not "strong": staff checking people in on a phone change networks (and IPs) all day.
    login_manager.session_protection = "basic"

    secure = app.config["OPENDAY_SECURE_COOKIES"] and not (app.debug or app.testing)
    app.config["SESSION_COOKIE_SECURE"] = secure
    app.config["REMEMBER_COOKIE_SECURE"] = secure

    @login_manager.user_loader
    def load_user(user_id: str):
        from openday.accounts.models import LoginSession, User
        from openday.extensions import db
        # "<id>.<session generation>.<login token>" (User.get_id): a cookie signs its user in
        # only while its sign-in is not logged out and no deactivation came since it was issued.
        parts = user_id.split(".")
        if len(parts) != 3 or not (parts[0].isdecimal() and parts[1].isdecimal() and parts[2]):
            return None
        number, generation, token = parts
        user = db.session.execute(
            db.select(User).join(LoginSession, LoginSession.user_id == User.id)
            .where(User.id == int(number), LoginSession.token == token)).scalar_one_or_none()
        if user is None or not user.active or user.session_generation != int(generation):
            return None
        user.login_token = token
        return user

    app.jinja_env.globals.update(html_lang=html_lang, locales=current_locales, chrome=chrome)
    app.jinja_env.filters["local_time"] = local_time
    app.jinja_env.add_extension("jinja2.ext.do")

    @app.context_processor
    def inject_now():
        return {"now": clock.now()}

    app.before_request(forget_request_memo)  # g outlives a request where an app context is kept

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
        chosen = request.args.get("lang")
        if chosen in current_locales() and request.cookies.get(LANG_COOKIE) != chosen:
            response.set_cookie(LANG_COOKIE, chosen, max_age=365 * 24 * 3600, samesite="Lax",
                                httponly=True, secure=app.config["SESSION_COOKIE_SECURE"])
        return response

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        if wants_json():
            return json_error("csrf", error.description, 400)
        return render_template("errors/error.html", status=400,
                               title=_("页面已过期"),
                               message=_("表单已失效，请返回上一页刷新后重新提交。")), 400

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        status = error.code or 500
        if wants_json():
            return json_error(_http_code_name(status), error.description or error.name, status)
        titles = {
            403: _("没有权限"), 404: _("页面不存在"), 405: _("不支持的请求方式"),
            429: _("请求过于频繁"), 503: _("系统繁忙"),
        }
        messages = {
            403: _("您的账号无权访问此页面。"), 404: _("您要找的页面不存在或已被删除。"),
            429: _("请稍后再试。"), 503: _("请稍后再试。"),
        }
        response = render_template("errors/error.html", status=status,
                                   title=titles.get(status, _("请求有误")),
                                   message=messages.get(status, _("请检查后重试。")))
        headers = {"Retry-After": "1"} if status == 503 else {}
        return response, status, headers

    @app.errorhandler(500)
    def server_error(error):
        if wants_json():
            return json_error("server_error", "Internal error", 500)
        return render_template("errors/error.html", status=500, title=_("系统错误"),
                               message=_("服务暂时出错，请稍后再试。")), 500

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


def _http_code_name(status: int) -> str:
    return {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
            405: "method_not_allowed", 409: "conflict", 413: "too_large", 415: "unsupported_media_type",
            422: "invalid", 429: "rate_limited", 503: "unavailable"}.get(status, "error")
