"""Translation for code inside and outside requests.

In a request, strings are in the reader's language (``catalogue``, found once per request); in a
command, a job or a test without a request, the Chinese msgid itself is the text.
"""
from __future__ import annotations

from flask import Flask, g, has_request_context
from flask_babel import get_locale, get_translations, lazy_gettext as _l

__all__ = ["N_", "_", "_l", "catalogue", "gettext", "install_template_gettext", "locale_code"]


def N_(msgid: str) -> str:
    """Marks a msgid for extraction (a Babel default keyword); translated where it is shown."""
    return msgid


def catalogue():
    """This request's translations, found once. Flask-Babel finds them again for every string,
    with several context lookups and the locale formatted to text each time, and a page shows
    forty strings."""
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


def gettext(msgid: str, **variables) -> str:
    """``msgid`` in the reader's language in a request; the msgid itself elsewhere (CLI, jobs)."""
    text = catalogue().ugettext(msgid) if has_request_context() else msgid
    return text % variables if variables else text


_ = gettext


def install_template_gettext(app: Flask) -> None:
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: catalogue().ugettext(s),
        ngettext=lambda s, p, n: catalogue().ungettext(s, p, n),
        pgettext=lambda c, s: catalogue().upgettext(c, s),
        npgettext=lambda c, s, p, n: catalogue().unpgettext(c, s, p, n),
        newstyle=True,
    )
