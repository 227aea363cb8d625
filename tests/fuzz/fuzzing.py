"""Shared pieces of the fuzz tests: Hypothesis strategies for hostile input, and a form reader
that finds a page's fields (so the fuzzers follow the forms as they change)."""
from __future__ import annotations

import re
from html.parser import HTMLParser

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')

# Modest and deadline-free: the suite stays fast, and a slow first request is not a failure.
# Function-scoped fixtures (the app, its database) are shared by the examples of one test on
# purpose: rows a rejected example did not store are exactly what the tests count.
# No shrinking: a failure prints the example as found (shrinking a web round trip can take minutes).
FUZZ = settings(max_examples=20, deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate],
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large, HealthCheck.filter_too_much])

# Any unicode a browser could send: controls, NUL, RTL marks, emoji, CJK, full-width digits;
# not lone surrogates, which cannot be encoded as UTF-8 at all.
any_char = st.characters(codec="utf-8")
text = st.one_of(
    st.text(any_char, max_size=60),
    st.text(any_char, min_size=200, max_size=3000),
    st.sampled_from(["", " ", "\x00", "0", "-1", "1e309", "NaN", "null", "true", "[]", "{}",
                     "999999999999999999999999", "１３８００１３８０００", "+86 138-0013-8000",
                     "'; DROP TABLE booking; --", "<script>alert(1)</script>", "%s%n%x",
                     "../../etc/passwd", "\u202e\u200b", "長沙", "changsha", "😀" * 50]),
)
json_scalar = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True),
                        text)
json_value = st.recursive(json_scalar, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)),
    max_leaves=8)


class FormReader(HTMLParser):
    """The named fields of every <form method=post> on a page, with <select> option values."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append({"action": attrs.get("action"),
                               "method": (attrs.get("method") or "get").lower(), "fields": {}})
        elif not self.forms:
            return
        elif tag in ("input", "textarea", "select") and attrs.get("name"):
            fields = self.forms[-1]["fields"]
            values = fields.setdefault(attrs["name"], [])
            if attrs.get("value") is not None and attrs.get("type") not in ("submit",):
                values.append(attrs["value"])
            if tag == "select":
                self._select = attrs["name"]
        elif tag == "option" and self._select and attrs.get("value") is not None:
            self.forms[-1]["fields"][self._select].append(attrs["value"])

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


def post_form_fields(html: str, action_contains: str = "") -> dict[str, list[str]]:
    """Field name -> values seen, for the biggest POST form whose action contains the text
    (the page's main form, not the log-out button or a row's delete button)."""
    reader = FormReader()
    reader.feed(html)
    candidates = [form for form in reader.forms
                  if form["method"] == "post" and action_contains in (form["action"] or "")
                  and not (form["action"] or "").endswith("/logout")]
    if not candidates:
        raise AssertionError(f"no POST form (action containing {action_contains!r}) on the page")
    return max(candidates, key=lambda form: len(form["fields"]))["fields"]


def fuzzed_form(fields: dict[str, list[str]]):
    """A strategy: each field omitted, one of its real values, or hostile text; sometimes twice."""
    def one(values):
        choices = [text]
        if values:
            choices.append(st.sampled_from(values))
        return st.one_of(*choices)

    def field(values):
        return st.one_of(st.none(), one(values), st.lists(one(values), min_size=2, max_size=3))

    names = [name for name in fields if name != "csrf_token"]
    return st.fixed_dictionaries({name: field(fields[name]) for name in names},
                                 optional={"unexpected_field": text})


def as_form_data(values: dict) -> dict:
    return {name: value for name, value in values.items() if value is not None}


def assert_not_server_error(response, what: str) -> None:
    assert response.status_code < 500, (
        f"{what} answered {response.status_code}:\n{response.get_data(as_text=True)[:1500]}")
